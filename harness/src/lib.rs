//! End-to-end test infrastructure for web services: Postgres (local binaries, Docker, or an
//! external server) with a fresh migrated database per test, IPv4 loopback ports, readiness
//! probes, and the service under test in process or as a child — shared across the processes of
//! a `cargo nextest run`, with nothing left behind when the run ends.
//!
//! Cargo features (see the README): `docker` (default) for the docker backend and container
//! services, `browser` for WebDriver tests, `axum` for `InProcessService::serve`, and an adapter
//! per client library (`sqlx-0.8`) for a test's database as that library's types. With none of
//! them the crate needs only tokio, tokio-postgres and reqwest: no client library a project
//! might also depend on, so that any project, on any sqlx or none, resolves beside it.
//!
//! Migrations are whatever the project has ([`migrate`]): sqlx's or Diesel's directories
//! (bookkept as those tools do), plain `.sql` files, or the project's own code.
//!
//! ```ignore
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let migrations = harness::migrate::SqlMigrations::detect("migrations")?;
//! let db = harness::TestDatabase::new(&migrations).await?;
//! let app = harness::InProcessService::serve(axum::Router::new()).await?;
//! println!("{} on {}", app.base_url(), db.name());
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod backing_service;
#[cfg(feature = "browser")]
pub mod browser;
mod capture;
mod config;
#[cfg(feature = "docker")]
mod container;
mod database;
mod db_pool;
#[cfg(feature = "docker")]
mod docker_engine;
pub mod doctor;
mod embedded;
mod keeper;
pub mod migrate;
mod net;
mod pg;
mod postgres;
mod probe;
mod process;
mod service;
mod shared;
#[cfg(any(feature = "sqlx-0.8", feature = "sqlx-0.9"))]
mod sqlx_adapter;
mod testing;
mod timings;
mod workdir;

/// The names of every environment variable the harness reads (each is described in the README),
/// and `DEFAULT_POSTGRES_IMAGE`, what `POSTGRES_IMAGE` defaults to.
pub mod env {
    pub use crate::config::{
        BROWSER, BROWSER_POOL, BROWSER_REUSE, CHROME, CHROMEDRIVER, DATA_DIR, DB_POOL,
        DEFAULT_POSTGRES_IMAGE, DIR, EXPECT_TIMEOUT, FIREFOX, GECKODRIVER, JS_COVERAGE,
        KEEP_FAILED_DB, PG_BIN, POSTGRES, POSTGRES_IMAGE, POSTGRES_URL, STARTUP_TIMEOUT,
        STEP_SCREENSHOTS, TIMINGS, WEBDRIVER_URL,
    };
}

/// The error of each operation (the browser's are in `harness::browser`, with the
/// feature), and [`Attempt`](error::Attempt), one line of `ProvisionError::NoBackend`. Each names
/// what failed and keeps its cause as a source.
pub mod error {
    pub use crate::backing_service::ServiceError;
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

pub use backing_service::{Ready, Service, ServiceBuilder};
pub use database::{SqlFixture, TestDatabase};
pub use embedded::EmbeddedPostgres;
pub use net::{PortReservation, free_loopback_port, loopback_listener};
pub use postgres::{Backend, PostgresServer};
pub use probe::Probe;
pub use service::{
    AddressFormat, ChildService, ChildServiceBuilder, InProcessService, Listener, Shutdown,
};
pub use testing::{Fixture, FixtureError, TestContext, TestReturn};

#[doc(hidden)]
pub use testing::private as __private;

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

/// A test in one attribute: its runtime, the fixtures its parameters ask for (set up
/// concurrently), a timeout, and cleanup by its outcome.
///
/// ```no_run
/// use harness::TestDatabase;
///
/// #[harness::test(timeout = "60s")]
/// async fn a_user_is_stored(db: TestDatabase) -> anyhow::Result<()> {
///     // `db` has the crate's `migrations/` applied (and with `fixtures("users")`,
///     // `fixtures/users.sql` too), in its template: each test pays for a clone only. Any client
///     // connects to its URL (with the `sqlx-0.8` feature, `pool: sqlx::PgPool` is a parameter).
///     let pool = sqlx::PgPool::connect(db.url()).await?;
///     sqlx::query("SELECT 1").execute(&pool).await?;
///     Ok(())
/// }
/// # fn main() {}
/// ```
///
/// With the `browser` feature, `browser: harness::browser::Browser` beside it gets a browser
/// session, started concurrently with the database.
///
/// **Parameters** are fixtures, taken by value: [`TestDatabase`], `sqlx::PgPool` (feature
/// `sqlx-0.8`; the database is kept by the harness), `browser::Browser` (feature `browser`), [`TestContext`] (to make
/// fixtures in the body, say with settings of the test's own: `test.database()`,
/// `test.browser()`), and any type of yours that implements [`Fixture`] (say, your service on
/// its database, or Redis). They are set up
/// concurrently; if one fails, the test fails naming it, and what the others made is kept as
/// for any failed test (a page that would not load in your fixture leaves its screenshot).
///
/// **Returns** `()` or `Result<(), E>` for any `E: Debug` (`anyhow::Result<()>`).
///
/// **Options**, all optional:
/// - `migrations = "dir"`, relative to the crate and read when the test runs (the default is
///   `"migrations"`, like `sqlx::migrate!()`): sqlx's layout, Diesel's or plain `.sql` files,
///   told by the files ([`migrate::SqlMigrations::detect`]); or `migrations = false` for none; or
///   `migrator = path::TO::MIGRATOR` (or `"path::TO::MIGRATOR"`, as `#[sqlx::test]` writes it):
///   a static that implements [`migrate::Migrations`] (the project's own code through
///   [`migrate::custom`] in a `LazyLock`, or with `sqlx-0.8` a `sqlx::migrate!()` static).
/// - `fixtures("users", "../shared/orders.sql")`: SQL run after the migrations, in order, into
///   the database's template. As with `#[sqlx::test]`, a bare name is `fixtures/<name>.sql`
///   beside the test's file and a path ending in `.sql` is relative to that file. Compiled in: a
///   missing file fails to compile.
/// - `timeout = 30` (seconds) or `timeout = "500ms" | "30s" | "2m"`: the whole test, setup
///   included, ends as failed after it. It is checked whenever the test awaits: a body that
///   blocks its thread is ended by nextest's `slow-timeout` instead.
/// - `flavor = "multi_thread"` and `worker_threads = N`: the runtime, as with `#[tokio::test]`
///   (default: one thread).
///
/// **Cleanup follows the outcome**, whether the fixtures were moved (into a spawned task, too),
/// dropped early or are still held: a test that returns normally or `Ok` drops its databases and closes its browsers; one
/// that panics, returns `Err` or times out keeps its databases until the run ends (printing their
/// URLs, password redacted; `HARNESS_KEEP_FAILED_DB=0` drops them) and saves its browsers'
/// screenshot, HTML, console and service log under `target/harness-artifacts/<test>/`. No
/// `close()` is needed. Under `#[should_panic]`, the panic is the pass.
///
/// The test's name (for its database and artifacts) comes from `module_path!()` and the function,
/// and the harness's tracing capture is installed (`harness::init_tracing`).
///
/// **Skipping browser tests.** There is no "skip" at run time that nextest could show: a test
/// that asks for a `Browser` where `HARNESS_BROWSER=skip` fails, saying so. Leave browser tests out
/// by their names instead (keep them in modules named `e2e` or `browser`), with a nextest filter,
/// and nextest lists them as skipped: see the README's "Skipping browser tests".
pub use harness_macros::test;

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
