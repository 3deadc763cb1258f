-- Question banks: occupation catalogue, shortage catalogues, standards, banks, items
-- with immutable versions and their review trail.

CREATE TABLE occupations (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    code              TEXT    NOT NULL,
    edition           INTEGER NOT NULL,
    name              TEXT    NOT NULL,
    name_en           TEXT,
    levels            TEXT    NOT NULL,  -- comma-separated, e.g. '5,4,3,2,1'
    certificate_kinds TEXT    NOT NULL,  -- comma-separated codes
    created_at_ms     INTEGER NOT NULL,
    UNIQUE (code, edition)
);

CREATE TABLE shortage_catalogues (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    valid_from    TEXT    NOT NULL,  -- YYYY-MM-DD
    valid_to      TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
);

CREATE TABLE shortage_entries (
    catalogue_id  INTEGER NOT NULL REFERENCES shortage_catalogues (id),
    occupation_id INTEGER NOT NULL REFERENCES occupations (id),
    PRIMARY KEY (catalogue_id, occupation_id)
);

-- 认定要素细目表 per occupation × level × mode; `content` is the JSON area tree.
CREATE TABLE standards (
    occupation_id INTEGER NOT NULL REFERENCES occupations (id),
    level         INTEGER NOT NULL,
    mode          TEXT    NOT NULL CHECK (mode IN ('theory', 'skills')),
    content       TEXT    NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (occupation_id, level, mode)
);

CREATE TABLE banks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    occupation_id INTEGER NOT NULL REFERENCES occupations (id),
    org_id        INTEGER NOT NULL REFERENCES organisations (id),
    name          TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

-- Bodies that may use a bank for paper assembly without seeing its keys.
CREATE TABLE bank_shares (
    bank_id INTEGER NOT NULL REFERENCES banks (id),
    body_id INTEGER NOT NULL REFERENCES organisations (id),
    PRIMARY KEY (bank_id, body_id)
);

CREATE TABLE items (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    bank_id        INTEGER NOT NULL REFERENCES banks (id),
    external_id    TEXT    NOT NULL,
    level          INTEGER NOT NULL,
    mode           TEXT    NOT NULL,
    point_code     TEXT    NOT NULL,
    item_type      TEXT    NOT NULL,
    difficulty     INTEGER NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('draft', 'in_review', 'active', 'retired')),
    latest_version INTEGER NOT NULL,
    -- The version used for assembly: the last approved one (NULL until approved).
    active_version INTEGER,
    dup_key        TEXT    NOT NULL,
    stem_text      TEXT    NOT NULL,  -- plain text of the latest stem, for search and lists
    created_at_ms  INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL,
    UNIQUE (bank_id, external_id)
);
CREATE INDEX items_pool ON items (bank_id, level, mode, point_code, status);
CREATE INDEX items_dup ON items (bank_id, dup_key);

-- Immutable: an edit adds a version; anything that used a version keeps pointing at it.
CREATE TABLE item_versions (
    item_id       INTEGER NOT NULL REFERENCES items (id),
    version       INTEGER NOT NULL,
    content       TEXT    NOT NULL,  -- JSON of the item content, key included
    created_by    INTEGER REFERENCES users (id),
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (item_id, version)
);

CREATE TABLE item_reviews (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id     INTEGER NOT NULL REFERENCES items (id),
    version     INTEGER NOT NULL,
    actor_id    INTEGER REFERENCES users (id),
    action      TEXT    NOT NULL,
    comment     TEXT,
    at_ms       INTEGER NOT NULL
);
CREATE INDEX item_reviews_item ON item_reviews (item_id, id);
