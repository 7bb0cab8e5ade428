//! End-to-end test infrastructure for web services: Postgres (local binaries, Docker, or an
//! external server) with a fresh migrated database per test, IPv4 loopback ports, readiness
//! probes, and the service under test in process or as a child — shared across the processes of
//! a `cargo nextest run`, with nothing left behind when the run ends.
//!
//! ```no_run
//! # static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate::Migrator::DEFAULT;
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let db = harness::TestDatabase::new(&MIGRATOR).await?;
//! let app = harness::InProcessService::serve(axum::Router::new()).await?;
//! println!("{} on {}", app.base_url(), db.name());
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod browser;
mod config;
mod database;
mod docker_engine;
pub mod doctor;
mod embedded;
mod keeper;
mod net;
mod postgres;
mod probe;
mod process;
mod service;
mod shared;
mod workdir;

pub use browser::{ActionError, Browser, BrowserError, WaitError};
pub use config::{
    BROWSER as ENV_BROWSER, BROWSER_REUSE as ENV_BROWSER_REUSE, CHROME as ENV_CHROME,
    CHROMEDRIVER as ENV_CHROMEDRIVER, DATA_DIR as ENV_DATA_DIR, DEFAULT_POSTGRES_IMAGE,
    DIR as ENV_DIR, KEEP_FAILED_DB as ENV_KEEP_FAILED_DB, PG_BIN as ENV_PG_BIN,
    POSTGRES as ENV_POSTGRES, POSTGRES_IMAGE as ENV_POSTGRES_IMAGE,
    POSTGRES_URL as ENV_POSTGRES_URL, STARTUP_TIMEOUT as ENV_STARTUP_TIMEOUT,
    WEBDRIVER_URL as ENV_WEBDRIVER_URL,
};
pub use database::{DatabaseError, TestDatabase};
pub use embedded::EmbeddedPostgres;
pub use net::{LOOPBACK, PortError, PortReservation, free_loopback_port, loopback_listener};
pub use postgres::{Attempt, Backend, PostgresServer, ProvisionError};
pub use probe::{Probe, ProbeError};
pub use service::{ChildError, ChildService, ChildServiceBuilder, InProcessService};
pub use shared::SharedError;

/// Replace the password in a URL with `***`, for anything printed or saved.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// An error and its sources on one line, `outer: inner: innermost`.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Install a `tracing` subscriber for tests once (later calls do nothing); `RUST_LOG` filters.
pub fn init_tracing() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
            )
            .with_test_writer()
            .try_init();
    });
}
