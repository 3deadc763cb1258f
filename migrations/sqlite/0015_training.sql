-- Training hours and credits in the skills record (DESIGN §3.7): courses a training
-- (or evaluation) body recorded for a person. Sums are derived, never stored.
CREATE TABLE training_records (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id      INTEGER NOT NULL REFERENCES people (id),
    body_id        INTEGER NOT NULL REFERENCES organisations (id),
    course         TEXT    NOT NULL,
    occupation_code TEXT,
    hours          REAL    NOT NULL CHECK (hours > 0),
    credits        REAL    NOT NULL CHECK (credits >= 0),
    completed_on   TEXT    NOT NULL,
    recorded_by    INTEGER NOT NULL REFERENCES users (id),
    recorded_at_ms INTEGER NOT NULL
);
CREATE INDEX training_records_person ON training_records (person_id);
CREATE INDEX training_records_body ON training_records (body_id, id);
