-- The outcome of an irregularity in the proctor log gets its own column, so the log
-- shows it in the reader's language; the detail keeps the proctor's description only.
ALTER TABLE proctor_actions ADD COLUMN outcome TEXT;
UPDATE proctor_actions
   SET outcome = substr(detail, 1, instr(detail, ': ') - 1),
       detail = substr(detail, instr(detail, ': ') + 2)
 WHERE action = 'irregularity' AND instr(detail, ': ') > 0;

-- The questions a candidate marked to come back to: kept with the attempt, so they
-- follow the candidate to another computer.
CREATE TABLE attempt_marks (
    attempt_id INTEGER NOT NULL REFERENCES attempts (id),
    position   INTEGER NOT NULL,
    PRIMARY KEY (attempt_id, position)
);
