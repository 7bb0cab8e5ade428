//! Tasks: an axum 0.8 service on tokio-postgres through a deadpool pool, its schema in
//! refinery's migration files, which the service applies itself at start.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use deadpool_postgres::Pool;
use serde::{Deserialize, Serialize};

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// Apply the service's migrations (what `main` does before serving); returns how many ran.
pub async fn migrate(client: &mut tokio_postgres::Client) -> anyhow::Result<usize> {
    let report = embedded::migrations::runner().run_async(client).await?;
    Ok(report.applied_migrations().len())
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Task {
    pub title: String,
    #[serde(default)]
    pub done: bool,
}

pub fn routes(pool: Pool) -> Router {
    Router::new()
        .route("/tasks", post(add).get(open))
        .route("/tasks/{id}/done", post(finish))
        .with_state(pool)
}

fn internal(_: impl std::fmt::Display) -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

async fn add(State(pool): State<Pool>, Json(task): Json<Task>) -> Result<Json<i64>, StatusCode> {
    if task.title.trim().is_empty() {
        return Err(StatusCode::UNPROCESSABLE_ENTITY);
    }
    let client = pool.get().await.map_err(internal)?;
    let row = client
        .query_one(
            "INSERT INTO tasks (title, done) VALUES ($1, $2) RETURNING id",
            &[&task.title, &task.done],
        )
        .await
        .map_err(internal)?;
    Ok(Json(row.get(0)))
}

async fn open(State(pool): State<Pool>) -> Result<Json<Vec<String>>, StatusCode> {
    let client = pool.get().await.map_err(internal)?;
    let rows = client
        .query("SELECT title FROM tasks WHERE NOT done ORDER BY id", &[])
        .await
        .map_err(internal)?;
    Ok(Json(rows.iter().map(|row| row.get(0)).collect()))
}

async fn finish(State(pool): State<Pool>, Path(id): Path<i64>) -> StatusCode {
    let Ok(client) = pool.get().await else {
        return StatusCode::INTERNAL_SERVER_ERROR;
    };
    match client
        .execute("UPDATE tasks SET done = true WHERE id = $1", &[&id])
        .await
    {
        Ok(0) => StatusCode::NOT_FOUND,
        Ok(_) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
