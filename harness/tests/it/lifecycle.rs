//! One server per run, and nothing left once the run is over, however its processes end.
#![cfg(target_os = "linux")]

use std::io::BufReader;
use std::net::TcpStream;
use std::process::Child;
use std::time::Duration;

use crate::child::{
    ScratchDir, container_exists, containers_publishing, eventually, helper, nothing_runs_under,
    processes_mentioning, spawn_ready, wait_for_line,
};

const CLEANUP: Duration = Duration::from_secs(10);

fn kill9(child: &mut Child) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();
}

fn signal(child: &mut Child, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as i32, signal) };
    let _ = child.wait();
}

/// Nothing of the harness runs or remains under `dir`: no process, no run directory.
pub(crate) fn assert_nothing_left(dir: &std::path::Path, port: u16) {
    eventually(CLEANUP, || {
        nothing_runs_under(dir)?;
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Err(format!("something still listens on 127.0.0.1:{port}"));
        }
        for what in ["runs", "data"] {
            let left: Vec<_> = std::fs::read_dir(dir.join(what))
                .map(|d| d.flatten().map(|e| e.path()).collect())
                .unwrap_or_default();
            if !left.is_empty() {
                return Err(format!(
                    "{what} directories left: {:?}",
                    crate::child::files_under(&dir.join(what))
                ));
            }
        }
        Ok(())
    });
}

fn start_holder(scratch: &ScratchDir) -> (Child, u16) {
    let mut command = helper("helper_hold_database");
    command
        .env("HARNESS_DIR", &scratch.0)
        .env("HARNESS_DATA_DIR", scratch.0.join("data"));
    let (child, out, port) = spawn_ready(command);
    std::mem::forget(out);
    (child, port.parse().unwrap())
}

/// Under nextest: processes of one run share one server, which outlives a killed runner while
/// its orphaned test processes still hold leases, and goes once they are gone too.
#[test]
fn one_server_per_run_survives_its_users_and_goes_with_the_run() {
    let scratch = ScratchDir::new("run");
    let mut runner = helper("helper_fake_runner")
        .env("HARNESS_DIR", &scratch.0)
        .env("HARNESS_DATA_DIR", scratch.0.join("data"))
        .env("HELPER_RUN_ID", uuid::Uuid::new_v4().to_string())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(runner.stdout.take().unwrap());
    let mut workers = Vec::new();
    for _ in 0..2 {
        let line = wait_for_line(&mut out, "WORKER ", Duration::from_secs(60)).unwrap();
        let (pid, port) = line.split_once(' ').unwrap();
        workers.push((pid.parse::<i32>().unwrap(), port.parse::<u16>().unwrap()));
    }
    assert_eq!(
        workers[0].1, workers[1].1,
        "both test processes of the run use one server"
    );
    let port = workers[0].1;
    let keepers = std::fs::read_dir(scratch.0.join("runs")).unwrap().count();
    assert_eq!(keepers, 1, "one run directory");

    // SIGKILL to the runner: its test processes live on (orphaned), and so does their server.
    kill9(&mut runner);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "the server went while leases were held"
    );

    for (pid, _) in &workers {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(*pid, libc::SIGKILL) };
    }
    assert_nothing_left(&scratch.0, port);
}

#[test]
fn leftovers_of_a_run_whose_keeper_died_are_removed_by_the_next_run() {
    let scratch = ScratchDir::new("stale");
    let (mut child, port) = start_holder(&scratch);
    // Kill the keeper first, then its test: the server is orphaned, as after a machine's OOM kill.
    let keeper = find_keeper(&scratch.0);
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(keeper, libc::SIGKILL) };
    kill9(&mut child);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "the orphaned server should still run"
    );
    // The next run (another process) finds it and says so.
    let mut next = helper("helper_report_provision_error");
    next.env("HARNESS_DIR", &scratch.0);
    next.env("HARNESS_DATA_DIR", scratch.0.join("data"));
    let (out, err) = crate::child::output_of(next);
    assert!(out.contains("RESULT OK"), "{out}\n{err}");
    assert!(err.contains("removed leftovers of an earlier run"), "{err}");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the orphaned server was not stopped"
    );
    assert_nothing_left(&scratch.0, port);
}

