-- Foundation: organisations, people, accounts, sessions, login throttling, audit log.
-- Times are milliseconds since the Unix epoch (UTC) in both dialects.

CREATE TABLE organisations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL CHECK (kind IN ('regulator', 'body', 'test_site', 'room')),
    parent_id     INTEGER REFERENCES organisations (id),
    body_id       INTEGER REFERENCES organisations (id),
    name          TEXT    NOT NULL,
    name_en       TEXT,
    body_type     TEXT,
    body_code     TEXT,
    province_code TEXT,
    site_code     TEXT,
    address       TEXT,
    status        TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'exited')),
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX organisations_parent ON organisations (parent_id);
CREATE INDEX organisations_body ON organisations (body_id);
CREATE UNIQUE INDEX organisations_sibling_name ON organisations (parent_id, name);

CREATE TABLE body_scope (
    body_id            INTEGER NOT NULL REFERENCES organisations (id),
    occupation_code    TEXT    NOT NULL,
    occupation_edition INTEGER NOT NULL,
    level              INTEGER NOT NULL,  -- 0 for certificate kinds without levels
    certificate_kind   TEXT    NOT NULL,
    PRIMARY KEY (body_id, occupation_code, occupation_edition, level, certificate_kind)
);

CREATE TABLE people (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT    NOT NULL,
    document_type     TEXT    NOT NULL,
    document_cipher   BLOB    NOT NULL,
    document_lookup   TEXT    NOT NULL UNIQUE,
    document_masked   TEXT    NOT NULL,
    sex               TEXT,
    birth_date        TEXT,
    created_at_ms     INTEGER NOT NULL
);

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    login                TEXT    NOT NULL UNIQUE,
    display_name         TEXT    NOT NULL,
    password_hash        TEXT    NOT NULL,
    org_id               INTEGER NOT NULL REFERENCES organisations (id),
    person_id            INTEGER UNIQUE REFERENCES people (id),
    active               BOOLEAN NOT NULL DEFAULT TRUE,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    created_at_ms        INTEGER NOT NULL
);
CREATE INDEX users_org ON users (org_id);

CREATE TABLE role_assignments (
    user_id       INTEGER NOT NULL REFERENCES users (id),
    role          TEXT    NOT NULL,
    org_id        INTEGER NOT NULL REFERENCES organisations (id),
    granted_by    INTEGER REFERENCES users (id),
    granted_at_ms INTEGER NOT NULL,
    PRIMARY KEY (user_id, role, org_id)
);
CREATE INDEX role_assignments_org ON role_assignments (org_id);

CREATE TABLE sessions (
    token_hash     TEXT    PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    csrf_token     TEXT    NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    last_seen_ms   INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES users (id),
    name          TEXT    NOT NULL,
    token_hash    TEXT    NOT NULL UNIQUE,
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    revoked       BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE login_failures (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    login   TEXT    NOT NULL,
    address TEXT    NOT NULL,
    at_ms   INTEGER NOT NULL
);
CREATE INDEX login_failures_login ON login_failures (login, at_ms);
CREATE INDEX login_failures_address ON login_failures (address, at_ms);

CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,
    at_ms         INTEGER NOT NULL,
    actor_user_id INTEGER,
    actor         TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    object_type   TEXT    NOT NULL,
    object_id     TEXT    NOT NULL,
    org_id        INTEGER,
    details       TEXT    NOT NULL,
    prev_hash     TEXT    NOT NULL,
    hash          TEXT    NOT NULL
);
CREATE INDEX audit_log_org ON audit_log (org_id, seq);

-- The end of the chain, kept apart so that removing the newest entries is detected.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
