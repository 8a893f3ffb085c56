-- PostgreSQL translation of db/migrations/008_case_indexes.sql. The same indexes; PostgreSQL wants
-- each expression of an index in parentheses. Whether the planner uses an expression index depends
-- on the query's expression being written the same way, in both engines.

-- Indexes for reading cases at city scale (issue 18).

-- The inbox of open cases (待办) in the order it shows them: by the deadline that matters now (the
-- first response while none was given, then the resolution; the same expression as the inbox's
-- ORDER BY, so the planner can match it), newest first among equals. The village comes last so
-- that the scope is checked from the index, without reading the case.
CREATE INDEX cases_open_due ON cases(
  ((CASE WHEN state NOT IN ('submitted', 'accepted', 'in_progress') THEN NULL
    WHEN first_responded_at IS NULL THEN first_response_due ELSE resolution_due END) IS NULL),
  ((CASE WHEN state NOT IN ('submitted', 'accepted', 'in_progress') THEN NULL
    WHEN first_responded_at IS NULL THEN first_response_due ELSE resolution_due END)),
  id DESC,
  village_id
) WHERE state IN ('submitted', 'accepted', 'in_progress');

-- The dashboard's 30-day chart: the cases filed since a day, with their village, from the index
-- alone. It replaces the index on created_at, which it starts with.
CREATE INDEX cases_created_village ON cases(created_at, village_id);
DROP INDEX cases_created;

-- Auto-close: resolved cases by the time they were resolved (a small part of all cases).
CREATE INDEX cases_resolved_to_close ON cases(resolved_at) WHERE state = 'resolved';
