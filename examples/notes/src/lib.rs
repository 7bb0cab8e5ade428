//! notes: a tiny service with its own schema, routes and conventions (a `--bind` flag, a
//! `/healthz` probe, `NOTES_DATABASE_URL`), written only to be tested through the harness's public
//! API — the second consumer that keeps the harness free of tunix-rt assumptions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

/// The service's migrations.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A note in the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Note {
    /// Its id.
    pub id: i64,
    /// Its text (1..=500 characters).
    pub text: String,
}

#[derive(Deserialize)]
struct NewNote {
    text: String,
}

/// The router over a pool.
pub fn app(pool: PgPool) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/healthz", get(|| async { "ok" }))
        .route("/notes", get(list).post(create))
        .with_state(pool)
}

async fn list(State(pool): State<PgPool>) -> Result<Json<Vec<Note>>, StatusCode> {
    sqlx::query_as("SELECT id, text FROM notes ORDER BY id")
        .fetch_all(&pool)
        .await
        .map(Json)
        .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)
}

async fn create(State(pool): State<PgPool>, Json(new): Json<NewNote>) -> impl IntoResponse {
    let length = new.text.chars().count();
    if !(1..=500).contains(&length) {
        return Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "text must be 1..=500 characters",
        ));
    }
    let note: Note = sqlx::query_as(
        "INSERT INTO notes (notebook_id, text) SELECT id, $1 FROM notebooks WHERE name = 'inbox' \
         RETURNING id, text",
    )
    .bind(&new.text)
    .fetch_one(&pool)
    .await
    .map_err(|_| (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"))?;
    Ok((StatusCode::CREATED, Json(note)))
}

async fn page() -> Html<&'static str> {
    Html(include_str!("page.html"))
}
