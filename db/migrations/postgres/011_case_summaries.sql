-- PostgreSQL translation of db/migrations/011_case_summaries.sql.
-- Differences in form, same meaning for the app (see also 001's notes):
--  * SQLite's julianday(text) is defined here as a plpgsql function of the same name that computes
--    as SQLite does: the same parsing of 'YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z|±HH:MM]' (the same
--    range checks, fractions capped at .999, out-of-month days such as 02-31 counted on into the
--    next month), the same integer milliseconds and the same division, so the differences of two
--    days are the same double precision numbers. It returns NULL where SQLite does for a bad text.
--    Unlike SQLite it also returns NULL for the time-only, 'now' and numeric forms, which the app
--    never stores: every timestamp the app writes is Date.toISOString().
--  * The three triggers call one plpgsql function that takes the old case out (UPDATE, DELETE) and
--    puts the new one in (INSERT, UPDATE) with the same INSERT … ON CONFLICT DO UPDATE; boolean
--    conditions count as (condition)::int, as SQLite counts them as 0/1. A case taken out
--    subtracts its days with 0 - x, so that no -0.0 is stored (SQLite stores a zero REAL as 0).
--    case_summaries_update fires on UPDATE OF the same columns, which both engines read as "named
--    in the SET clause", whether or not the value changes.
--  * resolved_at <= resolution_due compares COLLATE "C", SQLite's BINARY order.
--  * village_id stays a plain bigint primary key (a village's id, never generated).
--  * The backfill adds each village's days with PostgreSQL's sum(), where SQLite's total() adds
--    with compensated summation: on existing cases the sums may differ in their last bits (the
--    pages show the averages rounded to one decimal). On an empty database both insert nothing.

-- What the dashboard and the inbox's tabs count, per village, kept up to date by triggers as cases
-- are filed, change state, are rated or reopened, so that no page counts a million cases (issue 18).
-- Each row holds the village's cases: how many, how many in each state, and the sums behind the
-- averages (days to the first response and to the resolution, ratings), the on-time resolutions
-- and the reopened cases. A change of a case takes its old values out and puts its new ones in.
-- Cases filed today and the 30-day chart are read from the created_at index instead.
CREATE TABLE case_summaries (
  village_id bigint PRIMARY KEY REFERENCES villages(id) ON DELETE CASCADE,
  total bigint NOT NULL DEFAULT 0,
  n_submitted bigint NOT NULL DEFAULT 0,
  n_accepted bigint NOT NULL DEFAULT 0,
  n_in_progress bigint NOT NULL DEFAULT 0,
  n_resolved bigint NOT NULL DEFAULT 0,
  n_closed bigint NOT NULL DEFAULT 0,
  n_rejected bigint NOT NULL DEFAULT 0,
  n_merged bigint NOT NULL DEFAULT 0,
  first_response_n bigint NOT NULL DEFAULT 0,
  first_response_days double precision NOT NULL DEFAULT 0,
  resolved_n bigint NOT NULL DEFAULT 0,
  resolution_days double precision NOT NULL DEFAULT 0,
  on_time bigint NOT NULL DEFAULT 0,
  rated_n bigint NOT NULL DEFAULT 0,
  rating_sum bigint NOT NULL DEFAULT 0,
  reopened bigint NOT NULL DEFAULT 0
);

-- SQLite's julianday() of a date and time text: the Julian day number as a double, or NULL.
CREATE FUNCTION julianday(t text) RETURNS double precision LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  p text[];
  y bigint; mo bigint; d bigint; a bigint; b bigint; x1 bigint; x2 bigint;
  h bigint; mi bigint; s bigint; tzh bigint; tzm bigint;
  ijd bigint;
  ms double precision := 0;
  scale double precision := 1;
BEGIN
  p := regexp_match(t, '^(-?)([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[\sT]*|[\sT]*([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?\s*(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))?\s*)$');
  IF p IS NULL THEN RETURN NULL; END IF;
  y := p[2]::bigint; mo := p[3]::bigint; d := p[4]::bigint;
  IF p[1] = '-' THEN y := -y; END IF;
  IF mo < 1 OR mo > 12 OR d < 1 OR d > 31 OR y < -4713 THEN RETURN NULL; END IF;
  IF mo <= 2 THEN y := y - 1; mo := mo + 12; END IF;
  -- integer divisions truncate toward zero, as in C
  a := y / 100;
  b := 2 - a + a / 4;
  x1 := 36525 * (y + 4716) / 100;
  x2 := 306001 * (mo + 1) / 10000;
  ijd := trunc(((x1 + x2 + d + b)::double precision - 1524.5) * 86400000)::bigint;
  IF p[5] IS NOT NULL THEN
    h := p[5]::bigint; mi := p[6]::bigint; s := coalesce(p[7], '0')::bigint;
    IF h > 24 OR mi > 59 OR s > 59 THEN RETURN NULL; END IF;
    IF p[8] IS NOT NULL THEN
      FOR i IN 1 .. length(p[8]) LOOP
        ms := ms * 10 + (ascii(substr(p[8], i, 1)) - 48);
        scale := scale * 10;
      END LOOP;
      ms := ms / scale;
      IF ms > 0.999 THEN ms := 0.999; END IF;
    END IF;
    ijd := ijd + h * 3600000 + mi * 60000 + trunc((s + ms) * 1000 + 0.5)::bigint;
    IF p[9] IS NOT NULL THEN
      tzh := p[10]::bigint; tzm := p[11]::bigint;
      IF tzh > 14 OR tzm > 59 THEN RETURN NULL; END IF;
      ijd := ijd - (CASE p[9] WHEN '-' THEN -1 ELSE 1 END) * (tzm + tzh * 60) * 60000;
    END IF;
  END IF;
  RETURN ijd::double precision / 86400000::double precision;
END;
$$;

INSERT INTO case_summaries (village_id, total, n_submitted, n_accepted, n_in_progress, n_resolved, n_closed, n_rejected, n_merged, first_response_n, first_response_days, resolved_n, resolution_days, on_time, rated_n, rating_sum, reopened)
SELECT c.village_id,
  count(*),
  sum((c.state = 'submitted')::int),
  sum((c.state = 'accepted')::int),
  sum((c.state = 'in_progress')::int),
  sum((c.state = 'resolved')::int),
  sum((c.state = 'closed')::int),
  sum((c.state = 'rejected')::int),
  sum((c.state = 'merged')::int),
  sum((c.first_responded_at IS NOT NULL)::int),
  sum(coalesce(julianday(c.first_responded_at) - julianday(c.created_at), 0)),
  sum((c.resolved_at IS NOT NULL)::int),
  sum(coalesce(julianday(c.resolved_at) - julianday(c.created_at), 0)),
  sum((c.resolved_at IS NOT NULL AND c.resolved_at COLLATE "C" <= c.resolution_due COLLATE "C")::int),
  sum((c.rating IS NOT NULL)::int),
  sum(coalesce(c.rating, 0)),
  sum((c.reopen_count > 0)::int)
FROM cases c GROUP BY c.village_id;

-- Adds one case's values to its village's row (sign 1), or takes them out (sign -1).
CREATE FUNCTION case_summaries_add(sign bigint, p_village_id bigint, p_state text, p_first_responded_at text, p_resolved_at text,
  p_resolution_due text, p_created_at text, p_rating bigint, p_reopen_count bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  fr double precision := coalesce(julianday(p_first_responded_at) - julianday(p_created_at), 0);
  rs double precision := coalesce(julianday(p_resolved_at) - julianday(p_created_at), 0);
BEGIN
  INSERT INTO case_summaries AS s (village_id, total, n_submitted, n_accepted, n_in_progress, n_resolved, n_closed, n_rejected, n_merged, first_response_n, first_response_days, resolved_n, resolution_days, on_time, rated_n, rating_sum, reopened) VALUES (p_village_id,
    sign,
    sign * (p_state = 'submitted')::int,
    sign * (p_state = 'accepted')::int,
    sign * (p_state = 'in_progress')::int,
    sign * (p_state = 'resolved')::int,
    sign * (p_state = 'closed')::int,
    sign * (p_state = 'rejected')::int,
    sign * (p_state = 'merged')::int,
    sign * (p_first_responded_at IS NOT NULL)::int,
    CASE WHEN sign < 0 THEN 0 - fr ELSE fr END,
    sign * (p_resolved_at IS NOT NULL)::int,
    CASE WHEN sign < 0 THEN 0 - rs ELSE rs END,
    sign * (p_resolved_at IS NOT NULL AND p_resolved_at COLLATE "C" <= p_resolution_due COLLATE "C")::int,
    sign * (p_rating IS NOT NULL)::int,
    sign * coalesce(p_rating, 0),
    sign * (p_reopen_count > 0)::int)
  ON CONFLICT (village_id) DO UPDATE SET
    total = s.total + excluded.total,
    n_submitted = s.n_submitted + excluded.n_submitted,
    n_accepted = s.n_accepted + excluded.n_accepted,
    n_in_progress = s.n_in_progress + excluded.n_in_progress,
    n_resolved = s.n_resolved + excluded.n_resolved,
    n_closed = s.n_closed + excluded.n_closed,
    n_rejected = s.n_rejected + excluded.n_rejected,
    n_merged = s.n_merged + excluded.n_merged,
    first_response_n = s.first_response_n + excluded.first_response_n,
    first_response_days = s.first_response_days + excluded.first_response_days,
    resolved_n = s.resolved_n + excluded.resolved_n,
    resolution_days = s.resolution_days + excluded.resolution_days,
    on_time = s.on_time + excluded.on_time,
    rated_n = s.rated_n + excluded.rated_n,
    rating_sum = s.rating_sum + excluded.rating_sum,
    reopened = s.reopened + excluded.reopened;
END;
$$;

-- A case filed, changed or deleted: its old values out (UPDATE, DELETE), its new ones in (INSERT, UPDATE).
CREATE FUNCTION case_summaries_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM case_summaries_add(-1, OLD.village_id, OLD.state, OLD.first_responded_at, OLD.resolved_at, OLD.resolution_due, OLD.created_at, OLD.rating, OLD.reopen_count);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM case_summaries_add(1, NEW.village_id, NEW.state, NEW.first_responded_at, NEW.resolved_at, NEW.resolution_due, NEW.created_at, NEW.rating, NEW.reopen_count);
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER case_summaries_insert AFTER INSERT ON cases FOR EACH ROW EXECUTE FUNCTION case_summaries_track();
CREATE TRIGGER case_summaries_delete AFTER DELETE ON cases FOR EACH ROW EXECUTE FUNCTION case_summaries_track();
CREATE TRIGGER case_summaries_update
  AFTER UPDATE OF village_id, state, first_responded_at, resolved_at, resolution_due, rating, reopen_count, created_at ON cases
  FOR EACH ROW EXECUTE FUNCTION case_summaries_track();
