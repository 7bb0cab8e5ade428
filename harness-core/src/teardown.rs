//! The end of a test's fixtures, decided by its outcome: the built-in ones (a database dropped or
//! kept, a browser closed or its artifacts saved) and a user's own go through the same trait.

use std::any::Any;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// How a test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// It passed (a `#[should_panic]` test by panicking).
    Passed,
    /// It failed, and why.
    Failed(Failure),
}

impl Outcome {
    /// Whether the test failed.
    pub fn failed(&self) -> bool {
        matches!(self, Outcome::Failed(_))
    }

    /// Why the test failed, if it did.
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            Outcome::Failed(failure) => Some(failure),
            Outcome::Passed => None,
        }
    }
}

/// Why a test failed: the kind, and the sentence the harness reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    kind: FailureKind,
    message: String,
}

impl Failure {
    pub(crate) fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// The whole reason, as the harness reports it: `the test panicked: …`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// What went wrong in a failed test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// The body returned an `Err`.
    ReturnedError,
    /// The body panicked.
    Panicked,
    /// The body ran past the test's `timeout`.
    TimedOut,
    /// A fixture could not be set up (what the others made ends as a failed test's).
    SetupFailed,
    /// A `#[should_panic]` test did not panic.
    DidNotPanic,
}

/// What a teardown is told: the test, how it ended, and where its artifacts go.
#[derive(Debug)]
pub struct TestEnd<'a> {
    test: &'a str,
    outcome: &'a Outcome,
    artifacts: Option<&'a Path>,
}

impl TestEnd<'_> {
    /// The test's name, as [`TestContext::name`](crate::TestContext::name) gives it.
    pub fn test(&self) -> &str {
        self.test
    }

    /// How the test ended.
    pub fn outcome(&self) -> &Outcome {
        self.outcome
    }

    /// Whether the test failed.
    pub fn failed(&self) -> bool {
        self.outcome.failed()
    }

    /// The test's artifacts directory, if one of its fixtures asked for it while it ran
    /// ([`TestContext::artifacts_dir`](crate::TestContext::artifacts_dir); a `Browser` does):
    /// a failed test's files saved there are listed in its report. It may not exist yet.
    pub fn artifacts_dir(&self) -> Option<&Path> {
        self.artifacts
    }
}

/// When a teardown runs among a test's others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Stage {
    /// With the other cleanups, concurrently: dropping, keeping, saving files.
    Cleanup,
    /// After every cleanup has finished: a report of what they saved (a `Browser`'s is one).
    Report,
}

/// The end of a fixture, once its test's outcome is known: drop or keep what it made, save what
/// a failed test leaves for whoever reads the failure. The harness's own fixtures end through
/// this trait too.
///
/// Register it in the fixture's `setup` with [`TestContext::on_teardown`](crate::TestContext::on_teardown)
/// (it runs whatever the test does), or hand it over when the fixture is dropped with a
/// [`TeardownSlot`] (a fixture with a `close` of its own, like `TestDatabase`).
///
/// ```no_run
/// # extern crate harness_core as harness;
/// # async fn create_tenant(api: &str) -> Result<String, std::io::Error> { Ok(api.into()) }
/// const API: &str = "http://127.0.0.1:8080";
///
/// struct Tenant { id: String }
///
/// struct DeleteTenant { id: String }
///
/// impl harness::Teardown for DeleteTenant {
///     async fn teardown(self, end: &harness::TestEnd<'_>) {
///         if end.failed() {
///             eprintln!("kept tenant {} of the failed {}", self.id, end.test());
///             return;
///         }
///         let url = format!("{API}/tenants/{}", self.id);
///         let _ = reqwest::Client::new().delete(url).send().await;
///     }
/// }
///
/// impl harness::Fixture for Tenant {
///     async fn setup(test: &harness::TestContext) -> Result<Self, harness::FixtureError> {
///         let id = create_tenant(API).await?;
///         test.on_teardown(DeleteTenant { id: id.clone() });
///         Ok(Tenant { id })
///     }
/// }
/// ```
pub trait Teardown: Send + 'static {
    /// When it runs among the test's other teardowns.
    const STAGE: Stage = Stage::Cleanup;

    /// End the fixture. It runs on a runtime of its own after the test's has shut down, so it
    /// holds what it needs (clients made on the test's runtime may be gone).
    fn teardown(self, end: &TestEnd<'_>) -> impl Future<Output = ()>;
}

