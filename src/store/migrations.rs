//! Migrations embedded in the binary, one list per dialect with the same file names so a
//! reviewer diffs one change across dialects by name (as vaultwarden does). They run
//! through sqlx's migrator, which records versions and checksums.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

macro_rules! embedded {
    ($dir:literal: $($version:literal $name:literal),* $(,)?) => {
        &[$(($version, $name, include_str!(concat!("../../migrations/", $dir, "/", $name, ".sql")))),*]
    };
}

const SQLITE: &[(i64, &str, &str)] = embedded!("sqlite": 1 "0001_foundation", 2 "0002_banks", 3 "0003_exams", 4 "0004_attempt_papers", 5 "0005_throttle_relations_rooms", 6 "0006_password_chosen_keyed_audit", 7 "0007_proctor_log_marks", 8 "0008_results_certificates", 9 "0009_marking", 10 "0010_result_reviews", 11 "0011_paper_draws", 12 "0012_subsidies", 13 "0013_credit", 14 "0014_item_responses", 15 "0015_training", 16 "0016_plan_components");
const POSTGRES: &[(i64, &str, &str)] = embedded!("postgres": 1 "0001_foundation", 2 "0002_banks", 3 "0003_exams", 4 "0004_attempt_papers", 5 "0005_throttle_relations_rooms", 6 "0006_password_chosen_keyed_audit", 7 "0007_proctor_log_marks", 8 "0008_results_certificates", 9 "0009_marking", 10 "0010_result_reviews", 11 "0011_paper_draws", 12 "0012_subsidies", 13 "0013_credit", 14 "0014_item_responses", 15 "0015_training", 16 "0016_plan_components");

fn migrator(files: &'static [(i64, &'static str, &'static str)]) -> Migrator {
    let migrations = files
        .iter()
        .map(|(version, name, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*name),
                MigrationType::Simple,
                Cow::Borrowed(*sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

pub fn sqlite() -> Migrator {
    migrator(SQLITE)
}

pub fn postgres() -> Migrator {
    migrator(POSTGRES)
}
