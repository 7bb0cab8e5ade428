//! End-to-end test infrastructure for web services: Postgres (local binaries, Docker, or an
//! external server) with a fresh migrated database per test, IPv4 loopback ports, readiness
//! probes, and the service under test in process or as a child — shared across the processes of
//! a `cargo nextest run`, with nothing left behind when the run ends.
//!
//! Cargo features (see the README): `docker` (default) for the docker backend and container
//! services, `browser` for WebDriver tests, `axum` for `InProcessService::serve`, and an adapter
//! per client library (`sqlx-0.8`, `sqlx-0.9`, `tokio-postgres-0.7`, `deadpool-postgres-0.14`,
//! `diesel-2`, `diesel-async-0.10`) for a test's database as that library's types. With none of
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
//!
//! This crate is the attribute and a re-export of [e2e-harness-core](harness_core) (the Postgres
//! servers and databases, services, the keeper, teardown by outcome) and, with the `browser`
//! feature, of e2e-harness-browser as `harness::browser`: its items are the public API, and
//! the only one with a stability promise. The other 0.x crates whose types appear in it come
//! with the features that name them: axum 0.8 (`axum`: `InProcessService::serve`), sqlx 0.8 and
//! 0.9, tokio-postgres 0.7, deadpool-postgres 0.14, diesel 2, diesel-async 0.10 (their adapters,
//! each a feature named with its version), and fantoccini 0.22 (`browser`: `Cookie` and an error's source). Any other
//! dependency (reqwest; tokio-postgres without its adapter) is used inside only. The adapters are
//! modules of the core, not crates of their own: an `impl Fixture for sqlx::PgPool` has to live
//! where `Fixture` is (Rust's orphan rule).
#![warn(missing_docs)]

pub use harness_core::*;

// Shadows the core's `keeper` module: its one entry, `run_if_asked`, is for programs on the core
// (a test binary has the constructor), and this crate's API promises nothing about it.
#[allow(hidden_glob_reexports, dead_code)]
mod keeper {}

/// Browser tests through WebDriver (feature `browser`; the crate e2e-harness-browser).
///
/// A test takes a [`Browser`](browser::Browser) as a parameter; a fixture of yours that takes the
/// test's context gets one with `test.browser()` ([`TestContextExt`](browser::TestContextExt)).
#[cfg(feature = "browser")]
pub use harness_browser as browser;

/// What this machine offers the harness, and what to install where something is missing
/// (`harness doctor`).
pub mod doctor {
    pub use harness_core::doctor::{Check, Report};

    /// Look at the machine (nothing is started): Postgres backends, Docker, and with the
    /// `browser` feature the browser and its driver.
    pub fn examine() -> Report {
        #[cfg(feature = "browser")]
        let report = harness_core::doctor::examine_with(harness_browser::doctor::examine);
        #[cfg(not(feature = "browser"))]
        let report = harness_core::doctor::examine();
        report
    }
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
/// **Parameters** are fixtures, taken by value: [`TestDatabase`], an adapter's client type
/// (`sqlx::PgPool` with `sqlx-0.8` or `sqlx-0.9`, `tokio_postgres::Client` with
/// `tokio-postgres-0.7`, `deadpool_postgres::Pool` with `deadpool-postgres-0.14`,
/// `diesel::PgConnection` with `diesel-2`, `diesel_async::AsyncPgConnection` with
/// `diesel-async-0.10`; the database
/// is kept by the harness), `browser::Browser` (feature `browser`), [`TestContext`] (to make
/// fixtures in the body, say with settings of the test's own: `test.database()`,
/// `test.browser()` with `browser::TestContextExt`), and any type of yours that implements [`Fixture`] (say, your service on
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
/// **Parametrized tests**: rstest's `#[case]` and `#[values]`, with `#[rstest]` above this
/// attribute and the harness's fixtures marked `#[ignore]` (rstest then leaves them to this
/// attribute); each case is a test of its own:
///
/// ```ignore
/// #[rstest::rstest]
/// #[case::empty("")]
/// #[case::blank("  ")]
/// #[harness::test]
/// async fn a_blank_name_is_refused(#[case] name: &str, #[ignore] db: harness::TestDatabase) { /* … */ }
/// ```
///
/// **Skipping browser tests.** There is no "skip" at run time that nextest could show: a test
/// that asks for a `Browser` where `HARNESS_BROWSER=skip` fails, saying so. Leave browser tests out
/// by their names instead (keep them in modules named `e2e` or `browser`), with a nextest filter,
/// and nextest lists them as skipped: see the README's "Skipping browser tests".
pub use harness_macros::test;

/// Makes a [`RunFixture`] usable as `PerRun<YourType>`: on its `impl harness::RunFixture for
/// YourType`, it adds the hidden test entry (`#[ignore]`d, listed as skipped) that the harness's
/// keeper runs to tear the value down when the run is over, also after a SIGKILL of the run.
///
/// ```ignore
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Tenant { id: String }
///
/// #[harness::run_fixture]
/// impl harness::RunFixture for Tenant {
///     async fn setup() -> Result<Self, harness::FixtureError> { /* create it */ }
///     async fn teardown(self) -> Result<(), harness::FixtureError> { /* delete it */ }
/// }
///
/// #[harness::test]
/// async fn sees_the_tenant(tenant: harness::PerRun<Tenant>) { /* tenant.id */ }
/// ```
pub use harness_macros::run_fixture;

/// Declares the project's development services once, for `harness up` (see [`dev`]): on a
/// `fn name() -> harness::dev::DevServices`, it adds the hidden test entry (`#[ignore]`d, listed
/// as skipped) that `harness up` runs to start them and print their addresses.
///
/// ```ignore
/// #[harness::dev_services]
/// fn my_app() -> harness::dev::DevServices {
///     harness::dev::DevServices::new().database("DATABASE_URL", "my_app", &my_app::MIGRATOR)
/// }
/// ```
pub use harness_macros::dev_services;
