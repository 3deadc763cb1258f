//! The application layer (DESIGN §4, layer 4): the use cases, one module per
//! capability, shared by the pages, the JSON API and the command line. Each use case
//! takes typed input and the caller's [`Principal`], authorises through
//! [`crate::domain::policy::decide`], validates with field errors, and calls the store
//! with the audit event that records it. No HTTP types here: errors are [`Error`].
//!
//! - [`auth`], [`users`], [`orgs`], [`audit`]: accounts, organisations, the audit log;
//! - [`banks`]: catalogue, banks and items, import and export;
//! - [`plans`]: assessment plans, sessions, roster and papers;
//! - [`delivery`]: the candidate's exam day, with its group-commit writer, caches and
//!   deadline sweeper;
//! - [`proctoring`] and [`inspection`]: the proctor's and the inspector's actions;
//! - [`grading`]: automatic scoring, results and their publication;
//! - [`marking`]: assessor panels marking what the machine cannot, blind, with
//!   arbitration and approved corrections;
//! - [`reviews`]: review requests on published results, decided by a non-examiner;
//! - [`certificates`]: issuance by two people, status, public verification;
//! - [`credentials`]: certificates as signed credentials, and the status list;
//! - [`subsidies`]: certificate-based subsidies by regional policy, and their ledger;
//! - [`record`]: a person's skills record (exams, results, certificates, subsidies).

pub mod audit;
pub mod auth;
pub mod banks;
pub mod certificates;
pub mod credentials;
pub mod credit;
pub mod dashboard;
pub mod delivery;
mod error;
pub mod grading;
pub mod inspection;
pub mod marking;
pub mod orgs;
pub mod plans;
pub mod proctoring;
pub mod record;
pub mod reports;
pub mod reviews;
pub mod stats;
pub mod subsidies;
pub mod training;
pub mod users;

pub use error::{Error, Result};

use std::ops::Deref;
use std::sync::Arc;

use serde::Deserialize;

use crate::config::Config;
use crate::crypto::Keys;
use crate::domain::audit::AuditEvent;
use crate::domain::policy::{decide, Action, Principal};
use crate::store::{Org, Store};

/// What every use case works with: the store, the settings, the keys, and the exam-day
/// machinery. Cheap to clone; all mutable state lives in the store (the caches hold
/// only immutable data, DESIGN §4).
#[derive(Clone)]
pub struct App(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub config: Config,
    pub keys: Keys,
    /// Verified instead of a real hash for unknown accounts, so timing reveals nothing.
    pub(crate) dummy_hash: String,
    /// Answer saves, starts, submissions and exam-day logins, committed in groups.
    pub delivery: delivery::Delivery,
    /// Public certificate verification, per address.
    pub verify_limiter: certificates::VerifyLimiter,
}

impl Deref for App {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl App {
    /// Builds the application and starts its background tasks (the group-commit writers,
    /// the deadline sweeper and the scorer): call from inside the tokio runtime.
    pub fn start(store: Arc<dyn Store>, config: Config, keys: Keys) -> anyhow::Result<App> {
        let dummy_hash = crate::crypto::hash_password(&crate::crypto::generate_password())?;
        let delivery = delivery::Delivery::start(store.clone(), &config.exams);
        let app = App(Arc::new(Inner {
            store,
            config,
            keys,
            dummy_hash,
            delivery,
            verify_limiter: Default::default(),
        }));
        grading::spawn_scorer(app.clone());
        Ok(app)
    }
}

/// Whether the database answers, and which one it is (`/healthz`).
pub async fn health(app: &App) -> (bool, crate::store::Backend) {
    (app.store.ping().await.is_ok(), app.store.backend())
}

/// An audit event by `p`; `object_id` may be left empty for the store to fill in.
pub fn audit_by(
    p: &Principal,
    action: &str,
    object_type: &str,
    object_id: impl ToString,
    org_id: Option<i64>,
    details: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        at_ms: crate::now_ms(),
        actor_user_id: Some(p.user_id),
        actor: p.login.clone(),
        action: action.into(),
        object_type: object_type.into(),
        object_id: object_id.to_string(),
        org_id,
        details: details.to_string(),
    }
}

/// Authorises `action` on `org`. Objects the caller may not even see answer 404, so
/// another organisation's records do not reveal that they exist.
pub fn authorize(p: &Principal, action: Action, org: &Org) -> Result<()> {
    if decide(p, Action::ViewOrg, &org.as_ref()).is_err()
        && decide(p, action, &org.as_ref()).is_err()
    {
        return Err(Error::NotFound);
    }
    decide(p, action, &org.as_ref()).map_err(|_| Error::Forbidden)
}

/// Empty form fields mean "not given".
pub fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A number field that may arrive as a JSON number, as text from a form, or empty
/// (an untouched `<input type=number>`), which means "not given".
pub fn lenient_i64<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Int(i64),
        Text(String),
        Null,
    }
    match N::deserialize(d)? {
        N::Int(n) => Ok(Some(n)),
        N::Text(t) if t.trim().is_empty() => Ok(None),
        N::Text(t) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("expected a whole number")),
        N::Null => Ok(None),
    }
}
