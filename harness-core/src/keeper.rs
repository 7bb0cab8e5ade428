//! The keeper: a small detached process that owns one shared resource of a run (a Postgres
//! server, a container, a WebDriver server) and removes it once the run is over.
//!
//! It is the running binary itself, re-executed with `HARNESS_KEEPER_SPEC` set. In a test binary
//! (which depends on `e2e-harness`, whose `keeper-hook` feature is on) a constructor that runs
//! before `main` sees the variable and runs the keeper instead of the tests. A program that
//! depends on the core alone links no such constructor: it calls [`run_if_asked`] first thing in
//! `main`, and only then can it start shared resources (say, [`EmbeddedPostgres`]).
//!
//! [`EmbeddedPostgres`]: crate::EmbeddedPostgres
//!
//! The run is over when its runner is gone and no process holds a lease (a shared lock on the
//! lease file, which the OS drops with its holder, even on SIGKILL).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

#[cfg(feature = "docker")]
use crate::docker_engine;
use crate::process;

/// Set to the path of a [`KeeperSpec`] to turn a harness binary into a keeper.
pub(crate) const KEEPER_ENV: &str = "HARNESS_KEEPER_SPEC";

const POLL: Duration = Duration::from_millis(25);
const STOP_GRACE: Duration = Duration::from_secs(10);
/// How long a removal that fails is tried again (something may still hold the files).
const REMOVE_PATIENCE: Duration = Duration::from_secs(2);
/// How long a keeper whose starter died mid-create watches for the container to appear.
#[cfg(feature = "docker")]
const CREATE_PATIENCE: Duration = Duration::from_secs(10);

/// What a keeper owns and how to remove it. Written by the process that spawns the keeper.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[doc(hidden)]
pub struct KeeperSpec {
    /// The process whose death ends the run; `None` when it is already gone.
    pub(crate) runner: Option<u32>,
    pub(crate) files: ResourceFiles,
    /// A process the keeper starts and stops.
    pub child: Option<ChildSpec>,
    /// Containers carrying this `key=value` label are removed at the end.
    pub(crate) docker_label: Option<String>,
    /// The engine those containers run in (`unix:///…`, `tcp://…`, `npipe://…`), as the process
    /// that started them resolved it: the keeper must reach the same one.
    #[serde(default)]
    pub(crate) docker_host: Option<String>,
    /// Removed at the end besides the resource directory.
    pub remove: Vec<PathBuf>,
    /// One process's own resource, never acquired by another: however it ends, its run files go
    /// with it (a shared one keeps them for its restart until the run is over).
    #[serde(default)]
    pub(crate) private: bool,
    /// A program run to its end (within [`TEARDOWN_LIMIT`]) before anything is removed, while the
    /// resource's state is still there: a run-scoped fixture's teardown.
    #[serde(default)]
    pub(crate) teardown: Option<ChildSpec>,
    /// How long the resource outlives its run, idle, for the next run to adopt or a person to
    /// look at: set when the spec is written, from the run's `HARNESS_LINGER` or `HARNESS_KEEP`,
    /// never for a private resource.
    #[serde(default)]
    pub(crate) linger: Option<Duration>,
}

/// How long a run-scoped fixture's teardown may take before the keeper ends it.
const TEARDOWN_LIMIT: Duration = Duration::from_secs(60);

/// A process started by the keeper.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[doc(hidden)]
pub struct ChildSpec {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub(crate) log: PathBuf,
    /// Stop by SIGINT (Postgres' fast shutdown) rather than SIGTERM.
    pub(crate) interrupt_to_stop: bool,
    /// Unix uid/gid to run as (Postgres refuses to run as root).
    pub(crate) run_as: Option<(u32, u32)>,
}

