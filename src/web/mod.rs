//! The web edge (DESIGN §4, layer 4): pages and the JSON API. Thin: parse, authorise
//! through [`crate::domain::policy`], call the domain and the store, render.
//!
//! - [`routes`] is the one table of routes, each with its policy and API docs;
//! - [`ctx`] resolves the caller, checks CSRF and renders errors;
//! - [`ops`] holds the actions that pages and API share;
//! - [`pages`] and [`api`] are the two faces.

pub mod api;
pub mod ctx;
pub mod error;
pub mod i18n;
pub mod openapi;
pub mod ops;
pub mod pages;
pub mod render;
pub mod routes;

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::crypto::Keys;
use crate::store::Store;

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub config: Config,
    pub keys: Keys,
    pub i18n: Arc<i18n::I18n>,
    pub templates: render::Templates,
    /// Verified instead of a real hash for unknown accounts, so timing reveals nothing.
    pub dummy_hash: String,
    /// Answer saves, exam starts and exam-day logins, committed in groups.
    pub exams: crate::store::group_commit::GroupCommit,
    /// Generated papers as candidates see them (immutable once generated).
    pub papers: ops::exams::PaperCache,
    /// Exam-day sessions as answer saves look them up (checked live by the writer).
    pub exam_sessions: ops::exams::ExamSessionCache,
}

/// Shared, immutable application state; all mutable state lives in the store.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Builds the state and starts its background tasks (the group-commit writers and
    /// the deadline sweeper): call from inside the tokio runtime.
    pub fn new(store: Arc<dyn Store>, config: Config, keys: Keys) -> anyhow::Result<AppState> {
        let i18n = Arc::new(i18n::I18n::load().map_err(anyhow::Error::msg)?);
        let templates = render::Templates::load(i18n.clone(), config.templates_dir.as_deref())?;
        let dummy_hash = crate::crypto::hash_password(&crate::crypto::generate_password())?;
        let grace_ms = config.exams.grace_seconds * 1000;
        let writers = match (config.exams.writers, store.backend()) {
            (0, crate::store::Backend::Sqlite) => 1,
            (0, crate::store::Backend::Postgres) => 4,
            (n, _) => n,
        };
        let exams =
            crate::store::group_commit::GroupCommit::start(store.clone(), writers, grace_ms);
        ops::exams::spawn_deadline_sweeper(store.clone(), grace_ms);
        Ok(AppState(Arc::new(Inner {
            store,
            config,
            keys,
            i18n,
            templates,
            dummy_hash,
            exams,
            papers: ops::exams::PaperCache::default(),
            exam_sessions: ops::exams::ExamSessionCache::default(),
        })))
    }
}

/// The whole application: every route of [`routes::table`], each behind its policy,
/// inside the context middleware.
pub fn router(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.config.request_timeout_seconds);
    let mut router = Router::new();
    for spec in routes::table() {
        let gate = axum::middleware::from_fn_with_state(
            (spec.policy, spec.during_password_change),
            ctx::enforce,
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
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::REFERRER_POLICY,
            axum::http::HeaderValue::from_static("same-origin"),
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
