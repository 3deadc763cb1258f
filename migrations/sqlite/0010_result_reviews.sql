-- Reviews of published results (成绩复核, DESIGN §3.5): asked for by the candidate within
-- the review window (once), or opened officially at any time; decided by someone who did
-- not examine the candidate. A changed result carries its adjustment in points; results
-- are derived with the sum of them.
CREATE TABLE result_reviews (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id       INTEGER NOT NULL REFERENCES plans (id),
    candidate_id  INTEGER NOT NULL REFERENCES candidates (id),
    -- Opened by the regulator or the body (复查, e.g. after an inspection), at any time.
    official      BOOLEAN NOT NULL DEFAULT FALSE,
    reason        TEXT    NOT NULL,
    filed_at_ms   INTEGER NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('open', 'upheld', 'changed')),
    reviewer_id   INTEGER REFERENCES users (id),
    decision      TEXT,
    adjustment    REAL    NOT NULL DEFAULT 0,
    decided_at_ms INTEGER
);
CREATE INDEX result_reviews_plan ON result_reviews (plan_id, id);
CREATE UNIQUE INDEX result_reviews_one_open ON result_reviews (candidate_id) WHERE status = 'open';
CREATE UNIQUE INDEX result_reviews_one_request ON result_reviews (candidate_id) WHERE NOT official;
