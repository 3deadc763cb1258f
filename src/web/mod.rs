//! The web edge (DESIGN §4, layer 5): pages and the JSON API. Thin: parse, call one use
//! case of [`crate::app`], render.
//!
//! - [`routes`] is the one table of routes, each with its policy, its kind (staff,
//!   sign-in form, exam) and API docs;
//! - [`ctx`] resolves the caller, checks CSRF and renders errors;
//! - [`pages`] and [`api`] are the two faces.

pub mod address;
pub mod api;
pub mod cookies;
pub mod ctx;
pub mod error;
pub mod i18n;
pub mod openapi;
mod origin;
pub mod pages;
pub mod render;
pub mod routes;

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::app::App;

pub struct Inner {
    /// The use cases and everything they work with.
    pub app: App,
    pub i18n: Arc<i18n::I18n>,
    pub templates: render::Templates,
}

/// Shared, immutable web state; all mutable state lives in the store.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// The web face of `app`: translations and templates loaded.
    pub fn new(app: App) -> anyhow::Result<AppState> {
        let i18n = Arc::new(i18n::I18n::load().map_err(anyhow::Error::msg)?);
        let templates = render::Templates::load(i18n.clone(), app.config.templates_dir.as_deref())?;
        Ok(AppState(Arc::new(Inner {
            app,
            i18n,
            templates,
        })))
    }
}

/// What pages may load and who may frame them (nobody).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The whole application: every route of [`routes::table`], each behind its policy,
/// inside the context middleware.
pub fn router(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.app.config.request_timeout_seconds);
    let mut router = Router::new();
    for spec in routes::table() {
        let gate = axum::middleware::from_fn_with_state(
            ctx::Gate {
                state: state.clone(),
                policy: spec.policy,
                during_password_change: spec.during_password_change,
                face: spec.face,
            },
            ctx::gate,
        );
        router = router.route(spec.path, spec.handler.route_layer(gate));
    }
    router
        .fallback(|| async { error::AppError::NotFound })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ctx::context,
        ))
        // Tokens in query strings (uploads) never leave the site in a Referer header.
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // No page may be framed (clickjacking of proctor and admin actions), nothing is
        // sniffed into another type, and pages load scripts, styles and images from this
        // site only: every script is a file under /static, never inline.
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        // Spans name the method and path only: query strings may carry a CSRF token.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then lets open requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
