//! Bookmarks: an axum 0.8 + sqlx 0.9 service.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

/// The service's reversible migrations (the third runs outside a transaction, alone: sqlx
/// sends a file as one query, which Postgres runs as one transaction).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Bookmark {
    pub url: String,
    pub title: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

pub fn routes(pool: PgPool) -> Router {
    Router::new()
        .route("/bookmarks", post(add))
        .route("/tags/{tag}", get(tagged))
        .with_state(pool)
}

async fn add(
    State(pool): State<PgPool>,
    Json(new): Json<Bookmark>,
) -> Result<StatusCode, StatusCode> {
    let fail = |_| StatusCode::INTERNAL_SERVER_ERROR;
    let mut tx = pool.begin().await.map_err(fail)?;
    let id: i64 =
        sqlx::query_scalar("INSERT INTO bookmarks (url, title) VALUES ($1, $2) RETURNING id")
            .bind(&new.url)
            .bind(&new.title)
            .fetch_one(&mut *tx)
            .await
            .map_err(fail)?;
    for tag in &new.tags {
        sqlx::query("INSERT INTO bookmark_tags VALUES ($1, $2)")
            .bind(id)
            .bind(tag)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
    }
    tx.commit().await.map_err(fail)?;
    Ok(StatusCode::CREATED)
}

async fn tagged(
    State(pool): State<PgPool>,
    Path(tag): Path<String>,
) -> Result<Json<Vec<String>>, StatusCode> {
    sqlx::query_scalar(
        "SELECT b.title FROM bookmarks b JOIN bookmark_tags t ON t.bookmark = b.id \
         WHERE t.tag = $1 ORDER BY b.id",
    )
    .bind(tag)
    .fetch_all(&pool)
    .await
    .map(Json)
    .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}
