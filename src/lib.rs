//! skillcert — vocational skills assessment and question-bank examination system
//! (职业技能评价与题库考试系统).
//!
//! Layers (DESIGN §4), each using only those below it:
//! [`domain`] (pure rules) → [`formats`] (bank files) → [`store`] (persistence) →
//! [`app`] (the use cases) → [`web`] and [`cli`] (thin edges). [`config`] and
//! [`crypto`] serve every layer above the domain.
#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod formats;
pub mod store;
pub mod synth;
pub mod web;

/// Milliseconds since the Unix epoch by the server's clock: the clock that decides.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Today's date (UTC+8, China Standard Time) by the server's clock.
pub fn today() -> time::Date {
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
    now.date()
}
