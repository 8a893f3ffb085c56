-- Overdue (red) cases counted per village, so that the dashboard does not read every open case to
-- count those past their deadline (at a million cases a neglected district can hold 300,000 open
-- ones). A deadline passes without any write, so no trigger can see it happen: a job marks the
-- cases whose deadline has passed (cases.overdue = 1), and the summaries count the marked open
-- cases (case_summaries.n_overdue) as they count the states. The cases past their deadline since
-- the job last ran are few, and found through cases_unmarked_due: red = n_overdue + those.
-- Writes through the app recompute the mark with the case's new state and deadline.
ALTER TABLE cases ADD COLUMN overdue INTEGER NOT NULL DEFAULT 0 CHECK (overdue IN (0, 1));
ALTER TABLE case_summaries ADD COLUMN n_overdue INTEGER NOT NULL DEFAULT 0;

UPDATE cases SET overdue = 1
WHERE state IN ('submitted', 'accepted', 'in_progress')
  AND (CASE WHEN first_responded_at IS NULL THEN first_response_due ELSE resolution_due END) < strftime('%Y-%m-%dT%H:%M:%fZ', 'now');
UPDATE case_summaries SET n_overdue = (
  SELECT count(*) FROM cases c WHERE c.village_id = case_summaries.village_id AND c.overdue = 1 AND c.state IN ('submitted', 'accepted', 'in_progress'));

-- The open cases not marked yet, by the deadline that matters now (the expression of cases_open_due).
CREATE INDEX cases_unmarked_due ON cases(
  (CASE WHEN state NOT IN ('submitted', 'accepted', 'in_progress') THEN NULL
    WHEN first_responded_at IS NULL THEN first_response_due ELSE resolution_due END),
  village_id
) WHERE state IN ('submitted', 'accepted', 'in_progress') AND overdue = 0;

-- A marked open case counts in its village; it stops counting when it is answered past the mark,
-- done, unmarked or deleted.
CREATE TRIGGER case_overdue_insert AFTER INSERT ON cases
WHEN NEW.overdue = 1 AND NEW.state IN ('submitted', 'accepted', 'in_progress') BEGIN
  INSERT INTO case_summaries (village_id, n_overdue) VALUES (NEW.village_id, 1)
  ON CONFLICT (village_id) DO UPDATE SET n_overdue = n_overdue + 1;
END;

CREATE TRIGGER case_overdue_delete AFTER DELETE ON cases
WHEN OLD.overdue = 1 AND OLD.state IN ('submitted', 'accepted', 'in_progress') BEGIN
  UPDATE case_summaries SET n_overdue = n_overdue - 1 WHERE village_id = OLD.village_id;
END;

CREATE TRIGGER case_overdue_update AFTER UPDATE OF overdue, state, village_id ON cases
WHEN (OLD.overdue = 1 AND OLD.state IN ('submitted', 'accepted', 'in_progress')) <> (NEW.overdue = 1 AND NEW.state IN ('submitted', 'accepted', 'in_progress'))
  OR (OLD.village_id <> NEW.village_id AND NEW.overdue = 1 AND NEW.state IN ('submitted', 'accepted', 'in_progress')) BEGIN
  UPDATE case_summaries SET n_overdue = n_overdue - 1
  WHERE village_id = OLD.village_id AND OLD.overdue = 1 AND OLD.state IN ('submitted', 'accepted', 'in_progress');
  INSERT INTO case_summaries (village_id, n_overdue)
  SELECT NEW.village_id, 1 WHERE NEW.overdue = 1 AND NEW.state IN ('submitted', 'accepted', 'in_progress')
  ON CONFLICT (village_id) DO UPDATE SET n_overdue = n_overdue + 1;
END;