/// The last `lines` lines of a text (what a failure shows of a log).
pub(crate) fn last_lines(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The last `lines` lines of a keeper child's log file (nothing if it cannot be read).
#[doc(hidden)]
pub fn log_tail(path: &Path, lines: usize) -> String {
    last_lines(&file_tail(path, LOG_TAIL_BYTES), lines)
}

/// How much of a log's end is read for its tail: a long-running server's log can be large, and a
/// failure needs only its last lines.
pub(crate) const LOG_TAIL_BYTES: u64 = 64 * 1024;

/// The last `bytes` bytes of a file as text, from its first whole line (nothing if it cannot be
/// read).
pub(crate) fn file_tail(path: &Path, bytes: u64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = fs::File::open(path) else {
        return String::new();
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let start = length.saturating_sub(bytes);
    let mut raw = Vec::new();
    if file.seek(SeekFrom::Start(start)).is_err() || file.read_to_end(&mut raw).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&raw);
    match (start, text.split_once('\n')) {
        // Cut mid-line: the partial first line is dropped.
        (1.., Some((_, rest))) => rest.to_owned(),
        _ => text.into_owned(),
    }
}

impl KeeperSpec {
    /// Whether the process whose death ends the run is gone (or there is none).
    pub(crate) fn runner_gone(&self) -> bool {
        self.runner.is_none_or(|pid| !process::is_alive(pid))
    }

    /// A keeper that runs nothing and owns its resource's directory alone: a place for the run's
    /// files that must outlive any one resource of it, removed once the run is over.
    pub fn of_dir(runner: Option<u32>, files: ResourceFiles) -> KeeperSpec {
        KeeperSpec {
            runner,
            files,
            child: None,
            docker_label: None,
            docker_host: None,
            remove: Vec::new(),
            private: false,
            teardown: None,
            linger: None,
        }
    }

    /// A keeper that runs `child` and owns nothing else.
    pub fn of_child(
        runner: Option<u32>,
        private: bool,
        files: ResourceFiles,
        child: ChildSpec,
    ) -> KeeperSpec {
        KeeperSpec {
            child: Some(child),
            private,
            ..KeeperSpec::of_dir(runner, files)
        }
    }
}

impl ChildSpec {
    /// A program stopped by SIGTERM and run as this user, `env` added to the inherited
    /// environment, its output in `log`.
    pub fn new(
        program: PathBuf,
        args: Vec<String>,
        env: Vec<(String, String)>,
        log: PathBuf,
    ) -> ChildSpec {
        ChildSpec {
            program,
            args,
            env,
            log,
            interrupt_to_stop: false,
            run_as: None,
        }
    }
}

/// What the keeper reports once it runs: written to `keeper.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[doc(hidden)]
pub struct KeeperReport {
    pub(crate) keeper_pid: u32,
    pub child_pid: Option<u32>,
}

/// The files of one shared resource of one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[doc(hidden)]
pub struct ResourceFiles {
    pub(crate) run_dir: PathBuf,
    pub(crate) key: String,
}

impl ResourceFiles {
    pub fn new(run_dir: PathBuf, key: &str) -> Self {
        ResourceFiles {
            run_dir,
            key: key.to_owned(),
        }
    }
    fn lock(&self, what: &str) -> PathBuf {
        self.run_dir.join(format!("{}.{what}.lock", self.key))
    }
    /// Held exclusively by whoever is starting the resource.
    pub(crate) fn start_lock(&self) -> PathBuf {
        self.lock("start")
    }
    /// Held shared by every process using the resource.
    pub(crate) fn lease_lock(&self) -> PathBuf {
        self.lock("lease")
    }
    /// Held exclusively by the keeper for its whole life: free means no keeper.
    pub(crate) fn keeper_lock(&self) -> PathBuf {
        self.lock("keeper")
    }
    /// Everything else: spec, reports, logs, data.
    pub fn dir(&self) -> PathBuf {
        self.run_dir.join(&self.key)
    }
    pub(crate) fn spec(&self) -> PathBuf {
        self.dir().join("keeper-spec.json")
    }
    pub(crate) fn report(&self) -> PathBuf {
        self.dir().join("keeper.json")
    }
    pub(crate) fn keeper_log(&self) -> PathBuf {
        self.dir().join("keeper.log")
    }
    /// Its appearance asks the keeper to remove the resource now.
    pub fn quit(&self) -> PathBuf {
        self.dir().join("quit")
    }
    /// Written by the starter once the resource is ready for use.
    pub(crate) fn state(&self) -> PathBuf {
        self.dir().join("state.json")
    }
}

/// Open (creating) a lock file.
#[doc(hidden)]
pub fn open_lock(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// Whether some process holds this lock file (exclusively or shared).
pub(crate) fn is_locked(path: &Path) -> bool {
    // Never created here: a poll that runs after the keeper removed its lock file (the test
    // waiting for its own service to stop, say) would leave a new one behind for good.
    let Ok(file) = OpenOptions::new().read(true).write(true).open(path) else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            false
        }
        Err(_) => true,
    }
}

