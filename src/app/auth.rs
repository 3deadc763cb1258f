//! Signing in and out, with throttling per login name and per address that answers the
//! same for unknown accounts, and session rotation at login.

use crate::app::{App, Error, Result};
use crate::crypto::{new_token, verify_password_blocking};
use crate::domain::account::normalise_login;
use crate::domain::audit::AuditEvent;
use crate::domain::policy::Principal;
use crate::domain::throttle::{self, Scope};
use crate::store::NewSession;

pub struct SignedIn {
    pub token: String,
    pub csrf: String,
    pub principal: Principal,
    pub max_age_s: i64,
}

fn system_event(action: &str, actor: &str, details: serde_json::Value) -> AuditEvent {
    AuditEvent {
        at_ms: crate::now_ms(),
        actor_user_id: None,
        actor: actor.into(),
        action: action.into(),
        object_type: "account".into(),
        object_id: String::new(),
        org_id: None,
        details: details.to_string(),
    }
}

/// Checks the password and starts a new session, ending the caller's previous one.
/// Wrong password, unknown account and throttled attempts look alike from outside
/// except for the throttling status, which is the same for known and unknown names.
pub async fn sign_in(
    app: &App,
    address: &str,
    replaces: Option<String>,
    login: &str,
    password: &str,
) -> Result<SignedIn> {
    let login = normalise_login(login);
    if login.is_empty() || password.is_empty() {
        return Err(Error::BadCredentials);
    }
    let now = crate::now_ms();
    throttle(app, Scope::Staff, &login, address, now).await?;
    let creds = app.store.credentials(&login).await?;
    let known = creds.is_some();
    let ok = verify_password_blocking(
        password.to_string(),
        creds.as_ref().map(|(_, h)| h.clone()),
        app.dummy_hash.clone(),
    )
    .await;
    let user = match (ok, creds) {
        (true, Some((user, _))) => user,
        _ => {
            // The attempted name is recorded only if it is an account: people sometimes
            // type a password into the login field.
            let actor = if known { login.as_str() } else { "unknown" };
            // The attempt is already counted; the failure is audited.
            let event = system_event(
                "auth.login_failed",
                actor,
                serde_json::json!({"address": address}),
            );
            app.store.append_audit(event).await?;
            return Err(Error::BadCredentials);
        }
    };
    let (token, token_hash) = new_token();
    let (csrf, _) = new_token();
    let max_age_s = app.config.sessions.absolute_hours * 3600;
    let mut event = system_event(
        "auth.login",
        &user.login,
        serde_json::json!({"address": address}),
    );
    event.actor_user_id = Some(user.id);
    event.object_id = user.id.to_string();
    app.store
        .login(
            NewSession {
                token_hash,
                user_id: user.id,
                csrf_token: csrf.clone(),
                now_ms: now,
                expires_at_ms: now + max_age_s * 1000,
            },
            &login,
            replaces,
            event,
        )
        .await?;
    let principal = app
        .store
        .principal(user.id)
        .await?
        .ok_or(Error::BadCredentials)?;
    Ok(SignedIn {
        token,
        csrf,
        principal,
        max_age_s,
    })
}

/// Records a sign-in attempt and refuses it when its key or address is over the limits
/// of its scope ([`crate::domain::throttle`]): counted before the credentials are
/// checked, so parallel attempts cannot outrun it.
/// The account behind an API token (its hash), if the token is valid now.
pub async fn by_api_token(app: &App, token_hash: &str, now_ms: i64) -> Result<Option<Principal>> {
    match app.store.api_token_user(token_hash, now_ms).await? {
        Some(user_id) => Ok(app.store.principal(user_id).await?),
        None => Ok(None),
    }
}

/// The account behind a session cookie (its token hash) and the session's CSRF token,
/// if the session is live (not expired, not idle too long).
pub async fn by_session(
    app: &App,
    token_hash: &str,
    now_ms: i64,
) -> Result<Option<(Principal, String)>> {
    let idle_ms = app.config.sessions.idle_minutes * 60_000;
    let Some(rec) = app.store.session(token_hash, now_ms, idle_ms).await? else {
        return Ok(None);
    };
    Ok(app
        .store
        .principal(rec.user_id)
        .await?
        .map(|p| (p, rec.csrf_token)))
}

pub async fn throttle(
    app: &App,
    scope: Scope,
    key: &str,
    address: &str,
    now_ms: i64,
) -> Result<()> {
    let t = &app.config.login_throttle;
    app.store
        .note_login_attempt(scope, key, address, now_ms)
        .await?;
    let since = now_ms - t.window_minutes * 60_000;
    let attempts = app.store.login_attempts(scope, key, address, since).await?;
    throttle::check(attempts, t.limits(scope)).map_err(|_| Error::Throttled)
}

/// Ends one cookie session of the caller.
pub async fn sign_out(app: &App, p: &Principal, session_hash: &str) -> Result<()> {
    let event = super::audit_by(
        p,
        "auth.logout",
        "account",
        p.user_id,
        None,
        serde_json::json!({}),
    );
    app.store.logout(session_hash, event).await?;
    Ok(())
}

/// Issues a bearer token for API clients to the signed-in caller.
pub async fn issue_api_token(
    app: &App,
    p: &Principal,
    name: &str,
    days: i64,
) -> Result<(String, i64)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::field("name", "field.required"));
    }
    if !(1..=366).contains(&days) {
        return Err(Error::Validation(vec![
            crate::domain::validate::FieldError::new("days", "field.range").with_detail("1–366"),
        ]));
    }
    let (token, hash) = new_token();
    let now = crate::now_ms();
    let expires = now + days * 86_400_000;
    let event = super::audit_by(
        p,
        "auth.token_issued",
        "api_token",
        "",
        None,
        serde_json::json!({"name": name, "days": days}),
    );
    app.store
        .create_api_token(p.user_id, name, &hash, now, expires, event)
        .await?;
    Ok((token, expires))
}
