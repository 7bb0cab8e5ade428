//! What every request handler shares.

use std::sync::Arc;

use axum::http::HeaderValue;
use sqlx::PgPool;

use crate::config::Config;
use crate::rediai::{ClientBuildError, RediAiClient};

/// The state behind the router: the pool, the RediAI client, and the limits from [`Config`].
#[derive(Clone)]
pub struct AppState {
    pool: PgPool,
    rediai: RediAiClient,
    trace_max_bytes: usize,
    cors_origins: Arc<[HeaderValue]>,
}

impl AppState {
    /// State over `pool`, with the request-time settings of `config` (listen address, database
    /// URL and migrations are the binary's business and are ignored here).
    pub fn new(pool: PgPool, config: &Config) -> Result<AppState, ClientBuildError> {
        Ok(AppState {
            pool,
            rediai: RediAiClient::new(&config.rediai)?,
            trace_max_bytes: config.trace_max_bytes,
            cors_origins: config
                .cors_origins
                .iter()
                // Config validation already made them ASCII origins; nothing is dropped here.
                .filter_map(|origin| HeaderValue::from_str(origin).ok())
                .collect(),
        })
    }

    /// The database pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The RediAI health client.
    pub fn rediai(&self) -> &RediAiClient {
        &self.rediai
    }

    /// Largest accepted trace body, in bytes.
    pub fn trace_max_bytes(&self) -> usize {
        self.trace_max_bytes
    }

    /// Origins allowed by CORS.
    pub fn cors_origins(&self) -> &[HeaderValue] {
        &self.cors_origins
    }
}