/// Write a file so that readers see all of it or none of it.
pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    fs::write(&tmp, contents)?;
    fs::rename(&tmp, path)
}

/// Record what a keeper will own before creating any of it, so that a later run can remove it
/// should this process die before the keeper runs.
pub(crate) fn write_spec(spec: &KeeperSpec) -> std::io::Result<()> {
    fs::create_dir_all(spec.files.dir())?;
    let spec = KeeperSpec {
        linger: if spec.private {
            None
        } else {
            crate::workdir::Run::current().linger
        },
        ..spec.clone()
    };
    let bytes = serde_json::to_vec_pretty(&spec).map_err(std::io::Error::other)?;
    write_atomically(&spec.files.spec(), &bytes)
}

/// Why a keeper could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeeperError {
    /// Its spec or log could not be written.
    #[error("cannot write the keeper's files in {dir}")]
    Files {
        /// The resource's directory.
        dir: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The process could not be started.
    #[error("cannot start the keeper process")]
    Start(#[source] std::io::Error),
    /// It ended before it was ready.
    #[error("the keeper exited ({status}) before it was ready; its log:\n{log}")]
    Exited {
        /// How it ended.
        status: std::process::ExitStatus,
        /// What it wrote (the child's start failure, say).
        log: String,
    },
    /// This binary cannot act as a keeper: it has neither the constructor nor a call to
    /// [`run_if_asked`].
    #[error(
        "this program cannot start the harness's keeper: it depends on e2e-harness-core without \
         the `keeper-hook` feature and has not called `harness_core::keeper::run_if_asked()` \
         (hint: call it first thing in `main`, or depend on e2e-harness)"
    )]
    NoHook,
    /// It did not report in time.
    #[error("the keeper was not ready after {0:?}")]
    Timeout(Duration),
}

/// The path that runs this very binary (a keeper, a run fixture's teardown entry). On Linux,
/// /proc/self/exe still runs it after cargo rebuilt (replaced) it on disk during the run; the path
/// std reports would then name the new file, or none.
pub(crate) fn this_binary() -> std::io::Result<PathBuf> {
    if cfg!(target_os = "linux") {
        Ok(PathBuf::from("/proc/self/exe"))
    } else {
        std::env::current_exe()
    }
}

