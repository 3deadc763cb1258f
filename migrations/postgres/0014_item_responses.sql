-- Item analysis (DESIGN §3.8): each scored attempt's compact response record (item,
-- share of points, options chosen; domain::stats::encode), written with the score in
-- the same transaction, so statistics over 100,000 attempts read 100,000 small values.
-- NULL for attempts scored before this column existed.
ALTER TABLE attempt_scores ADD COLUMN responses BYTEA;
