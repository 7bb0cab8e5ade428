//! Servers kept after their run (`HARNESS_KEEP`, `HARNESS_LINGER`): which there are, and ending
//! them before their time (`harness down`).

use std::fs;
use std::time::{Duration, Instant};

use crate::keeper::{KeeperReport, KeeperSpec, ResourceFiles, is_locked, open_lock};
use crate::process;
use crate::workdir::runs_dir;

/// One shared resource whose keeper runs: a run's server, service, chromedriver or Chrome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// The run it belongs to (`warm-…` for warm runs).
    pub run: String,
    /// What it is (`postgres-local-…`, `service-…`, `chromedriver-…`).
    pub key: String,
    /// Its run is still going, or a test process holds a lease on it.
    pub in_use: bool,
}

/// Every resource under the harness directory whose keeper is alive.
pub fn resources() -> Vec<Resource> {
    let mut found = Vec::new();
    let Ok(runs) = fs::read_dir(runs_dir()) else {
        return found;
    };
    for run in runs.flatten() {
        let run_dir = run.path();
        let Ok(entries) = fs::read_dir(&run_dir) else {
            continue;
        };
        let mut keys: Vec<String> = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".keeper.lock").map(str::to_owned)
            })
            .collect();
        keys.sort();
        for key in keys {
            let files = ResourceFiles::new(run_dir.clone(), &key);
            if !is_locked(&files.keeper_lock()) {
                continue;
            }
            found.push(Resource {
                run: run.file_name().to_string_lossy().into_owned(),
                in_use: in_use(&files),
                key,
            });
        }
    }
    found
}

/// Its run's runner is alive, or a process holds a lease on it (a test of a run going on).
fn in_use(files: &ResourceFiles) -> bool {
    let runner_alive = fs::read(files.spec())
        .ok()
        .and_then(|bytes| serde_json::from_slice::<KeeperSpec>(&bytes).ok())
        .is_some_and(|spec| !spec.runner_gone());
    // The keeper itself takes the lease exclusively for a moment at each of its polls: held at
    // one try is not yet in use, held at every try over a few of its polls is.
    let leased = open_lock(&files.lease_lock()).is_ok_and(|lease| {
        for _ in 0..4 {
            if lease.try_lock().is_ok() {
                let _ = lease.unlock();
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        true
    });
    runner_alive || leased
}

/// What [`down`] did.
#[derive(Debug, Default)]
pub struct Down {
    /// Ended, and everything of theirs removed.
    pub ended: Vec<Resource>,
    /// Left alone: a run is using them.
    pub in_use: Vec<Resource>,
    /// Asked to end, but their keeper had not finished by the deadline.
    pub stuck: Vec<Resource>,
}

/// End every kept resource no run is using, and wait (up to `wait`) until each is gone: its
/// keeper stops it and removes its files, as at the end of a run. A run going on keeps its own.
pub fn down(wait: Duration) -> Down {
    let mut report = Down::default();
    let mut asked = Vec::new();
    for resource in resources() {
        if resource.in_use {
            report.in_use.push(resource);
            continue;
        }
        let files = ResourceFiles::new(runs_dir().join(&resource.run), &resource.key);
        let keeper = fs::read(files.report())
            .ok()
            .and_then(|bytes| serde_json::from_slice::<KeeperReport>(&bytes).ok())
            .map(|report| report.keeper_pid);
        // The keeper's own signal to end (as for a server whose starter failed).
        if fs::write(files.quit(), b"").is_ok() {
            asked.push((resource, files, keeper));
        }
    }
    let started = Instant::now();
    for (resource, files, keeper) in asked {
        // The keeper lets go of its lock before it removes the run's files: its exit is the end.
        let running = || is_locked(&files.keeper_lock()) || keeper.is_some_and(process::is_alive);
        while running() && started.elapsed() < wait {
            std::thread::sleep(Duration::from_millis(20));
        }
        if running() {
            report.stuck.push(resource);
        } else {
            report.ended.push(resource);
        }
    }
    report
}