/// Start a keeper for `spec`, detached from this process, and return once it has either started
/// its child (the report) or failed (its log). The caller holds the resource's start lock.
#[doc(hidden)]
pub fn spawn(spec: &KeeperSpec, deadline: Duration) -> Result<KeeperReport, KeeperError> {
    ensure_can_spawn()?;
    let files = &spec.files;
    let files_error = |source| KeeperError::Files {
        dir: files.dir(),
        source,
    };
    write_spec(spec).map_err(files_error)?;
    let _ = fs::remove_file(files.report());
    let _ = fs::remove_file(files.quit());
    let log = File::create(files.keeper_log()).map_err(files_error)?;
    let log2 = log.try_clone().map_err(files_error)?;
    let mut command = Command::new(this_binary().map_err(KeeperError::Start)?);
    // Arguments a libtest binary or a CLI rejects or matches nothing with: should the constructor
    // be missing, the re-executed binary exits instead of running the tests again.
    command
        .args(["__harness_keeper__", "--exact"])
        .env(KEEPER_ENV, files.spec())
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2);
    process::detach(&mut command);
    let mut keeper = command.spawn().map_err(KeeperError::Start)?;
    let started = Instant::now();
    loop {
        if let Ok(bytes) = fs::read(files.report())
            && let Ok(report) = serde_json::from_slice::<KeeperReport>(&bytes)
        {
            // The keeper lives on detached; nothing waits for it here.
            drop(keeper);
            return Ok(report);
        }
        if let Ok(Some(status)) = keeper.try_wait() {
            let log = fs::read_to_string(files.keeper_log()).unwrap_or_default();
            return Err(KeeperError::Exited {
                status,
                log: log.trim().to_owned(),
            });
        }
        if started.elapsed() > deadline {
            let _ = keeper.kill();
            return Err(KeeperError::Timeout(deadline));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// `Err(NoHook)` unless this binary turns into a keeper when re-executed as one: checked before
/// anything is started or written, so that a program that forgot [`run_if_asked`] is told at
/// once and leaves nothing behind.
pub(crate) fn ensure_can_spawn() -> Result<(), KeeperError> {
    // Referencing the constructor keeps the linker from dropping it from the test binary.
    #[cfg(feature = "keeper-hook")]
    std::hint::black_box(keeper_dispatch as fn());
    if !cfg!(feature = "keeper-hook") && !ASKED.load(std::sync::atomic::Ordering::Relaxed) {
        // Re-executing a binary that would not turn into a keeper would start the program
        // again (a second server, say) instead.
        return Err(KeeperError::NoHook);
    }
    Ok(())
}

/// Whether [`run_if_asked`] was called: this process may re-execute itself as a keeper.
static ASKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Run as the harness's keeper, and exit, if this process was started as one; otherwise return at
/// once (and let this process start keepers from then on).
///
/// Only for a program that depends on `e2e-harness-core` without its `keeper-hook` feature (a
/// service that starts an [`EmbeddedPostgres`](crate::EmbeddedPostgres) on `cargo run`, say):
/// call it first thing in `main`, before any thread or runtime is started. Test binaries need
/// nothing: `e2e-harness` turns the feature on, and its constructor does this before `main`.
///
/// ```no_run
/// // First thing in `main`; the program may then call `EmbeddedPostgres::start`.
/// harness_core::keeper::run_if_asked();
/// ```
pub fn run_if_asked() {
    ASKED.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(spec) = std::env::var_os(KEEPER_ENV) {
        let code = keeper_main(Path::new(&spec));
        std::process::exit(code);
    }
}

// Before `main`, so that a libtest binary runs no test and starts no thread first. Behind a
// feature so that a production binary that depends on the core links no constructor.
#[cfg(feature = "keeper-hook")]
#[ctor::ctor(unsafe)]
fn keeper_dispatch() {
    run_if_asked();
}

fn log(message: impl AsRef<str>) {
    // The keeper's stderr is its log file.
    let _ = writeln!(
        std::io::stderr(),
        "harness keeper {}: {}",
        std::process::id(),
        message.as_ref()
    );
}

#[derive(Debug, PartialEq)]
enum Ending {
    RunOver,
    Asked,
    ChildExited,
}

fn keeper_main(spec_path: &Path) -> i32 {
    let spec: KeeperSpec = match fs::read(spec_path)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(spec) => spec,
        Err(e) => {
            log(format!("cannot read spec {}: {e}", spec_path.display()));
            return 2;
        }
    };
    let files = &spec.files;
    let Ok(keeper_lock) = open_lock(&files.keeper_lock()) else {
        log("cannot open the keeper lock");
        return 2;
    };
    if keeper_lock.try_lock().is_err() {
        log("another keeper holds this resource");
        return 0;
    }
    let mut child = match spec.child.as_ref().map(start_child).transpose() {
        Ok(child) => child,
        Err(e) => {
            log(e);
            clean_up(&spec, None);
            return 1;
        }
    };
    let report = KeeperReport {
        keeper_pid: std::process::id(),
        child_pid: child.as_ref().map(Child::id),
    };
    let bytes = serde_json::to_vec(&report).expect("a report serializes");
    if let Err(e) = write_atomically(&files.report(), &bytes) {
        log(format!("cannot write the report: {e}"));
        clean_up(&spec, child.as_mut());
        return 1;
    }
    let lease = match open_lock(&files.lease_lock()) {
        Ok(lease) => lease,
        Err(e) => {
            log(format!("cannot open the lease file: {e}"));
            clean_up(&spec, child.as_mut());
            return 1;
        }
    };
    // Since when the run has been over with nothing using the resource, when it lingers.
    let mut idle_since: Option<Instant> = None;
    let ending = loop {
        std::thread::sleep(POLL);
        if files.quit().exists() {
            break Ending::Asked;
        }
        if let Some(child) = child.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            log(format!("the child exited by itself: {status}"));
            break Ending::ChildExited;
        }
        // An exclusive lock succeeds only when no process holds a lease.
        if lease.try_lock().is_ok() {
            if spec.runner_gone() {
                let Some(linger) = spec.linger else {
                    // Keep the lease locked while cleaning so no process starts using a dying
                    // resource.
                    break Ending::RunOver;
                };
                let since = *idle_since.get_or_insert_with(|| {
                    log(format!(
                        "the run is over: lingering for {linger:?} unless used"
                    ));
                    Instant::now()
                });
                if since.elapsed() >= linger {
                    break Ending::RunOver;
                }
            } else {
                idle_since = None;
            }
            let _ = lease.unlock();
        } else if idle_since.take().is_some() {
            log("in use again");
        }
    };
    // Asked to end after its run (`harness down`): as if the run were over, the lease kept locked.
    let ending = match ending {
        Ending::Asked if spec.runner_gone() && lease.try_lock().is_ok() => Ending::RunOver,
        other => other,
    };
    log(format!("ending: {ending:?}"));
    let run_goes_on = !(ending == Ending::RunOver || spec.private);
    // A child that died by itself (Postgres of a full disk, say) told why in its log: the run's
    // tests quote it in their errors, so it stays until the run is over.
    let keep = match (&ending, &spec.child) {
        (Ending::ChildExited, Some(child)) if run_goes_on => Some(child.log.as_path()),
        _ => None,
    };
    clean_up_keeping(&spec, child.as_mut(), keep);
    if !run_goes_on {
        drop(lease);
        drop(keeper_lock);
        remove_run_files(files);
    } else {
        // The resource is gone (its child died, say of a full disk) but the run goes on: a later
        // test process may start it again, so the keeper lock is let go. The run's lock files
        // are still this keeper's to remove once the run is over, unless a new keeper owns them.
        drop(keeper_lock);
        remove_run_files_when_over(&spec, &lease);
    }
    0
}

