//! Run-scoped fixtures of one's own: set up once per run by the first test that asks, their value
//! shared with the run's other test processes, and torn down by the keeper when the run is over,
//! also when the run was killed.

use std::io::Write as _;
use std::path::PathBuf;

use harness::{FixtureError, PerRun};

/// A value made once per run: its setup and its teardown each append a line to a file of the
/// directory `RUN_FIXTURE_DIR` names, so that a test can count them.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Marker {
    dir: PathBuf,
    token: String,
}

fn append(path: PathBuf, line: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(file, "{line}")
}

#[harness::run_fixture]
impl harness::RunFixture for Marker {
    async fn setup() -> Result<Self, FixtureError> {
        let dir = PathBuf::from(std::env::var("RUN_FIXTURE_DIR")?);
        let token = format!("set up by {}", std::process::id());
        append(dir.join("setups"), &token)?;
        Ok(Marker { dir, token })
    }

    async fn teardown(self) -> Result<(), FixtureError> {
        Ok(append(self.dir.join("teardowns"), &self.token)?)
    }
}

/// Prints the run's value, then waits to be killed.
#[harness::test(migrations = false)]
#[ignore = "helper run by other tests as a child process"]
async fn helper_uses_the_marker(marker: PerRun<Marker>) {
    println!("\nTOKEN {}", marker.token);
    std::future::pending::<()>().await;
}

#[cfg(target_os = "linux")]
#[test]
fn set_up_once_per_run_and_torn_down_after_the_run_is_killed() {
    use std::io::BufReader;
    use std::os::unix::process::CommandExt as _;
    use std::process::{Command, Stdio};
    use std::time::Duration;

    use crate::child::{ScratchDir, eventually, nothing_runs_under, wait_for_line};

    let scratch = ScratchDir::new("run-fixture");
    let marks = scratch.0.join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    // A run of its own, as nextest makes one: `sh` is its runner, and its two test processes
    // share the run's value.
    let exe = std::env::current_exe().unwrap();
    let test = "'{exe}' --exact run_fixtures::helper_uses_the_marker --ignored --nocapture";
    let test = test.replace("{exe}", &exe.display().to_string());
    let mut run = Command::new("sh")
        .arg("-c")
        .arg(format!("{test} & {test} & wait"))
        .env("NEXTEST_RUN_ID", format!("run-fixture-{}", uuid::Uuid::new_v4().simple()))
        .env(harness::env::DIR, &scratch.0)
        .env("RUN_FIXTURE_DIR", &marks)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(run.stdout.take().unwrap());
    let tokens: Vec<String> = (0..2)
        .map(|_| wait_for_line(&mut out, "TOKEN ", Duration::from_secs(90)))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| {
            let _ = unsafe { libc::kill(-(run.id() as i32), libc::SIGKILL) };
            panic!("{e}")
        });
    assert_eq!(tokens[0], tokens[1], "one value for the whole run");
    let setups = std::fs::read_to_string(marks.join("setups")).unwrap();
    assert_eq!(setups.lines().collect::<Vec<_>>(), [tokens[0].as_str()]);
    assert!(!marks.join("teardowns").exists(), "torn down while the run goes on");

    // SIGKILL the whole run: the runner and both test processes, nothing of theirs runs on.
    assert_eq!(unsafe { libc::kill(-(run.id() as i32), libc::SIGKILL) }, 0);
    run.wait().unwrap();
    eventually(Duration::from_secs(30), || {
        match std::fs::read_to_string(marks.join("teardowns")) {
            Ok(torn) if torn.lines().collect::<Vec<_>>() == [tokens[0].as_str()] => Ok(()),
            Ok(torn) => Err(format!("torn down as {torn:?}")),
            Err(e) => Err(format!("no teardown yet: {e}")),
        }
    });
    // And the keeper that ran it is gone, with the run's files.
    eventually(Duration::from_secs(15), || nothing_runs_under(&scratch.0));
    let runs = scratch.0.join("runs");
    let left: Vec<_> = std::fs::read_dir(&runs)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}
