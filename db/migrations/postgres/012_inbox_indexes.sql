-- PostgreSQL translation of db/migrations/012_inbox_indexes.sql. The same indexes; nothing here
-- differs in meaning.

-- Indexes for the inbox's tabs and the assign list at city scale (issue 18).

-- The tabs of the rare states (不予受理, 已合并), newest first: their cases in id order, without
-- walking a million others. (Partial, so that no other query is tempted by an index on state.)
CREATE INDEX cases_rejected ON cases(state) WHERE state = 'rejected';
CREATE INDEX cases_merged ON cases(state) WHERE state = 'merged';

-- The assign list: who serves a village, found from the village (its code, its township's code,
-- the cadres of the village), never by reading every user.
CREATE INDEX user_scopes_level_code ON user_scopes(level, code);
CREATE INDEX users_cadre ON users(cadre_id);