fn find_keeper(dir: &std::path::Path) -> i32 {
    for run in std::fs::read_dir(dir.join("runs")).unwrap().flatten() {
        for entry in std::fs::read_dir(run.path()).unwrap().flatten() {
            let report = entry.path().join("keeper.json");
            if let Ok(text) = std::fs::read_to_string(&report) {
                let value: serde_json::Value = serde_json::from_str(&text).unwrap();
                return value["keeper_pid"].as_i64().unwrap() as i32;
            }
        }
    }
    panic!("no keeper report under {}", dir.display());
}

/// A nested `cargo nextest run` of one database-holding test, in a process group of its own so
/// that it can be interrupted like a terminal's Ctrl-C interrupts the foreground group.
fn nested_nextest_run(scratch: &ScratchDir) -> (Child, u16) {
    use std::os::unix::process::CommandExt;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut run = std::process::Command::new(cargo);
    // The whole workspace, as the README runs it: another package set would unify features
    // differently and rebuild (and replace) the binaries this very run is using.
    run.args(["nextest", "run", "--workspace", "--run-ignored", "only"])
        .args([
            "--no-capture",
            "-E",
            "test(=child::helper_hold_database_briefly)",
        ])
        .env("HARNESS_DIR", &scratch.0)
        .env("HARNESS_DATA_DIR", scratch.0.join("data"))
        .env_remove("NEXTEST_RUN_ID")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .process_group(0);
    let mut child = run.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let port = wait_for_line(&mut out, "READY ", Duration::from_secs(120))
        .unwrap()
        .parse()
        .unwrap();
    std::mem::forget(out);
    (child, port)
}

fn signal_group(child: &mut Child, signal: i32) {
    // SAFETY: kill has no memory-safety preconditions; a negative pid names the process group.
    unsafe { libc::kill(-(child.id() as i32), signal) };
    let _ = child.wait();
}

#[test]
fn ctrl_c_to_a_whole_nextest_run_leaves_nothing() {
    let scratch = ScratchDir::new("nextest-int");
    let (mut run, port) = nested_nextest_run(&scratch);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
    signal_group(&mut run, libc::SIGINT);
    assert_nothing_left(&scratch.0, port);
}

#[test]
fn sigkill_to_a_whole_nextest_run_leaves_nothing() {
    let scratch = ScratchDir::new("nextest-kill");
    let (mut run, port) = nested_nextest_run(&scratch);
    signal_group(&mut run, libc::SIGKILL);
    // The test process may outlive its killed runner (nextest gives it a process group of its
    // own); the server goes once its lease is dropped.
    assert_nothing_left(&scratch.0, port);
}

// ---- the whole stack: a database of each backend, chromedriver and a browser session ----

/// How the test process holding everything ends.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Ending {
    Exit,
    Panic,
    Signal(i32),
}

fn port_of(url: &str) -> Option<u16> {
    url.rsplit_once(':')?.1.trim_end_matches('/').parse().ok()
}

