//! The `traces` table: parameterized queries only.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::trace::ValidTrace;

/// A trace without its payload, as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TraceSummary {
    /// The trace id.
    pub id: Uuid,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
    /// Its `trace_version`.
    pub trace_version: String,
}

/// A stored trace with its payload as JSON text.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredTrace {
    /// The trace id.
    pub id: Uuid,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
    /// Its `trace_version`.
    pub trace_version: String,
    /// The payload exactly as stored.
    pub payload: String,
}

/// Stores a validated trace under a new id.
pub async fn insert(pool: &PgPool, trace: &ValidTrace) -> Result<TraceSummary, sqlx::Error> {
    // The column is `json`, not `jsonb`: Postgres keeps `json` text as given, so GET can return
    // the stored payload byte for byte.
    sqlx::query_as(
        "INSERT INTO traces (id, trace_version, payload) VALUES ($1, $2, $3::json) \
         RETURNING id, created_at, trace_version",
    )
    .bind(Uuid::new_v4())
    .bind(&trace.trace_version)
    .bind(&trace.payload)
    .fetch_one(pool)
    .await
}

/// The trace with this id, if any.
pub async fn find(pool: &PgPool, id: Uuid) -> Result<Option<StoredTrace>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, created_at, trace_version, payload::text AS payload FROM traces WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Up to `limit` traces after skipping `offset`, newest first.
pub async fn list(
    pool: &PgPool,
    limit: i64,
    offset: i64,
) -> Result<Vec<TraceSummary>, sqlx::Error> {
    // `id` breaks ties between equal timestamps, so pages never overlap or skip.
    sqlx::query_as(
        "SELECT id, created_at, trace_version FROM traces \
         ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await
}
