-- The outcome of an irregularity in the proctor log gets its own column, so the log
-- shows it in the reader's language; the detail keeps the proctor's description only.
ALTER TABLE proctor_actions ADD COLUMN outcome TEXT;
UPDATE proctor_actions
   SET outcome = split_part(detail, ': ', 1),
       detail = substr(detail, strpos(detail, ': ') + 2)
 WHERE action = 'irregularity' AND strpos(detail, ': ') > 0;

-- The questions a candidate marked to come back to: kept with the attempt, so they
-- follow the candidate to another computer.
CREATE TABLE attempt_marks (
    attempt_id BIGINT NOT NULL REFERENCES attempts (id),
    position   BIGINT NOT NULL,
    PRIMARY KEY (attempt_id, position)
);
