//! What `#[harness::test]` expands to: a runtime, the fixtures its signature asks for (set up
//! concurrently), the body under a timeout with its panic caught, and then cleanup decided by the
//! outcome: a passing test's database is dropped and its browser closed; a failing test's database
//! is kept and its browser's artifacts saved.

use std::any::Any;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt as _;

use self::private::MigrationsFrom;
use crate::database::{DatabaseError, SqlFixture, TestDatabase};
use crate::migrate::{Migrations, SqlMigrations};
use crate::postgres::PostgresServer;
use crate::teardown::{Failure, FailureKind, Outcome, Scope, Teardown, TeardownSlot};

/// The error a fixture's setup fails with: any error (`anyhow::Error` converts with `?`).
pub type FixtureError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Something a `#[harness::test]` can take as a parameter: the harness's own ([`TestDatabase`],
/// `Browser`, and with an adapter's feature your client's types, such as sqlx's `PgPool`) or a
/// type of yours, such as "the service under test on its own
/// database", made from those.
///
/// A fixture made of the harness's fixtures inherits their cleanup: the test's outcome decides
/// whether its database is dropped or kept and whether its browser's artifacts are saved. A
/// fixture that makes something else ends it by the outcome too, with a [`Teardown`] registered
/// by [`TestContext::on_teardown`].
///
/// ```ignore
/// struct App { db: harness::TestDatabase, service: harness::InProcessService }
///
/// impl harness::Fixture for App {
///     async fn setup(test: &harness::TestContext) -> Result<Self, harness::FixtureError> {
///         let db = test.database().await?;
///         let service = harness::InProcessService::serve(my_app::router(db.pool().clone())).await?;
///         Ok(App { db, service })
///     }
/// }
///
/// #[harness::test]
/// async fn health_answers(app: App) -> anyhow::Result<()> { /* … */ Ok(()) }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not something a `#[harness::test]` can be given",
    label = "not a fixture",
    note = "a test's parameters are fixtures: `harness::TestDatabase`, \
            `harness::browser::Browser`, `harness::TestContext`, an adapter's client type \
            (`sqlx::PgPool`, `tokio_postgres::Client`, `deadpool_postgres::Pool`, \
            `diesel::PgConnection`, `diesel_async::AsyncPgConnection`, each with its feature), or a type of yours that implements \
            `harness::Fixture`"
)]
pub trait Fixture: Sized {
    /// Make the fixture for `test`. The fixtures of one test are set up concurrently.
    fn setup(test: &TestContext) -> impl Future<Output = Result<Self, FixtureError>>;
}

/// What the running test is and asked for: its name, migrations and SQL fixtures. Cheap to clone.
#[derive(Clone)]
pub struct TestContext {
    inner: Arc<ContextInner>,
}

struct ContextInner {
    name: String,
    migrations: MigrationsFrom,
    manifest_dir: &'static str,
    fixtures: Vec<SqlFixture>,
    loaded: std::sync::OnceLock<SqlMigrations>,
    scope: Arc<Scope>,
}

impl std::fmt::Debug for TestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestContext")
            .field("name", &self.inner.name)
            .field("fixtures", &self.inner.fixtures)
            .finish()
    }
}

impl TestContext {
    /// The test's name as nextest and libtest print it (`module::function`, without the crate).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The SQL fixtures the test asked for, in order: applied into its database's template.
    pub fn fixtures(&self) -> &[SqlFixture] {
        &self.inner.fixtures
    }

    /// The test's migrations: the `migrator` it named, or those read from its `migrations`
    /// directory (by default `migrations/` of the crate, as with `sqlx::migrate!()`), whose
    /// layout (sqlx's, Diesel's, plain SQL) is told by its files.
    // The same error as `database()`'s, whose size is the provisioning error's; read once per test.
    #[allow(clippy::result_large_err)]
    pub fn migrations(&self) -> Result<&dyn Migrations, DatabaseError> {
        let inner = &self.inner;
        match &inner.migrations {
            MigrationsFrom::Static(migrations) => Ok(*migrations),
            MigrationsFrom::Dir(dir) => {
                if let Some(loaded) = inner.loaded.get() {
                    return Ok(loaded);
                }
                let loaded = load_migrations(migrations_dir(inner.manifest_dir, dir))?;
                Ok(inner.loaded.get_or_init(|| loaded))
            }
        }
    }

    /// A database of the test's own, with its migrations and fixtures, on the run's server;
    /// cleaned up by the test's outcome.
    pub async fn database(&self) -> Result<TestDatabase, DatabaseError> {
        let migrations = self.migrations()?;
        let server = PostgresServer::shared().await?;
        TestDatabase::create(
            server,
            migrations,
            &self.inner.fixtures,
            &self.inner.name,
            Some(self.teardown_slot()),
        )
        .await
    }

