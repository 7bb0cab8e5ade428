//! Accounts: a small axum 0.7 + sqlx 0.7 service, as a team on those versions has it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

/// The service's migrations, which it applies itself at start.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

#[derive(Debug, Serialize, Deserialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub plan: String,
}

#[derive(Debug, Deserialize)]
pub struct NewAccount {
    pub name: String,
    #[serde(default = "free")]
    pub plan: String,
}

fn free() -> String {
    "free".to_owned()
}

/// The routes, on a pool the caller made.
pub fn app(pool: PgPool) -> Router {
    Router::new()
        .route("/accounts", get(list).post(create))
        .with_state(pool)
}

async fn list(State(pool): State<PgPool>) -> Result<Json<Vec<Account>>, StatusCode> {
    sqlx::query_as::<_, Account>("SELECT id, name, plan FROM accounts ORDER BY id")
        .fetch_all(&pool)
        .await
        .map(Json)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)
}

async fn create(
    State(pool): State<PgPool>,
    Json(new): Json<NewAccount>,
) -> Result<(StatusCode, Json<Account>), StatusCode> {
    let created = sqlx::query_as::<_, Account>(
        "INSERT INTO accounts (name, plan) VALUES ($1, $2) RETURNING id, name, plan",
    )
    .bind(&new.name)
    .bind(&new.plan)
    .fetch_one(&pool)
    .await;
    match created {
        Ok(account) => Ok((StatusCode::CREATED, Json(account))),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(StatusCode::CONFLICT),
        Err(sqlx::Error::Database(e)) if e.is_check_violation() => {
            Err(StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
    }
}