fn clean_up(spec: &KeeperSpec, child: Option<&mut Child>) {
    clean_up_keeping(spec, child, None);
}

/// Wait for the run to be over (no lease held, the runner gone), then remove its files, unless
/// another keeper has taken the resource over by then.
fn remove_run_files_when_over(spec: &KeeperSpec, lease: &File) {
    let files = &spec.files;
    let Ok(keeper_lock) = open_lock(&files.keeper_lock()) else {
        return;
    };
    loop {
        std::thread::sleep(POLL);
        // Held only for this check: a starter that finds it held would wait on a keeper that
        // runs nothing.
        if keeper_lock.try_lock().is_err() {
            log("another keeper has taken the resource over");
            return;
        }
        if lease.try_lock().is_ok() && spec.runner_gone() {
            log("the run is over: removing its files");
            remove_path(&files.dir());
            remove_run_files(files);
            return;
        }
        let _ = lease.unlock();
        let _ = keeper_lock.unlock();
    }
}

fn start_child(spec: &ChildSpec) -> Result<Child, String> {
    let log = File::create(&spec.log)
        .map_err(|e| format!("cannot create {}: {e}", spec.log.display()))?;
    let log2 = log.try_clone().map_err(|e| e.to_string())?;
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .env_remove(KEEPER_ENV)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // A group of its own: the helpers it forks (Chrome's renderers and crash handler, the
        // server's backends) can be ended with it, before its files are removed under them.
        command.process_group(0);
        if let Some((uid, gid)) = spec.run_as {
            command.uid(uid).gid(gid);
        }
    }
    command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", spec.program.display()))
}

