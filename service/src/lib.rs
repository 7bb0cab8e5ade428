//! tunix-rt: a reasoning-trace web service (axum + sqlx on Postgres).
//!
//! The library builds the whole HTTP application from an [`AppState`] ([`app`]), so tests serve
//! the real router in-process; the binary only adds configuration, the database and the listener.

pub mod config;
pub mod error;
mod page;
pub mod rediai;
mod routes;
mod state;
pub mod trace;
mod trace_store;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, header};
use axum::routing::get;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use config::{Cli, Config};
pub use state::AppState;

/// The schema: `traces`, then `ix_traces_created_at`. Embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The application: the page at `/`, the API under `/api`, CORS and request tracing.
pub fn app(state: AppState) -> Router {
    // No credentials are allowed, so an origin list is never combined with cookies.
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(state.cors_origins().iter().cloned()))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE])
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/", get(page::index))
        .route("/app.js", get(page::script))
        .route("/style.css", get(page::stylesheet))
        .route("/example-trace.json", get(page::example_trace))
        .route("/api/health", get(routes::api_health))
        .route("/api/redi/health", get(routes::rediai_health))
        .route(
            "/api/traces",
            get(routes::list_traces)
                .post(routes::create_trace)
                .layer(DefaultBodyLimit::max(state.trace_max_bytes())),
        )
        .route("/api/traces/{id}", get(routes::get_trace))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(cors)
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}
