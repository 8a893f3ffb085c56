-- PostgreSQL translation of db/migrations/017_overdue_counts.sql. The same column, index and
-- counts; the three triggers call one plpgsql function (as in 011), and each fires only when the
-- case's counting changes (the same WHEN as SQLite's). The backfill's "now" is the transaction's
-- time in the app's format (toISOString), compared COLLATE "C" as the columns are.

-- Overdue (red) cases counted per village, so that the dashboard does not read every open case to
-- count those past their deadline. A job marks the cases whose deadline has passed
-- (cases.overdue = 1), and the summaries count the marked open cases (case_summaries.n_overdue).
-- red = n_overdue + the open cases past their deadline not marked yet (cases_unmarked_due).
ALTER TABLE cases ADD COLUMN overdue integer NOT NULL DEFAULT 0 CHECK (overdue IN (0, 1));
ALTER TABLE case_summaries ADD COLUMN n_overdue bigint NOT NULL DEFAULT 0;

UPDATE cases SET overdue = 1
WHERE state IN ('submitted', 'accepted', 'in_progress')
  AND (CASE WHEN first_responded_at IS NULL THEN first_response_due ELSE resolution_due END)
    < to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') COLLATE "C";
UPDATE case_summaries SET n_overdue = (
  SELECT count(*) FROM cases c WHERE c.village_id = case_summaries.village_id AND c.overdue = 1 AND c.state IN ('submitted', 'accepted', 'in_progress'));

-- The open cases not marked yet, by the deadline that matters now (the expression of cases_open_due).
-- PostgreSQL estimates how many cases the index holds from the statistics of all open cases (most
-- of them long overdue in a neglected district), so it would rather read the whole table; with the
-- expression's columns included it reads the index alone, which it then prefers. (SQLite has no
-- INCLUDE and no such estimate: it takes the partial index.)
CREATE INDEX cases_unmarked_due ON cases(
  (CASE WHEN state NOT IN ('submitted', 'accepted', 'in_progress') THEN NULL
    WHEN first_responded_at IS NULL THEN first_response_due ELSE resolution_due END),
  village_id
) INCLUDE (state, first_responded_at, first_response_due, resolution_due)
WHERE state IN ('submitted', 'accepted', 'in_progress') AND overdue = 0;

-- A marked open case counts in its village: out with the old row (UPDATE, DELETE), in with the new (INSERT, UPDATE).
CREATE FUNCTION case_overdue_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.overdue = 1 AND OLD.state IN ('submitted', 'accepted', 'in_progress') THEN
    UPDATE case_summaries SET n_overdue = n_overdue - 1 WHERE village_id = OLD.village_id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.overdue = 1 AND NEW.state IN ('submitted', 'accepted', 'in_progress') THEN
    INSERT INTO case_summaries AS s (village_id, n_overdue) VALUES (NEW.village_id, 1)
    ON CONFLICT (village_id) DO UPDATE SET n_overdue = s.n_overdue + 1;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER case_overdue_insert AFTER INSERT ON cases FOR EACH ROW
  WHEN (NEW.overdue = 1 AND NEW.state IN ('submitted', 'accepted', 'in_progress'))
  EXECUTE FUNCTION case_overdue_track();
CREATE TRIGGER case_overdue_delete AFTER DELETE ON cases FOR EACH ROW
  WHEN (OLD.overdue = 1 AND OLD.state IN ('submitted', 'accepted', 'in_progress'))
  EXECUTE FUNCTION case_overdue_track();
CREATE TRIGGER case_overdue_update AFTER UPDATE OF overdue, state, village_id ON cases FOR EACH ROW
  WHEN ((OLD.overdue = 1 AND OLD.state IN ('submitted', 'accepted', 'in_progress')) <> (NEW.overdue = 1 AND NEW.state IN ('submitted', 'accepted', 'in_progress'))
    OR (OLD.village_id <> NEW.village_id AND NEW.overdue = 1 AND NEW.state IN ('submitted', 'accepted', 'in_progress')))
  EXECUTE FUNCTION case_overdue_track();
