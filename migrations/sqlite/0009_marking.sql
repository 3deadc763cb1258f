-- Panel marking (DESIGN §3.4, §3.5): assessors' qualifications, panel leaders, the
-- assessors' marks (immutable once submitted: a correction is a new row that a second
-- person approves) and arbitrations. Assessors sit in session_staff with role 'assessor'.

CREATE TABLE assessor_qualifications (
    user_id         INTEGER NOT NULL REFERENCES users (id),
    occupation_code TEXT    NOT NULL,
    highest_level   INTEGER NOT NULL,
    valid_until     TEXT    NOT NULL,
    granted_by      INTEGER REFERENCES users (id),
    granted_at_ms   INTEGER NOT NULL,
    PRIMARY KEY (user_id, occupation_code)
);

-- The assessor who arbitrates for a session's panel.
CREATE TABLE panel_leaders (
    session_id INTEGER PRIMARY KEY REFERENCES plan_sessions (id),
    user_id    INTEGER NOT NULL REFERENCES users (id)
);

CREATE TABLE marks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id  INTEGER NOT NULL REFERENCES attempts (id),
    position    INTEGER NOT NULL,
    assessor_id INTEGER NOT NULL REFERENCES users (id),
    elements    TEXT    NOT NULL,  -- JSON: points per rubric element, vetoed elements
    points      REAL    NOT NULL,
    veto        BOOLEAN NOT NULL,
    note        TEXT    NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('active', 'proposed', 'superseded', 'rejected')),
    supersedes  INTEGER REFERENCES marks (id),
    reason      TEXT,
    decided_by  INTEGER REFERENCES users (id),
    at_ms       INTEGER NOT NULL
);
CREATE UNIQUE INDEX marks_one_active ON marks (attempt_id, position, assessor_id) WHERE status = 'active';
CREATE UNIQUE INDEX marks_one_proposal ON marks (supersedes) WHERE status = 'proposed';
CREATE INDEX marks_attempt ON marks (attempt_id, position);

CREATE TABLE arbitrations (
    attempt_id    INTEGER NOT NULL REFERENCES attempts (id),
    position      INTEGER NOT NULL,
    arbitrator_id INTEGER NOT NULL REFERENCES users (id),
    points        REAL    NOT NULL,
    veto          BOOLEAN NOT NULL,
    reason        TEXT    NOT NULL,
    at_ms         INTEGER NOT NULL,
    PRIMARY KEY (attempt_id, position)
);