    /// Keep `value` alive until the test's body has ended (a fixture that hands out part of
    /// something, like a `PgPool` of a database, keeps the whole here).
    pub fn hold<T: Send + 'static>(&self, value: T) {
        self.inner.scope.hold(Box::new(value));
    }

    /// Run `teardown` once the test's outcome is known, whatever the test does with the
    /// fixture: see [`Teardown`].
    pub fn on_teardown(&self, teardown: impl Teardown) {
        // The test is running while its fixtures are set up: the scope takes it.
        let taken = self.teardown_slot().defer(|| teardown);
        debug_assert!(taken, "a test's scope ends after its fixtures' setup");
    }

    /// A slot for a fixture to hand its teardown over when it is dropped (and to skip when it is
    /// closed first): see [`TeardownSlot`].
    pub fn teardown_slot(&self) -> TeardownSlot {
        TeardownSlot::new(Arc::clone(&self.inner.scope))
    }

    /// The test's artifacts directory (`<target dir>/harness-artifacts/<test>`, not created):
    /// where a failed test's files go for whoever reads the failure. Asking for it says the
    /// test keeps artifacts: an earlier run's files of this test are removed now, and when it
    /// fails, its kept databases are dumped there too (`database-<name>.sql`), beside a
    /// browser's report, which lists every file in it.
    pub fn artifacts_dir(&self) -> &Path {
        self.inner.scope.artifacts_dir()
    }
}

fn migrations_dir(compiled_manifest_dir: &str, dir: &str) -> PathBuf {
    // cargo and nextest set CARGO_MANIFEST_DIR for the test process too, remapped when nextest
    // runs an archive on another machine; the path compiled in is the fallback.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(compiled_manifest_dir));
    manifest.join(dir)
}

#[allow(clippy::result_large_err)]
fn load_migrations(dir: PathBuf) -> Result<SqlMigrations, DatabaseError> {
    if !dir.is_dir() {
        return Err(DatabaseError::NoMigrations { dir });
    }
    SqlMigrations::detect(&dir).map_err(|source| DatabaseError::ReadMigrations { dir, source })
}

/// The test's own context, for a test that makes its fixtures in its body (say, with settings of
/// its own): `async fn t(test: TestContext) { let app = MyApp::setup_with(&test, config).await?; }`.
impl Fixture for TestContext {
    async fn setup(test: &TestContext) -> Result<Self, FixtureError> {
        Ok(test.clone())
    }
}

impl Fixture for TestDatabase {
    async fn setup(test: &TestContext) -> Result<Self, FixtureError> {
        Ok(test.database().await?)
    }
}

/// What a `#[harness::test]` may return: `()`, or a `Result` whose `Err` fails the test.
#[diagnostic::on_unimplemented(
    message = "a `#[harness::test]` returns `()` or `Result<(), E>`, not `{Self}`",
    label = "not a test's return type"
)]
pub trait TestReturn {
    /// Why the test failed, if its value says it did.
    fn failure(&self) -> Option<String>;
}

impl TestReturn for () {
    fn failure(&self) -> Option<String> {
        None
    }
}

impl<E: std::fmt::Debug> TestReturn for Result<(), E> {
    fn failure(&self) -> Option<String> {
        self.as_ref()
            .err()
            .map(|e| format!("the test returned an error: {e:?}"))
    }
}

/// The expansion's own items: not API, and may change at any release.
#[doc(hidden)]
pub mod private {
    use super::*;

    pub use tokio;

    pub use crate::dev::entry as dev_services_entry;
    pub use crate::run_fixture::{RunFixtureEntry, run_teardown};

    /// A fixture's setup, timed for `HARNESS_TIMINGS`.
    pub async fn timed<F: Future>(what: &'static str, setup: F) -> F::Output {
        let _span = crate::timings::span(|| format!("fixture {what}"));
        setup.await
    }

    /// The body's run, timed for `HARNESS_TIMINGS` (a body that panics or times out is not).
    pub fn body_span() -> impl Drop {
        crate::timings::span(|| "the test's body".to_owned())
    }

    /// Which migrations a test's database gets.
    pub enum MigrationsFrom {
        /// `migrator = path::TO::MIGRATOR`: any static that implements `Migrations`.
        Static(&'static dyn Migrations),
        /// `migrations = "dir"`, relative to the crate.
        Dir(&'static str),
    }

    /// The tokio runtime a test runs on.
    pub enum Runtime {
        /// One thread, like `#[tokio::test]`.
        CurrentThread,
        /// Worker threads, by default as many as tokio's default.
        MultiThread(Option<usize>),
    }

    /// What the attribute knew at compile time.
    pub struct TestInfo<'a> {
        pub module: &'static str,
        pub name: &'static str,
        pub migrations: MigrationsFrom,
        pub manifest_dir: &'static str,
        pub fixtures: &'a [SqlFixture],
        pub timeout: Option<Duration>,
        pub runtime: Runtime,
        /// `#[should_panic]`: the panic is the pass.
        pub should_panic: bool,
    }

