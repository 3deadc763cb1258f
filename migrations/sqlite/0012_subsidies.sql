-- Granted certificate-based subsidies (DESIGN §3.7): the ledger the eligibility rules
-- read. One subsidy per certificate; the payee may be the person, an employer or a
-- training body (all count against the person's yearly cap).
CREATE TABLE subsidy_grants (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id       INTEGER NOT NULL REFERENCES people (id),
    certificate_id  INTEGER NOT NULL UNIQUE REFERENCES certificates (id),
    occupation_code TEXT    NOT NULL,
    level           INTEGER,
    year            INTEGER NOT NULL,
    amount_cents    INTEGER NOT NULL,
    payee           TEXT    NOT NULL CHECK (payee IN ('person', 'employer', 'training_body')),
    payee_name      TEXT    NOT NULL,
    granted_by      INTEGER NOT NULL REFERENCES users (id),
    granted_at_ms   INTEGER NOT NULL
);
CREATE INDEX subsidy_grants_person ON subsidy_grants (person_id);
-- Never twice for one occupation and level, also when two officers grant at once.
CREATE UNIQUE INDEX subsidy_grants_once ON subsidy_grants (person_id, occupation_code, COALESCE(level, 0));