/// A teardown whose type is forgotten, to be kept beside others.
trait Erased: Send {
    fn stage(&self) -> Stage;
    fn run<'a>(self: Box<Self>, end: &'a TestEnd<'a>) -> Pin<Box<dyn Future<Output = ()> + 'a>>;
}

struct Typed<T>(T);

impl<T: Teardown> Erased for Typed<T> {
    fn stage(&self) -> Stage {
        T::STAGE
    }

    fn run<'a>(self: Box<Self>, end: &'a TestEnd<'a>) -> Pin<Box<dyn Future<Output = ()> + 'a>> {
        Box::pin(self.0.teardown(end))
    }
}

/// One test's fixtures that outlived its body: they end by its outcome.
pub(crate) struct Scope {
    test: String,
    teardowns: Mutex<Vec<Box<dyn Erased>>>,
    held: Mutex<Vec<Box<dyn Any + Send>>>,
    finished: AtomicBool,
    artifacts: OnceLock<PathBuf>,
}

impl Scope {
    pub(crate) fn new(test: String) -> Scope {
        Scope {
            test,
            teardowns: Mutex::default(),
            held: Mutex::default(),
            finished: AtomicBool::new(false),
            artifacts: OnceLock::new(),
        }
    }

    pub(crate) fn hold(&self, value: Box<dyn Any + Send>) {
        self.held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(value);
    }

    /// Take what `make` returns to end by the test's outcome, unless the test has ended: then
    /// `make` is not called, and `false` says the caller ends it as it would without a scope.
    fn defer<T: Teardown>(&self, make: impl FnOnce() -> T) -> bool {
        let mut teardowns = self.teardowns.lock().unwrap_or_else(|e| e.into_inner());
        if self.finished.load(Ordering::SeqCst) {
            return false;
        }
        teardowns.push(Box::new(Typed(make())));
        true
    }

    pub(crate) fn artifacts_dir(&self) -> &Path {
        self.artifacts
            .get_or_init(|| crate::artifacts::test_dir(&self.test))
    }

    /// End everything the test left: what it held first (dropping it hands over its parts'
    /// teardowns), then the cleanups together, then the reports.
    pub(crate) async fn finish(&self, outcome: &Outcome) {
        let held = std::mem::take(&mut *self.held.lock().unwrap_or_else(|e| e.into_inner()));
        drop(held);
        let teardowns = {
            let mut teardowns = self.teardowns.lock().unwrap_or_else(|e| e.into_inner());
            self.finished.store(true, Ordering::SeqCst);
            std::mem::take(&mut *teardowns)
        };
        let end = TestEnd {
            test: &self.test,
            outcome,
            artifacts: self.artifacts.get().map(PathBuf::as_path),
        };
        let (reports, cleanups): (Vec<_>, Vec<_>) = teardowns
            .into_iter()
            .partition(|teardown| teardown.stage() == Stage::Report);
        futures_util::future::join_all(cleanups.into_iter().map(|t| t.run(&end))).await;
        futures_util::future::join_all(reports.into_iter().map(|t| t.run(&end))).await;
    }
}

tokio::task_local! {
    /// The attribute's test whose body (fixtures' setups included) this task runs.
    static RUNNING: Arc<Scope>;
}

/// The attribute's tests whose bodies run in this process now (under nextest, one).
static ACTIVE: Mutex<Vec<Weak<Scope>>> = Mutex::new(Vec::new());

/// Run a test's body as `scope`'s: what a helper makes in it (a `TestDatabase::new` of its own)
/// follows the test's outcome as a parameter does.
pub(crate) async fn run_body<F: Future>(scope: &Arc<Scope>, body: F) -> F::Output {
    /// Out of `ACTIVE` however the body ends (a timeout drops it).
    struct Active(Weak<Scope>);
    impl Drop for Active {
        fn drop(&mut self) {
            ACTIVE
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|w| !w.ptr_eq(&self.0));
        }
    }
    let active = Active(Arc::downgrade(scope));
    ACTIVE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(active.0.clone());
    let output = RUNNING.scope(Arc::clone(scope), body).await;
    drop(active);
    output
}