/// Run a teardown to its end, or end it after [`TEARDOWN_LIMIT`]; what it printed is in its log.
fn run_teardown(spec: &ChildSpec) {
    let mut teardown = match start_child(spec) {
        Ok(teardown) => teardown,
        Err(e) => return log(format!("cannot run the teardown: {e}")),
    };
    match exited_within(&mut teardown, TEARDOWN_LIMIT) {
        Some(status) => log(format!("the teardown ended: {status}")),
        None => {
            log(format!(
                "the teardown ran past {TEARDOWN_LIMIT:?}: ending it"
            ));
            stop_child(&mut teardown, false);
        }
    }
}

/// How `child` exited, if it does within `limit` (`None` too if its state cannot be read).
fn exited_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if started.elapsed() < limit => std::thread::sleep(Duration::from_millis(5)),
            _ => return None,
        }
    }
}

/// Stop the child, remove containers and files but `keep` (a file of the resource's directory).
/// Best effort: every failure is logged, none stops the rest of the cleanup.
fn clean_up_keeping(spec: &KeeperSpec, child: Option<&mut Child>, keep: Option<&Path>) {
    let files = &spec.files;
    // Only a value that was set up (its state written) is torn down.
    if let Some(teardown) = &spec.teardown
        && files.state().exists()
    {
        run_teardown(teardown);
    }
    let _ = fs::remove_file(files.state());
    if let Some(child) = child {
        stop_child(
            child,
            spec.child.as_ref().is_some_and(|c| c.interrupt_to_stop),
        );
    }
    #[cfg(feature = "docker")]
    if let Some(label) = &spec.docker_label {
        remove_containers(spec, label);
    }
    for path in &spec.remove {
        remove_path(path);
        remove_empty_harness_parent(path);
    }
    match keep {
        Some(keep) => fs::read_dir(files.dir())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.path() != keep)
            .for_each(|entry| remove_path(&entry.path())),
        None => remove_path(&files.dir()),
    }
}

