//! Fixtures of the user's own that live as long as the run: set up once, by the first test that
//! asks (under the run's start lock), their value shared with every test process of the run, and
//! torn down by the user's code when the run is over, also when the run was killed (SIGKILL):
//! the same keeper that owns the run's Postgres server runs the teardown, by executing a hidden
//! entry of the same test binary that `#[harness::run_fixture]` adds.

use std::future::Future;
use std::ops::Deref;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::keeper::{self, ChildSpec, KeeperSpec};
use crate::testing::{Fixture, FixtureError, TestContext};
use crate::workdir::{Run, stable_hash};

/// Where the teardown entry finds the value to tear down (set by the keeper on its process).
const STATE_ENV: &str = "HARNESS_RUN_FIXTURE_STATE";

/// A fixture of yours that lives as long as the run: a tenant seeded over the service's API,
/// static assets built once, a bucket in a shared service. Its value crosses processes (nextest
/// runs each test in one), so it is serde's: keep in it what the tests and the teardown need
/// (ids, URLs, paths), not connections.
///
/// Put `#[harness::run_fixture]` on the `impl`; a test takes it as `tenant: PerRun<Tenant>`.
///
/// ```ignore
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Assets { dir: std::path::PathBuf }
///
/// #[harness::run_fixture]
/// impl harness::RunFixture for Assets {
///     async fn setup() -> Result<Self, harness::FixtureError> {
///         let dir = build_the_assets().await?;   // once per run, whatever the number of tests
///         Ok(Assets { dir })
///     }
///     async fn teardown(self) -> Result<(), harness::FixtureError> {
///         Ok(std::fs::remove_dir_all(&self.dir)?)
///     }
/// }
///
/// #[harness::test]
/// async fn the_page_loads_its_styles(assets: harness::PerRun<Assets>) { /* assets.dir */ }
/// ```
pub trait RunFixture: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Make the run's value. It runs in the first test process that asks, while the others of
    /// the run wait for it; if it fails, that test fails, and the next one to ask tries again.
    fn setup() -> impl Future<Output = Result<Self, FixtureError>>;

    /// Undo what `setup` made, once the run is over (its last test process has exited, or the
    /// runner is gone). It runs in a process of its own, on a runtime of its own, within 60 s;
    /// the run's other shared resources (its Postgres server, shared services) may be gone by
    /// then. A failure is saved in `target/harness-artifacts/teardown-failed-<type>.txt`.
    fn teardown(self) -> impl Future<Output = Result<(), FixtureError>>;
}

/// Where a [`RunFixture`]'s teardown entry is: written by `#[harness::run_fixture]`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no teardown entry",
    label = "not made a run fixture",
    note = "put `#[harness::run_fixture]` on its `impl harness::RunFixture for {Self}`"
)]
pub trait RunFixtureEntry {
    /// `module_path!()` and the entry's name.
    const ENTRY: &'static str;
}

/// The run's value of a [`RunFixture`], as a test's parameter (`assets: PerRun<Assets>`): it
/// dereferences to the value. Cheap to clone.
pub struct PerRun<T>(Arc<T>);

impl<T> Clone for PerRun<T> {
    fn clone(&self) -> Self {
        PerRun(Arc::clone(&self.0))
    }
}

impl<T> Deref for PerRun<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for PerRun<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PerRun").field(&self.0).finish()
    }
}

impl<T: RunFixture + RunFixtureEntry> PerRun<T> {
    /// The run's value, set up now if no test of the run has: for a fixture of yours made of
    /// it, or a test written by hand.
    pub async fn get() -> Result<PerRun<T>, FixtureError> {
        let key = format!(
            "fixture-{:016x}",
            stable_hash(&[std::any::type_name::<T>().as_bytes()])
        );
        let value: T = crate::shared::acquire(&key, |files| async move {
            let spec = KeeperSpec {
                runner: Run::current().runner,
                child: None,
                docker_label: None,
                docker_host: None,
                remove: Vec::new(),
                private: false,
                teardown: Some(teardown_entry::<T>(&files)?),
                linger: None,
                files,
            };
            keeper::spawn(&spec, crate::config::startup_timeout())?;
            T::setup().await
        })
        .await?;
        Ok(PerRun(Arc::new(value)))
    }
}

/// The hidden test that tears the value down, as the keeper runs it: this binary, its one test,
/// the value's state file named in its environment.
fn teardown_entry<T: RunFixtureEntry>(
    files: &keeper::ResourceFiles,
) -> Result<ChildSpec, FixtureError> {
    // Run by the keeper, which is this binary too.
    let program = keeper::this_binary()?;
    // libtest's names leave the crate out.
    let name = T::ENTRY.split_once("::").map_or(T::ENTRY, |(_, path)| path);
    Ok(ChildSpec::new(
        program,
        [
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ]
        .map(String::from)
        .to_vec(),
        vec![
            (STATE_ENV.to_owned(), files.state().display().to_string()),
            // A run of its own: the run it tears down is over.
            ("NEXTEST_RUN_ID".to_owned(), String::new()),
        ],
        files.dir().join("teardown.log"),
    ))
}

impl<T: RunFixture + RunFixtureEntry> Fixture for PerRun<T> {
    async fn setup(_: &TestContext) -> Result<Self, FixtureError> {
        PerRun::get().await
    }
}

/// The body of the hidden entry `#[harness::run_fixture]` adds: tear the value down when the
/// keeper asks (and do nothing when the entry is run as a test, by `--ignored`).
#[doc(hidden)]
pub fn run_teardown<T: RunFixture>() {
    let Some(state) = std::env::var_os(STATE_ENV) else {
        return;
    };
    let what = std::any::type_name::<T>();
    let torn_down = (|| -> Result<(), FixtureError> {
        let value: T = serde_json::from_slice(&std::fs::read(&state)?)?;
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(value.teardown())
    })();
    if let Err(e) = torn_down {
        // The run is over: nobody reads this process's output. The file stays for whoever
        // wonders why the tenant is still there.
        let why = format!(
            "the run-scoped fixture {what} was not torn down: {}\n",
            crate::error_chain(&*e)
        );
        let root = crate::artifacts::root();
        let _ = std::fs::create_dir_all(&root);
        let _ = std::fs::write(
            root.join(format!(
                "teardown-failed-{}.txt",
                crate::artifacts::safe_name(what)
            )),
            &why,
        );
        panic!("{why}");
    }
}
