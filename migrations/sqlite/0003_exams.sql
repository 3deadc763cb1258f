-- Assessment plans and theory-exam delivery (DESIGN §3.4).
-- Times are milliseconds since the Unix epoch (UTC) in both dialects.

CREATE TABLE plans (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    body_id             INTEGER NOT NULL REFERENCES organisations (id),
    occupation_id       INTEGER NOT NULL REFERENCES occupations (id),
    level               INTEGER NOT NULL,
    bank_id             INTEGER NOT NULL REFERENCES banks (id),
    name                TEXT    NOT NULL,
    exam_date           TEXT    NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('pending_approval', 'open', 'roster_closed', 'closed')),
    template            TEXT    NOT NULL,  -- JSON of the plan's paper template
    created_by          INTEGER REFERENCES users (id),
    created_at_ms       INTEGER NOT NULL,
    approved_by         INTEGER REFERENCES users (id),
    approved_at_ms      INTEGER,
    roster_closed_at_ms INTEGER
);
CREATE INDEX plans_body ON plans (body_id, id);

-- A sitting of the plan in one room at one time.
CREATE TABLE plan_sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id       INTEGER NOT NULL REFERENCES plans (id),
    room_id       INTEGER NOT NULL REFERENCES organisations (id),
    starts_at_ms  INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    UNIQUE (plan_id, room_id, starts_at_ms)
);

CREATE TABLE session_staff (
    session_id     INTEGER NOT NULL REFERENCES plan_sessions (id),
    user_id        INTEGER NOT NULL REFERENCES users (id),
    role           TEXT    NOT NULL,
    assigned_by    INTEGER REFERENCES users (id),
    assigned_at_ms INTEGER NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX session_staff_user ON session_staff (user_id);

CREATE TABLE plan_inspectors (
    plan_id        INTEGER NOT NULL REFERENCES plans (id),
    user_id        INTEGER NOT NULL REFERENCES users (id),
    assigned_by    INTEGER REFERENCES users (id),
    assigned_at_ms INTEGER NOT NULL,
    PRIMARY KEY (plan_id, user_id)
);
CREATE INDEX plan_inspectors_user ON plan_inspectors (user_id);

-- Relations staff declared to people (回避).
CREATE TABLE staff_relations (
    user_id        INTEGER NOT NULL REFERENCES users (id),
    person_id      INTEGER NOT NULL REFERENCES people (id),
    relation       TEXT    NOT NULL,
    declared_at_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, person_id, relation)
);

-- The roster: one row per candidate and plan, with seat and admission number.
CREATE TABLE candidates (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id         INTEGER NOT NULL REFERENCES plans (id),
    session_id      INTEGER NOT NULL REFERENCES plan_sessions (id),
    person_id       INTEGER NOT NULL REFERENCES people (id),
    admission_no    TEXT    NOT NULL UNIQUE,
    seat            INTEGER NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    UNIQUE (plan_id, person_id),
    UNIQUE (session_id, seat)
);
CREATE INDEX candidates_person ON candidates (person_id);

-- One sitting of one paper. The paper (item versions, order, option order, seed) is
-- fixed when it is generated; status and clock change as the proctor and candidate act.
CREATE TABLE attempts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    candidate_id     INTEGER NOT NULL UNIQUE REFERENCES candidates (id),
    plan_id          INTEGER NOT NULL REFERENCES plans (id),
    session_id       INTEGER NOT NULL REFERENCES plan_sessions (id),
    seed             INTEGER NOT NULL,
    paper            TEXT    NOT NULL,
    item_count       INTEGER NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('ready', 'admitted', 'in_progress', 'paused', 'submitted', 'terminated')),
    duration_ms      INTEGER NOT NULL,
    admitted_at_ms   INTEGER,
    started_at_ms    INTEGER,
    deadline_ms      INTEGER,
    paused_at_ms     INTEGER,
    extension_ms     INTEGER NOT NULL DEFAULT 0,
    submitted_at_ms  INTEGER,
    submit_reason    TEXT,
    created_at_ms    INTEGER NOT NULL
);
CREATE INDEX attempts_session ON attempts (session_id);
CREATE INDEX attempts_running ON attempts (status, deadline_ms);

-- The last acknowledged answer per paper position; `seq` is the attempt's sequence
-- number of the change that wrote it (an older sequence never overwrites a newer one).
CREATE TABLE answers (
    attempt_id  INTEGER NOT NULL REFERENCES attempts (id),
    position    INTEGER NOT NULL,
    answer      TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    saved_at_ms INTEGER NOT NULL,
    PRIMARY KEY (attempt_id, position)
);

-- Saves the server refused (after the deadline, while paused…), kept for the record.
CREATE TABLE save_refusals (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id INTEGER NOT NULL REFERENCES attempts (id),
    seq        INTEGER NOT NULL,
    reason     TEXT    NOT NULL,
    at_ms      INTEGER NOT NULL
);
CREATE INDEX save_refusals_attempt ON save_refusals (attempt_id);

-- Candidates' exam-day sessions (admission number + ID number; no password).
CREATE TABLE exam_sessions (
    token_hash    TEXT    PRIMARY KEY,
    candidate_id  INTEGER NOT NULL REFERENCES candidates (id),
    csrf_token    TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX exam_sessions_candidate ON exam_sessions (candidate_id);

-- How often each item has been put on a paper (exposure cap, DESIGN §3.3).
CREATE TABLE item_exposure (
    item_id INTEGER PRIMARY KEY REFERENCES items (id),
    shown   INTEGER NOT NULL
);

-- Proctor actions, for the live console and the inspectors (also in the audit log).
CREATE TABLE proctor_actions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id    INTEGER NOT NULL REFERENCES plans (id),
    session_id INTEGER NOT NULL REFERENCES plan_sessions (id),
    attempt_id INTEGER REFERENCES attempts (id),
    actor_id   INTEGER REFERENCES users (id),
    action     TEXT    NOT NULL,
    detail     TEXT    NOT NULL,
    at_ms      INTEGER NOT NULL
);
CREATE INDEX proctor_actions_plan ON proctor_actions (plan_id, id);

CREATE TABLE irregularities (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id  INTEGER NOT NULL REFERENCES attempts (id),
    recorded_by INTEGER REFERENCES users (id),
    description TEXT    NOT NULL,
    outcome     TEXT    NOT NULL CHECK (outcome IN ('warning', 'deduction', 'void')),
    points      REAL    NOT NULL DEFAULT 0,
    at_ms       INTEGER NOT NULL
);
CREATE INDEX irregularities_attempt ON irregularities (attempt_id);

-- Inspection findings: the evidence the credit ledger (DESIGN §3.8) is built on.
CREATE TABLE findings (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id    INTEGER NOT NULL REFERENCES plans (id),
    body_id    INTEGER NOT NULL REFERENCES organisations (id),
    subject    TEXT    NOT NULL CHECK (subject IN ('body', 'proctor', 'session')),
    subject_id INTEGER NOT NULL,
    category   TEXT    NOT NULL,
    severity   TEXT    NOT NULL,
    evidence   TEXT    NOT NULL,
    filed_by   INTEGER REFERENCES users (id),
    at_ms      INTEGER NOT NULL
);
CREATE INDEX findings_body ON findings (body_id, id);
CREATE INDEX findings_plan ON findings (plan_id, id);