/// Remove the resource's containers. When its starter never heard back from the engine (it died
/// mid-create), the container may appear after this runs: watch for it, bounded.
#[cfg(feature = "docker")]
fn remove_containers(spec: &KeeperSpec, label: &str) {
    let cut_short = !spec
        .files
        .dir()
        .join(docker_engine::STARTED_MARKER)
        .exists();
    let patience = if cut_short {
        CREATE_PATIENCE
    } else {
        Duration::ZERO
    };
    let started = Instant::now();
    loop {
        match docker_engine::remove_labelled(spec.docker_host.as_deref(), label) {
            Ok(0) if started.elapsed() < patience => {}
            Ok(0) => return,
            Ok(n) => {
                log(format!("removed {n} container(s) labelled {label}"));
                return;
            }
            Err(e) => {
                log(format!("cannot remove containers labelled {label}: {e}"));
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Data outside the harness dir lives in a `harness-…` folder of its own (in /dev/shm, say):
/// the last server to go takes the folder with it.
fn remove_empty_harness_parent(path: &Path) {
    if let Some(parent) = path.parent()
        && parent
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("harness-"))
    {
        let _ = fs::remove_dir(parent);
    }
}

pub(crate) fn stop_child(child: &mut Child, interrupt: bool) {
    stop_process(child, interrupt);
    end_group_of(child.id());
}

fn stop_process(child: &mut Child, interrupt: bool) {
    if matches!(child.try_wait(), Ok(Some(_))) {
        return;
    }
    process::request_stop(child.id(), interrupt);
    if exited_within(child, STOP_GRACE).is_some() {
        return;
    }
    log(format!(
        "the child did not stop within {STOP_GRACE:?}: killing it"
    ));
    let _ = child.kill();
    let _ = child.wait();
}

/// End what is left of the child's process group (see `start_child`) and wait, bounded, until it
/// is empty: a helper still writing into the child's directory would make its removal fail.
fn end_group_of(pid: u32) {
    #[cfg(unix)]
    {
        let group = -(pid as libc::pid_t);
        // SAFETY: kill has no memory-safety preconditions; a negative pid names a process group.
        unsafe { libc::kill(group, libc::SIGKILL) };
        let asked = Instant::now();
        // SAFETY: as above; signal 0 only asks whether any member remains.
        while unsafe { libc::kill(group, 0) } == 0 && asked.elapsed() < STOP_GRACE {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    #[cfg(not(unix))]
    let _ = pid;
}

fn remove_path(path: &Path) {
    let remove = || {
        if path.is_dir() {
            fs::remove_dir_all(path)
        } else {
            fs::remove_file(path)
        }
    };
    let mut result = remove();
    // A process that has not yet let go (Windows keeps a file until its last handle closes;
    // elsewhere a straggler may still create one): try again, bounded.
    let started = Instant::now();
    while result
        .as_ref()
        .is_err_and(|e| e.kind() != std::io::ErrorKind::NotFound)
        && started.elapsed() < REMOVE_PATIENCE
    {
        std::thread::sleep(Duration::from_millis(20));
        result = remove();
    }
    if let Err(e) = result
        && e.kind() != std::io::ErrorKind::NotFound
    {
        log(format!("cannot remove {}: {e}", path.display()));
    }
}

/// Once the run is over: its lock files, and the run directory when no other resource is in it.
pub(crate) fn remove_run_files(files: &ResourceFiles) {
    for lock in [files.start_lock(), files.lease_lock(), files.keeper_lock()] {
        let _ = fs::remove_file(lock);
    }
    let _ = fs::remove_dir(&files.run_dir);
}

/// Remove what a keeper that died left behind (its child, containers, files). Called by a later
/// process that found the keeper lock free and took the start lock.
pub(crate) fn clean_after_dead_keeper(files: &ResourceFiles) -> Vec<String> {
    let mut removed = Vec::new();
    let spec: Option<KeeperSpec> = fs::read(files.spec())
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let report: Option<KeeperReport> = fs::read(files.report())
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    if let (Some(spec), Some(pid)) = (&spec, report.and_then(|r| r.child_pid))
        && let Some(child) = &spec.child
        && process::is_alive(pid)
        && process_runs(pid, &child.program)
    {
        process::request_stop(pid, child.interrupt_to_stop);
        let asked = Instant::now();
        while process::is_alive(pid) && asked.elapsed() < STOP_GRACE {
            std::thread::sleep(Duration::from_millis(10));
        }
        if process::is_alive(pid) {
            process::kill(pid);
        }
        end_group_of(pid);
        removed.push(format!("process {pid} ({})", child.program.display()));
    }
    #[cfg(feature = "docker")]
    if let Some(spec) = &spec
        && let Some(label) = &spec.docker_label
        && let Ok(n) = docker_engine::remove_labelled(spec.docker_host.as_deref(), label)
        && n > 0
    {
        removed.push(format!("{n} container(s)"));
    }
    for path in spec
        .iter()
        .flat_map(|s| s.remove.iter())
        .chain(std::iter::once(&files.dir()))
    {
        if path.exists() {
            remove_path(path);
            remove_empty_harness_parent(path);
            removed.push(path.display().to_string());
        }
    }
    removed
}

/// Guards against a recycled pid: on Linux, the process must still run the program we started.
fn process_runs(pid: u32, program: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        let Some(name) = program.file_name() else {
            return false;
        };
        fs::read(format!("/proc/{pid}/cmdline"))
            .map(|cmdline| {
                let first = cmdline.split(|b| *b == 0).next().unwrap_or_default();
                Path::new(std::ffi::OsStr::from_bytes(first)).file_name() == Some(name)
            })
            .unwrap_or(false)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (pid, program);
        true
    }
}

#[cfg(target_os = "linux")]
use std::os::unix::ffi::OsStrExt;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_tail_starts_at_a_whole_line() {
        let dir = std::env::temp_dir().join(format!("harness-tail-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log");
        fs::write(&path, "first line\nsecond line\nthird\n").unwrap();
        assert_eq!(file_tail(&path, 1024), "first line\nsecond line\nthird\n");
        // 10 bytes from the end fall inside "second line": that partial line is dropped.
        assert_eq!(file_tail(&path, 10), "third\n");
        assert_eq!(log_tail(&path, 1), "third");
        assert_eq!(file_tail(&dir.join("missing"), 10), "");
        fs::remove_dir_all(&dir).unwrap();
    }
}