    /// `migrations = false`.
    pub static NO_MIGRATIONS: crate::migrate::NoMigrations = crate::migrate::NoMigrations;

    /// How far the test got.
    pub enum Step<R> {
        SetupFailed(String),
        Ran(R),
    }

    /// The fixtures' setup results, taken one by one.
    #[derive(Default)]
    pub struct Setup {
        failures: Vec<String>,
    }

    impl Setup {
        pub fn take<T>(&mut self, what: &str, result: Result<T, FixtureError>) -> Option<T> {
            match result {
                Ok(value) => Some(value),
                Err(e) => {
                    self.failures
                        .push(format!("{what}: {}", crate::error_chain(&*e)));
                    None
                }
            }
        }

        pub fn failure(&self) -> Option<String> {
            (!self.failures.is_empty()).then(|| self.failures.join("\n"))
        }
    }

    /// Run one test: see the module's documentation.
    pub fn run<R, F, Fut>(info: TestInfo<'_>, test: F) -> R
    where
        R: TestReturn,
        F: FnOnce(TestContext) -> Fut,
        Fut: Future<Output = Step<R>>,
    {
        let runner_started = std::time::Instant::now();
        crate::init_tracing();
        let name = match info.module.split_once("::") {
            Some((_crate, path)) => format!("{path}::{}", info.name),
            None => info.name.to_owned(),
        };
        // Before anything starts: a typo in a variable fails the test saying so, rather than
        // turning into a default somewhere.
        if let Err(bad) = crate::config::settings() {
            panic!("{name}: {bad}");
        }
        let scope = Arc::new(Scope::new(name.clone()));
        let context = TestContext {
            inner: Arc::new(ContextInner {
                name: name.clone(),
                migrations: info.migrations,
                manifest_dir: info.manifest_dir,
                fixtures: info.fixtures.to_vec(),
                loaded: std::sync::OnceLock::new(),
                scope: Arc::clone(&scope),
            }),
        };
        let runtime = match info.runtime {
            Runtime::CurrentThread => tokio::runtime::Builder::new_current_thread(),
            Runtime::MultiThread(threads) => {
                let mut builder = tokio::runtime::Builder::new_multi_thread();
                if let Some(threads) = threads {
                    builder.worker_threads(threads);
                }
                builder
            }
        }
        .enable_all()
        .build()
        .expect("a tokio runtime for the test");
        crate::timings::record(runner_started, || "the runner: tracing, runtime".to_owned());

        let ran = runtime.block_on(crate::teardown::run_body(&scope, async {
            let body = std::panic::AssertUnwindSafe(test(context)).catch_unwind();
            match info.timeout {
                Some(limit) => tokio::time::timeout(limit, body).await.map_err(|_| limit),
                None => Ok(body.await),
            }
        }));
        // The body's future is gone by now; the tasks it spawned go with the runtime, and with
        // them any fixture moved into one: then everything the fixtures left is in the scope. A
        // blocking task that never ends is left behind rather than waited for.
        let shutdown = crate::timings::span(|| "the test's runtime shut down".to_owned());
        runtime.shutdown_timeout(Duration::from_secs(5));
        drop(shutdown);
        let failed = |kind, message: String| Outcome::Failed(Failure::new(kind, message));
        let (outcome, ended) = match ran {
            Ok(Ok(Step::Ran(value))) => match value.failure() {
                Some(reason) => (
                    failed(FailureKind::ReturnedError, reason),
                    Ended::Value(value),
                ),
                None if info.should_panic => (
                    failed(
                        FailureKind::DidNotPanic,
                        "the test did not panic, as #[should_panic] expects".into(),
                    ),
                    Ended::Value(value),
                ),
                None => (Outcome::Passed, Ended::Value(value)),
            },
            Ok(Ok(Step::SetupFailed(why))) => (
                failed(
                    FailureKind::SetupFailed,
                    format!("a fixture could not be set up: {why}"),
                ),
                Ended::SetupFailed(why),
            ),
            Ok(Err(panic)) if info.should_panic => (Outcome::Passed, Ended::Panicked(panic)),
            Ok(Err(panic)) => (
                failed(
                    FailureKind::Panicked,
                    format!("the test panicked: {}", panic_message(&*panic)),
                ),
                Ended::Panicked(panic),
            ),
            Err(limit) => (
                failed(
                    FailureKind::TimedOut,
                    format!("the test timed out after {limit:?}"),
                ),
                Ended::TimedOut(limit),
            ),
        };
        let cleaning = crate::timings::span(|| "clean-up of the fixtures".to_owned());
        match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(cleanup) => cleanup.block_on(scope.finish(&outcome)),
            Err(e) => eprintln!("harness: no runtime to clean up the test's fixtures: {e}"),
        }
        drop(cleaning);
        // The clones this test's databases asked for, made while it ran, are ready for the next
        // test rather than cut off half made when this process exits.
        let settling = crate::timings::span(|| "wait for the database pool's refills".to_owned());
        crate::db_pool::settle(Duration::from_secs(10));
        drop(settling);
        crate::timings::report(&name);
        match ended {
            Ended::Value(value) => value,
            Ended::SetupFailed(why) => panic!("{name}: a fixture could not be set up:\n{why}"),
            Ended::Panicked(panic) => std::panic::resume_unwind(panic),
            Ended::TimedOut(limit) => panic!(
                "{name} timed out after {limit:?} (its `timeout`); its fixtures were cleaned up \
                 as a failed test's"
            ),
        }
    }

