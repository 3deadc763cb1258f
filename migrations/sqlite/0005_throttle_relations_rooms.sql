-- Login throttling counts staff sign-in and exam-day login apart (domain::throttle), so
-- an exam hall behind one address never locks staff out and each scope has its own
-- limits. The table holds every attempt (recorded before the credentials are checked),
-- so it is named for that. Exam-day keys lose their old "exam:" prefix.
ALTER TABLE login_failures RENAME TO login_attempts;
ALTER TABLE login_attempts ADD COLUMN scope TEXT NOT NULL DEFAULT 'staff';
UPDATE login_attempts SET scope = 'exam', login = substr(login, 6) WHERE login LIKE 'exam:%';
DROP INDEX login_failures_login;
DROP INDEX login_failures_address;
CREATE INDEX login_attempts_key ON login_attempts (scope, login, at_ms);
CREATE INDEX login_attempts_address ON login_attempts (scope, address, at_ms);
CREATE INDEX login_attempts_at ON login_attempts (at_ms);

-- Relations staff declare (回避) are kept by the document's keyed look-up hash: a
-- declaration never creates or renames anyone's real-name record, and recusal matches
-- candidates by the same hash.
CREATE TABLE declared_relations (
    user_id         INTEGER NOT NULL REFERENCES users (id),
    document_lookup TEXT    NOT NULL,
    relation        TEXT    NOT NULL,
    declared_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (user_id, document_lookup, relation)
);
INSERT INTO declared_relations (user_id, document_lookup, relation, declared_at_ms)
    SELECT r.user_id, p.document_lookup, r.relation, r.declared_at_ms
    FROM staff_relations r JOIN people p ON p.id = r.person_id;
DROP TABLE staff_relations;

-- A room has a number of seats; a session's roster may not exceed it.
ALTER TABLE organisations ADD COLUMN capacity INTEGER;