fn end_everything_and_check(ending: Ending, backend: &str) {
    let scratch = ScratchDir::new(&format!("stack-{backend}"));
    let mut command = helper("helper_hold_everything");
    command
        .env(harness::env::POSTGRES, backend)
        .env("HARNESS_DIR", &scratch.0)
        .env("HARNESS_DATA_DIR", scratch.0.join("data"))
        // Its artifacts in its scratch directory: the other backend's test runs the same helper,
        // maybe at the same time, and its artifacts directory has the same name.
        .env("CARGO_TARGET_DIR", &scratch.0)
        .env(
            "HELPER_END",
            if ending == Ending::Panic {
                "panic"
            } else {
                "exit"
            },
        )
        .stderr(std::process::Stdio::inherit());
    let (mut child, out, ready) = spawn_ready(command);
    let (port, driver) = ready.split_once(' ').unwrap();
    let port: u16 = port.parse().unwrap();
    let containers = if backend == "docker" {
        let ids = containers_publishing(port);
        assert_eq!(ids.len(), 1, "one container publishes {port}: {ids:?}");
        ids
    } else {
        Vec::new()
    };
    let driver_port = port_of(driver);
    // Chrome's own temp dir (its singleton socket's), outside the harness dir.
    let mut chrome_temp = None;
    if driver_port.is_some() {
        let running = processes_mentioning(&scratch.0);
        for program in ["chromedriver", "--remote-debugging-port"] {
            assert!(
                running.iter().any(|p| p.contains(program)),
                "{program} runs while its test does: {running:?}"
            );
        }
        chrome_temp = std::fs::read_dir(scratch.0.join("runs"))
            .into_iter()
            .flatten()
            .flatten()
            .flat_map(|run| {
                std::fs::read_dir(run.path())
                    .into_iter()
                    .flatten()
                    .flatten()
            })
            .find_map(|res| std::fs::read_link(res.path().join("profile/SingletonSocket")).ok())
            .and_then(|socket| socket.parent().map(std::path::Path::to_path_buf));
        assert!(
            chrome_temp.as_ref().is_some_and(|t| t.is_dir()),
            "{chrome_temp:?}"
        );
    }

    match ending {
        Ending::Exit | Ending::Panic => {
            drop(child.stdin.take());
            let status = child.wait().unwrap();
            assert_eq!(status.success(), ending == Ending::Exit, "{status}");
        }
        Ending::Signal(sig) => signal(&mut child, sig),
    }
    drop(out);

    assert_nothing_left(&scratch.0, port);
    eventually(CLEANUP, || {
        if let Some(p) = driver_port
            && TcpStream::connect(("127.0.0.1", p)).is_ok()
        {
            return Err(format!("chromedriver still listens on {p}"));
        }
        if let Some(temp) = chrome_temp.as_ref().filter(|t| t.exists()) {
            return Err(format!(
                "Chrome's temp dir {} is still there",
                temp.display()
            ));
        }
        match containers.iter().find(|id| container_exists(id)) {
            Some(id) => Err(format!("container {id} is still there")),
            None => Ok(()),
        }
    });
    if ending == Ending::Panic && driver_port.is_some() {
        let dir = scratch.0.join("harness-artifacts/child__helper_hold_everything");
        let summary = std::fs::read_to_string(dir.join("failure.txt"))
            .unwrap_or_else(|e| panic!("no artifacts of the panicking test: {e}"));
        assert!(summary.contains("the test panicked"), "{summary}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

// Each ending on each backend: the local one here, the docker one in `docker` (which a machine
// without Docker leaves out by its name, as the README says).
#[test]
fn everything_goes_when_its_test_exits() {
    end_everything_and_check(Ending::Exit, "local");
}

#[test]
fn everything_goes_when_its_test_panics() {
    end_everything_and_check(Ending::Panic, "local");
}

#[test]
fn everything_goes_when_its_test_is_interrupted() {
    end_everything_and_check(Ending::Signal(libc::SIGINT), "local");
}

#[test]
fn everything_goes_when_its_test_is_terminated() {
    end_everything_and_check(Ending::Signal(libc::SIGTERM), "local");
}

#[test]
fn everything_goes_when_its_test_is_killed() {
    end_everything_and_check(Ending::Signal(libc::SIGKILL), "local");
}

mod docker {
    use super::{Ending, end_everything_and_check};

    #[test]
    fn everything_goes_when_its_test_exits() {
        end_everything_and_check(Ending::Exit, "docker");
    }

    #[test]
    fn everything_goes_when_its_test_panics() {
        end_everything_and_check(Ending::Panic, "docker");
    }

    #[test]
    fn everything_goes_when_its_test_is_interrupted() {
        end_everything_and_check(Ending::Signal(libc::SIGINT), "docker");
    }

    #[test]
    fn everything_goes_when_its_test_is_terminated() {
        end_everything_and_check(Ending::Signal(libc::SIGTERM), "docker");
    }

    #[test]
    fn everything_goes_when_its_test_is_killed() {
        end_everything_and_check(Ending::Signal(libc::SIGKILL), "docker");
    }
}