/// The slot of the attribute's test this code runs for: the body's own task's, else (a task it
/// spawned, a thread of its own) the one test whose body runs in this process. `None` off the
/// attribute, or when several tests of one process could be meant (`cargo test`'s threads).
pub(crate) fn current_slot() -> Option<TeardownSlot> {
    if let Ok(scope) = RUNNING.try_with(Arc::clone) {
        return Some(TeardownSlot::new(scope));
    }
    let active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner());
    let mut live = active
        .iter()
        .filter_map(Weak::upgrade)
        .filter(|scope| !scope.finished.load(Ordering::SeqCst));
    match (live.next(), live.next()) {
        (Some(one), None) => Some(TeardownSlot::new(one)),
        _ => None,
    }
}

/// Where a fixture hands over its teardown when it is dropped, if its test is still running
/// (from [`TestContext::teardown_slot`](crate::TestContext::teardown_slot)). A fixture with a
/// `close` of its own keeps one, and ends itself when closed.
pub struct TeardownSlot {
    scope: Arc<Scope>,
}

impl std::fmt::Debug for TeardownSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeardownSlot")
            .field("test", &self.scope.test)
            .finish()
    }
}

impl TeardownSlot {
    pub(crate) fn new(scope: Arc<Scope>) -> TeardownSlot {
        TeardownSlot { scope }
    }

    /// Hand over the teardown `make` returns, to run once the test's outcome is known. `false`
    /// when the test has already ended (the fixture outlived it): then `make` is not called, and
    /// the fixture ends itself, as it would without a test.
    pub fn defer<T: Teardown>(self, make: impl FnOnce() -> T) -> bool {
        self.scope.defer(make)
    }

    /// The test's artifacts directory: see [`TestContext::artifacts_dir`](crate::TestContext::artifacts_dir).
    pub fn artifacts_dir(&self) -> &Path {
        self.scope.artifacts_dir()
    }

    /// The test's name.
    pub fn test(&self) -> &str {
        &self.scope.test
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Record {
        log: Arc<Mutex<Vec<String>>>,
        what: &'static str,
    }

    impl Teardown for Record {
        async fn teardown(self, end: &TestEnd<'_>) {
            // Yields once, so that a report would overtake an unfinished cleanup if it could.
            tokio::task::yield_now().await;
            self.log.lock().unwrap().push(format!(
                "{} {} {:?}",
                self.what,
                end.test(),
                end.outcome().failure().map(Failure::kind)
            ));
        }
    }

    struct Report(Record);

    impl Teardown for Report {
        const STAGE: Stage = Stage::Report;
        async fn teardown(self, end: &TestEnd<'_>) {
            self.0.teardown(end).await
        }
    }

    #[tokio::test]
    async fn reports_run_after_every_cleanup_and_see_the_outcome() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let scope = Arc::new(Scope::new("unit::t".into()));
        let record = |what| Record {
            log: Arc::clone(&log),
            what,
        };
        assert!(TeardownSlot::new(Arc::clone(&scope)).defer(|| Report(record("report"))));
        assert!(TeardownSlot::new(Arc::clone(&scope)).defer(|| record("a")));
        assert!(TeardownSlot::new(Arc::clone(&scope)).defer(|| record("b")));
        let failed = Outcome::Failed(Failure::new(FailureKind::Panicked, "the test panicked"));
        scope.finish(&failed).await;
        let log = log.lock().unwrap().clone();
        assert_eq!(log.len(), 3, "{log:?}");
        assert_eq!(log[2], "report unit::t Some(Panicked)");
        assert!(log[..2].contains(&"a unit::t Some(Panicked)".to_owned()));
        // The test has ended: a late fixture ends itself.
        let late = TeardownSlot::new(Arc::clone(&scope))
            .defer(|| -> Record { panic!("not made after the end") });
        assert!(!late);
    }
}
