//! The core of [e2e-harness](https://crates.io/crates/e2e-harness): Postgres servers and
//! databases, migrations, services, ports, probes, the keeper and run-scoped sharing, and the
//! end of a test's fixtures by its outcome. **Depend on `e2e-harness`**: it re-exports all of this with `#[harness::test]`, and
//! it is the crate with a stability promise; this one has none beyond what `e2e-harness`
//! re-exports.
//!
//! A program that uses the harness outside tests (a service's embedded Postgres on `cargo run`)
//! may depend on this crate alone: it links no constructor that runs before `main`, and calls
//! [`keeper::run_if_asked`] first thing in `main` instead (see there).
#![warn(missing_docs)]

pub mod artifacts;
mod backing_service;
// The modules marked `#[doc(hidden)] pub` serve the harness's other crates (the browser's): not
// API, and they may change at any release (the crates are pinned to each other's exact version).
#[doc(hidden)]
pub mod capture;
#[doc(hidden)]
pub mod config;
#[cfg(feature = "docker")]
mod container;
mod database;
mod db_pool;
#[cfg(feature = "deadpool-postgres-0.14")]
#[path = "deadpool_adapter.rs"]
pub mod deadpool_postgres_0_14;
pub mod dev;
#[cfg(feature = "diesel-2")]
#[path = "diesel_adapter.rs"]
pub mod diesel_2;
#[cfg(feature = "diesel-async-0.10")]
#[path = "diesel_async_adapter.rs"]
pub mod diesel_async_0_10;
#[cfg(feature = "docker")]
mod docker_engine;
pub mod doctor;
mod embedded;
pub mod keeper;
pub mod lingering;
pub mod migrate;
#[doc(hidden)]
pub mod net;
mod pg;
mod postgres;
mod probe;
#[doc(hidden)]
pub mod process;
mod run_fixture;
mod service;
#[doc(hidden)]
pub mod shared;
#[cfg(any(feature = "sqlx-0.8", feature = "sqlx-0.9"))]
mod sqlx_adapter;
mod teardown;
mod testing;
#[doc(hidden)]
pub mod timings;
#[cfg(feature = "tokio-postgres-0.7")]
#[path = "tokio_postgres_adapter.rs"]
pub mod tokio_postgres_0_7;
#[doc(hidden)]
pub mod workdir;

/// The names of every environment variable the harness reads (each is described in the README,
/// whose table is checked against [`VARIABLES`](env::VARIABLES)), `DEFAULT_POSTGRES_IMAGE`, what
/// `POSTGRES_IMAGE` defaults to, and the values of the variables that name a choice.
pub mod env {
    pub use crate::config::{
        BROWSER, BROWSER_POOL, BROWSER_REUSE, BrowserChoice, CHROME, CHROMEDRIVER, DATA_DIR,
        DB_POOL, DEFAULT_POSTGRES_IMAGE, DIR, EXPECT_TIMEOUT, FIREFOX, GECKODRIVER, JS_COVERAGE,
        KEEP, KEEP_FAILED_DB, LINGER, PG_BIN, POSTGRES, POSTGRES_IMAGE, POSTGRES_URL,
        PostgresChoice, STARTUP_TIMEOUT, STEP_SCREENSHOTS, TIMINGS, UPDATE_SNAPSHOTS,
        UpdateSnapshots, VARIABLES, Variable, WEBDRIVER_URL,
    };
}

/// The error of each operation (the browser's are in `harness::browser`, with the
/// feature), and [`Attempt`](error::Attempt), one line of `ProvisionError::NoBackend`. Each names
/// what failed and keeps its cause as a source.
pub mod error {
    pub use crate::backing_service::ServiceError;
    pub use crate::config::{BadValue, SettingsError};
    #[cfg(feature = "docker")]
    pub use crate::container::ContainerError;
    pub use crate::database::DatabaseError;
    pub use crate::keeper::KeeperError;
    pub use crate::migrate::MigrateError;
    pub use crate::net::PortError;
    pub use crate::pg::PgError;
    pub use crate::postgres::{Attempt, ProvisionError};
    pub use crate::probe::{ProbeError, ProbeFailure};
    pub use crate::service::ChildError;
    pub use crate::shared::SharedError;
}

pub use backing_service::{
    BinaryOption, BinaryService, ContainerOption, ContainerService, Ready, Service, ServiceBuilder,
    ServiceKind,
};
pub use config::{Settings, settings};
pub use database::{SqlFixture, TestDatabase};
pub use embedded::EmbeddedPostgres;
pub use net::{PortReservation, free_loopback_port, loopback_listener};
pub use postgres::{Backend, PostgresServer};
pub use probe::Probe;
pub use run_fixture::{PerRun, RunFixture};
pub use service::{
    AddressFormat, ChildService, ChildServiceBuilder, InProcessService, Listener, Shutdown,
};
pub use teardown::{Failure, FailureKind, Outcome, Stage, Teardown, TeardownSlot, TestEnd};
pub use testing::{Fixture, FixtureError, TestContext, TestReturn};

#[doc(hidden)]
pub use testing::private as __private;

#[doc(hidden)]
pub use database::current_test_name;

/// The sqlx 0.8 adapter (feature `sqlx-0.8`): a test's database as sqlx 0.8's own types.
///
/// - `#[harness::test] async fn t(pool: PgPool)`: a pool on the test's own database.
/// - `TestDatabaseExt`: `db.pool()` and `db.connect_options()` on a [`TestDatabase`].
/// - sqlx's `Migrator` is a [`migrate::Migrations`]: `TestDatabase::new(&MIGRATOR)` and
///   `#[harness::test(migrator = MIGRATOR)]` take `sqlx::migrate!()`'s static, applied by sqlx's
///   own `Migrator::run`.
///
/// The harness's own work needs no sqlx (a project on sqlx 0.7 reads `migrations/` through the
/// core, with its own pool on [`TestDatabase::url`]); this feature only hands a 0.8 project its
/// types.
#[cfg(feature = "sqlx-0.8")]
pub mod sqlx_0_8 {
    crate::sqlx_adapter::sqlx_adapter!(sqlx, sqlx_0_8, "0.8");
}

/// The sqlx 0.9 adapter (feature `sqlx-0.9`): the same as [`sqlx_0_8`]'s, for sqlx 0.9 (which
/// needs Rust 1.94).
#[cfg(feature = "sqlx-0.9")]
pub mod sqlx_0_9 {
    crate::sqlx_adapter::sqlx_adapter!(sqlx_0_9, sqlx_0_9, "0.9");
}

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

/// Install a `tracing` subscriber for tests once (later calls do nothing); `RUST_LOG` filters
/// (default `info`). Besides the test's output, it keeps what is logged in memory: that is
/// [`InProcessService::log`] and a failed browser test's `service.log`. A subscriber the test
/// installed first wins (and nothing is captured); one installed after this is refused, as
/// `tracing` allows one global subscriber: use `try_init`, not `init`.
pub fn init_tracing() {
    use tracing_subscriber::layer::SubscriberExt;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        let subscriber = tracing_subscriber::registry()
            .with(filter)
            .with(tracing_subscriber::fmt::layer().with_test_writer())
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    // Not the default field formatter: layers that share its type share the
                    // span fields it formatted, and the test output's colour codes would then
                    // end up in the captured log (tokio-rs/tracing#1817).
                    .fmt_fields(capture::PlainFields::default())
                    .with_writer(|| capture::CaptureWriter),
            );
        // Not `try_init`: that would also take the `log` crate's global logger, and a test that
        // sets up `env_logger` after starting its service would then panic.
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}
