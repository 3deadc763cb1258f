-- Credit ledgers of evaluation bodies and assessors (DESIGN §3.8). Each event cites a
-- rule of the configured catalogue (its points and hard-exit flag copied at the time,
-- so a later catalogue change never rewrites history), the evidence and the officer.
-- Score, grade and standing are derived from these rows (domain::credit), never stored.
CREATE TABLE credit_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    subject_kind   TEXT    NOT NULL CHECK (subject_kind IN ('body', 'assessor')),
    subject_id     INTEGER NOT NULL,
    -- The body whose admins see the event: the body itself, or the body an assessor
    -- served at when the event arose (NULL when none).
    body_id        INTEGER REFERENCES organisations (id),
    year           INTEGER NOT NULL,
    rule_code      TEXT    NOT NULL,
    points         INTEGER NOT NULL,
    hard_exit      BOOLEAN NOT NULL,
    note           TEXT    NOT NULL,
    -- JSON list of {"kind": "finding"|"irregularity"|"audit"|"plan"|"certificate", "id": n}.
    evidence       TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('proposed', 'confirmed', 'rejected', 'reversed')),
    plan_id        INTEGER REFERENCES plans (id),
    proposed_by    INTEGER NOT NULL REFERENCES users (id),
    proposed_at_ms INTEGER NOT NULL,
    decided_by     INTEGER REFERENCES users (id),
    decided_at_ms  INTEGER,
    decision_note  TEXT
);
CREATE INDEX credit_events_subject ON credit_events (subject_kind, subject_id);
CREATE INDEX credit_events_body ON credit_events (body_id);

-- Appeals against confirmed events: upheld reverses the event.
CREATE TABLE credit_appeals (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      INTEGER NOT NULL REFERENCES credit_events (id),
    filed_by      INTEGER NOT NULL REFERENCES users (id),
    reason        TEXT    NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('open', 'upheld', 'dismissed')),
    filed_at_ms   INTEGER NOT NULL,
    decided_by    INTEGER REFERENCES users (id),
    decided_at_ms INTEGER,
    decision_note TEXT
);
CREATE UNIQUE INDEX credit_appeals_one_open ON credit_appeals (event_id) WHERE status = 'open';

-- Bodies suspended or exited by hand before the ledger existed keep that standing: the
-- ledger is the only source now, so the old status becomes a confirmed event (a hard
-- exit, or a deduction to grade D for the current year), recorded by the first
-- regulator admin with the reason spelled out.
INSERT INTO credit_events (subject_kind, subject_id, body_id, year, rule_code, points,
    hard_exit, note, evidence, status, proposed_by, proposed_at_ms, decided_by, decided_at_ms)
SELECT 'body', o.id, o.id, CAST(strftime('%Y', 'now') AS INTEGER), 'M01',
    CASE o.status WHEN 'exited' THEN 0 ELSE -41 END, o.status = 'exited',
    '信用档案建立前的机构状态：' || CASE o.status WHEN 'exited' THEN '已退出' ELSE '暂停' END,
    '[]', 'confirmed', u.id, CAST(strftime('%s', 'now') AS INTEGER) * 1000, u.id,
    CAST(strftime('%s', 'now') AS INTEGER) * 1000
FROM organisations o, (SELECT MIN(id) AS id FROM users) u
WHERE o.kind = 'body' AND o.status IN ('exited', 'suspended') AND u.id IS NOT NULL;
