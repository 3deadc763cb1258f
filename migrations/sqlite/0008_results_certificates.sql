-- Results and certificates (DESIGN §3.5, §3.6).
-- Times are milliseconds since the Unix epoch (UTC) in both dialects.

-- A submitted attempt's automatic score, written once (a replayed scoring changes
-- nothing), with its per-position breakdown as JSON (`[[points, max, outcome], …]`): one
-- row per attempt keeps scoring a plan of 10,000 attempts × 100 items to 10,000 rows.
CREATE TABLE attempt_scores (
    attempt_id   INTEGER PRIMARY KEY REFERENCES attempts (id),
    points       REAL NOT NULL,
    max_points   REAL NOT NULL,
    pending      INTEGER NOT NULL,
    breakdown    TEXT    NOT NULL,
    scored_at_ms INTEGER NOT NULL
);

-- The scorer looks for attempts finished recently (all final states set this time).
CREATE INDEX attempts_submitted ON attempts (submitted_at_ms);

-- The positions waiting for assessors (short answers, essays, practical tasks): the
-- marking queue reads them.
CREATE TABLE attempt_item_scores (
    attempt_id INTEGER NOT NULL REFERENCES attempts (id),
    position   INTEGER NOT NULL,
    points     REAL NOT NULL,
    max_points REAL NOT NULL,
    outcome    TEXT    NOT NULL CHECK (outcome IN ('correct', 'partial', 'wrong', 'blank', 'pending')),
    PRIMARY KEY (attempt_id, position)
);

-- Publication of a plan's results and the end of its review window (成绩复核).
-- Results themselves are derived from scores and irregularities, never stored as an
-- editable number.
CREATE TABLE result_publications (
    plan_id         INTEGER PRIMARY KEY REFERENCES plans (id),
    published_by    INTEGER REFERENCES users (id),
    published_at_ms INTEGER NOT NULL,
    review_until_ms INTEGER NOT NULL
);

-- A request to issue a plan's certificates, decided by a second body admin.
CREATE TABLE issuance_requests (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id         INTEGER NOT NULL REFERENCES plans (id),
    requested_by    INTEGER NOT NULL REFERENCES users (id),
    requested_at_ms INTEGER NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by      INTEGER REFERENCES users (id),
    decided_at_ms   INTEGER,
    issued          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX issuance_requests_plan ON issuance_requests (plan_id, id);
-- At most one request waits per plan.
CREATE UNIQUE INDEX issuance_requests_pending ON issuance_requests (plan_id) WHERE status = 'pending';

-- The next serial per body, kind, year and level: taken and advanced inside the issuing
-- transaction, so concurrent issuance never repeats or skips a number.
CREATE TABLE certificate_serials (
    body_id INTEGER NOT NULL REFERENCES organisations (id),
    kind    TEXT    NOT NULL,
    year    INTEGER NOT NULL,
    level   INTEGER NOT NULL,  -- 0 for kinds without levels
    next    INTEGER NOT NULL,
    PRIMARY KEY (body_id, kind, year, level)
);

CREATE TABLE certificates (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    number               TEXT    NOT NULL UNIQUE,
    kind                 TEXT    NOT NULL,
    body_id              INTEGER NOT NULL REFERENCES organisations (id),
    plan_id              INTEGER NOT NULL REFERENCES plans (id),
    candidate_id         INTEGER NOT NULL UNIQUE REFERENCES candidates (id),
    person_id            INTEGER NOT NULL REFERENCES people (id),
    occupation_id        INTEGER NOT NULL REFERENCES occupations (id),
    level                INTEGER,
    score                REAL    NOT NULL,
    -- Special operation certificates: the date of the next review (YYYY-MM-DD).
    review_due           TEXT,
    issued_at_ms         INTEGER NOT NULL,
    request_id           INTEGER NOT NULL REFERENCES issuance_requests (id),
    status               TEXT    NOT NULL CHECK (status IN ('valid', 'suspended', 'revoked')),
    status_reason        TEXT,
    status_changed_by    INTEGER REFERENCES users (id),
    status_changed_at_ms INTEGER
);
CREATE INDEX certificates_person ON certificates (person_id);
CREATE INDEX certificates_plan ON certificates (plan_id);
