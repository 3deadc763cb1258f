//! Readers and writers of question-bank files (DESIGN §4, layer 2): pure functions from
//! bytes to domain types and back, with line or element positions in every error.
//!
//! The formats themselves (own TOML, QTI 3.0/2.1, Moodle XML, GIFT, Aiken, CSV, XLSX)
//! arrive with the question-bank capability (issue 3); this module is where they live.