    enum Ended<R> {
        Value(R),
        SetupFailed(String),
        Panicked(Box<dyn Any + Send>),
        TimedOut(Duration),
    }

    fn panic_message(panic: &(dyn Any + Send)) -> &str {
        panic
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(a panic without a message)")
    }
}

#[cfg(test)]
mod tests {
    use super::private::*;
    use super::*;

    fn info(timeout: Option<Duration>, should_panic: bool) -> TestInfo<'static> {
        TestInfo {
            module: "it::attribute",
            name: "unit",
            migrations: MigrationsFrom::Static(&NO_MIGRATIONS),
            manifest_dir: env!("CARGO_MANIFEST_DIR"),
            fixtures: &[],
            timeout,
            runtime: Runtime::CurrentThread,
            should_panic,
        }
    }

    #[test]
    fn a_result_fails_by_its_err_and_unit_never() {
        assert_eq!(().failure(), None);
        assert_eq!(Ok::<(), String>(()).failure(), None);
        assert_eq!(
            Err::<(), _>("nope").failure().as_deref(),
            Some("the test returned an error: \"nope\"")
        );
    }

    #[test]
    fn setup_failures_name_each_fixture() {
        let mut setup = Setup::default();
        assert_eq!(setup.take("db: TestDatabase", Ok(1)), Some(1));
        assert_eq!(setup.failure(), None);
        let failed: Option<u8> = setup.take("redis: Redis", Err("no redis-server".into()));
        assert_eq!(failed, None);
        assert_eq!(
            setup.failure().as_deref(),
            Some("redis: Redis: no redis-server")
        );
    }

    #[test]
    fn the_value_a_test_returns_is_its_outcome() {
        let ran: Result<(), String> = run(info(None, false), |test| async move {
            assert_eq!(test.name(), "attribute::unit");
            assert!(test.fixtures().is_empty());
            Step::Ran(Err("failed as asked".into()))
        });
        assert_eq!(ran, Err("failed as asked".into()));
    }

    #[test]
    fn a_failed_setup_panics_with_what_failed() {
        let setup = std::panic::catch_unwind(|| {
            run::<(), _, _>(info(None, false), |_| async {
                Step::SetupFailed("db: TestDatabase: refused".into())
            })
        })
        .expect_err("a failed setup fails the test");
        assert_eq!(
            panic_text(&*setup),
            "attribute::unit: a fixture could not be set up:\ndb: TestDatabase: refused"
        );
    }

    #[test]
    fn a_test_past_its_timeout_fails_saying_so() {
        let timed_out = std::panic::catch_unwind(|| {
            run::<(), _, _>(info(Some(Duration::from_millis(20)), false), |_| async {
                std::future::pending::<()>().await;
                Step::Ran(())
            })
        })
        .expect_err("a timeout fails the test");
        assert!(
            panic_text(&*timed_out).starts_with("attribute::unit timed out after 20ms"),
            "{}",
            panic_text(&*timed_out)
        );
    }

    #[test]
    fn a_panic_is_resumed_with_its_own_payload() {
        for should_panic in [false, true] {
            let panicked = std::panic::catch_unwind(|| {
                run::<(), _, _>(info(None, should_panic), |_| async {
                    std::panic::panic_any(String::from("its own"))
                })
            })
            .expect_err("the panic comes back");
            assert_eq!(panic_text(&*panicked), "its own");
        }
    }

    #[test]
    fn the_migrations_directory_is_read_from_the_crate() {
        assert!(migrations_dir("/compiled/in", "migrations").ends_with("migrations"));
        let missing = load_migrations(PathBuf::from("/no/such/migrations"));
        assert!(
            matches!(missing, Err(DatabaseError::NoMigrations { .. })),
            "{missing:?}"
        );
    }

    fn panic_text(panic: &(dyn Any + Send)) -> String {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    }
}
