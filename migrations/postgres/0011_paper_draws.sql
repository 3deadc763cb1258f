-- What each paper was drawn from, so anyone auditing can draw it again from the recorded
-- seed and compare (DESIGN §3.3: reproducible papers): per plan the standard and the
-- pool in the order assembly read it, per attempt the items that were not eligible
-- then (seen before, or over the exposure cap). Attempts from before this have none.
CREATE TABLE plan_draws (
    plan_id     BIGINT PRIMARY KEY REFERENCES plans (id),
    standard    TEXT    NOT NULL,
    pool        TEXT    NOT NULL,
    drawn_at_ms BIGINT NOT NULL
);
ALTER TABLE attempt_papers ADD COLUMN excluded TEXT;
