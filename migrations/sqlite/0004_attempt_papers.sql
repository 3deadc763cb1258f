-- The paper moves out of the attempt row. The row is the attempt's clock and is
-- rewritten on every start, pause and submit and read by every answer save; with a
-- paper of several kilobytes inside it, each of those rewrote or walked the paper's
-- overflow pages (on SQLite the status and deadline columns sat behind it). Measured:
-- a start burst spent 100–300 µs per start in the writer before this change.
-- Stop every server process before upgrading: older ones still read attempts.paper.
CREATE TABLE attempt_papers (
    attempt_id INTEGER NOT NULL PRIMARY KEY REFERENCES attempts (id),
    paper      TEXT    NOT NULL
);
INSERT INTO attempt_papers (attempt_id, paper) SELECT id, paper FROM attempts;
ALTER TABLE attempts DROP COLUMN paper;
