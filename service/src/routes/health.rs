//! `GET /api/health` and `GET /api/redi/health`.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::rediai::RediAiHealth;
use crate::state::AppState;

/// Liveness of the process; deliberately does not touch the database, so it answers while the
/// database is down (the trace endpoints say 503 then).
pub(crate) async fn api_health() -> Json<Value> {
    Json(json!({"status": "healthy"}))
}

/// RediAI's health, always 200: being down is a result, not an error of this service.
pub(crate) async fn rediai_health(State(state): State<AppState>) -> Json<RediAiHealth> {
    Json(state.rediai().health().await)
}
