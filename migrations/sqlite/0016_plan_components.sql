-- The component a plan assesses (DESIGN §3.5): theory (sat online), skills or review
-- (tasks at stations for an assessor panel). Earlier plans are theory plans.
ALTER TABLE plans ADD COLUMN component TEXT NOT NULL DEFAULT 'theory'
    CHECK (component IN ('theory', 'skills', 'review'));
