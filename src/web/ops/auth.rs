//! Signing in and out, with throttling per login name and per address that answers the
//! same for unknown accounts, and session rotation at login.

use crate::crypto::{new_token, verify_password_blocking};
use crate::domain::account::normalise_login;
use crate::domain::audit::AuditEvent;
use crate::domain::policy::Principal;
use crate::store::NewSession;
use crate::web::ctx::RequestCtx;
use crate::web::error::AppError;
use crate::web::AppState;

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
    st: &AppState,
    ctx: &RequestCtx,
    login: &str,
    password: &str,
) -> Result<SignedIn, AppError> {
    let login = normalise_login(login);
    if login.is_empty() || password.is_empty() {
        return Err(AppError::BadCredentials);
    }
    let now = crate::now_ms();
    let t = &st.config.login_throttle;
    let since = now - t.window_minutes * 60_000;
    // Count this attempt first, then check the limits including it: parallel attempts
    // cannot all pass a count taken before any of them is recorded.
    st.store
        .note_login_attempt(&login, &ctx.address, now)
        .await?;
    let (by_login, by_address) = st.store.login_failures(&login, &ctx.address, since).await?;
    if by_login > t.per_account || by_address > t.per_address {
        return Err(AppError::Throttled);
    }
    let creds = st.store.credentials(&login).await?;
    let known = creds.is_some();
    let ok = verify_password_blocking(
        password.to_string(),
        creds.as_ref().map(|(_, h)| h.clone()),
        st.dummy_hash.clone(),
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
                serde_json::json!({"address": ctx.address}),
            );
            st.store.append_audit(event).await?;
            return Err(AppError::BadCredentials);
        }
    };
    let (token, token_hash) = new_token();
    let (csrf, _) = new_token();
    let max_age_s = st.config.sessions.absolute_hours * 3600;
    let mut event = system_event(
        "auth.login",
        &user.login,
        serde_json::json!({"address": ctx.address}),
    );
    event.actor_user_id = Some(user.id);
    event.object_id = user.id.to_string();
    st.store
        .login(
            NewSession {
                token_hash,
                user_id: user.id,
                csrf_token: csrf.clone(),
                now_ms: now,
                expires_at_ms: now + max_age_s * 1000,
            },
            &login,
            ctx.session.as_ref().map(|(h, _)| h.clone()),
            event,
        )
        .await?;
    let principal = st
        .store
        .principal(user.id)
        .await?
        .ok_or(AppError::BadCredentials)?;
    Ok(SignedIn {
        token,
        csrf,
        principal,
        max_age_s,
    })
}

/// Ends the caller's cookie session (a no-op for bearer tokens and anonymous callers).
pub async fn sign_out(st: &AppState, ctx: &RequestCtx) -> Result<(), AppError> {
    if let (Some((hash, _)), Some(p)) = (&ctx.session, &ctx.principal) {
        let event = super::audit_by(
            p,
            "auth.logout",
            "account",
            p.user_id,
            None,
            serde_json::json!({}),
        );
        st.store.logout(hash, event).await?;
    }
    Ok(())
}

/// Issues a bearer token for API clients to the signed-in caller.
pub async fn issue_api_token(
    st: &AppState,
    p: &Principal,
    name: &str,
    days: i64,
) -> Result<(String, i64), AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::field("name", "field.required"));
    }
    if !(1..=366).contains(&days) {
        return Err(AppError::Validation(vec![
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
    st.store
        .create_api_token(p.user_id, name, &hash, now, expires, event)
        .await?;
    Ok((token, expires))
}
