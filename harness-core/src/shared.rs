//! Sharing one resource (a server) between all test processes of a run.
//!
//! The first process that needs the resource takes its start lock, spawns a [keeper](crate::keeper)
//! and starts it; the others wait on the lock and read the state it wrote. Every process holds a
//! shared lease on the resource until it exits; the keeper removes the resource once the run's
//! runner is gone and no lease is held.

use std::fs::{self, File};
use std::future::Future;
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config;
use crate::keeper::{self, ResourceFiles, is_locked, open_lock};
use crate::workdir::{Run, runs_dir};

/// Why a shared resource could not be acquired, apart from failing to start it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SharedError {
    /// A file of the harness could not be used.
    #[error("cannot use {path}")]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// This program cannot start the keeper that would own the resource.
    #[error("cannot share resources of the harness from this program")]
    Keeper(#[source] crate::keeper::KeeperError),
    /// Another process held the resource's lock for too long.
    #[error(
        "waited {waited:?} for {what} (hint: another test process may be stuck starting it; its files are in {dir})"
    )]
    Timeout {
        /// What was waited for.
        what: String,
        /// How long.
        waited: Duration,
        /// The resource's directory.
        dir: std::path::PathBuf,
    },
}

/// Leases live as long as the process: the OS releases them when it exits, however it exits.
static LEASES: Mutex<Vec<File>> = Mutex::new(Vec::new());

/// Get the state of the shared resource `key`, starting it through `start` if no process of this
/// run has. `start` receives the resource's files and must spawn the keeper that owns it.
pub async fn acquire<S, E, F, Fut>(key: &str, start: F) -> Result<S, E>
where
    S: Serialize + DeserializeOwned,
    E: From<SharedError>,
    F: FnOnce(ResourceFiles) -> Fut,
    Fut: Future<Output = Result<S, E>>,
{
    acquire_within(key, config::startup_timeout(), start).await
}

/// [`acquire`], waiting at most `timeout` for another process that is starting the resource.
pub(crate) async fn acquire_within<S, E, F, Fut>(
    key: &str,
    timeout: Duration,
    start: F,
) -> Result<S, E>
where
    S: Serialize + DeserializeOwned,
    E: From<SharedError>,
    F: FnOnce(ResourceFiles) -> Fut,
    Fut: Future<Output = Result<S, E>>,
{
    crate::keeper::ensure_can_spawn().map_err(SharedError::Keeper)?;
    reap_leftovers_once();
    let run = Run::current();
    let files = ResourceFiles::new(run.dir(), key);
    let io = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| SharedError::Io { path, source }
    };
    fs::create_dir_all(&files.run_dir).map_err(io(&files.run_dir))?;
    let started = Instant::now();
    let timed_out = |what: &str| SharedError::Timeout {
        what: what.to_owned(),
        waited: started.elapsed(),
        dir: files.dir(),
    };
    let mut start = Some(start);
    loop {
        let lease = match open_lock(&files.lease_lock()) {
            // The run's directory goes the moment it is empty (another process's last resource
            // removing its files), which can be just after this one made it: make it again.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && started.elapsed() < timeout => {
                fs::create_dir_all(&files.run_dir).map_err(io(&files.run_dir))?;
                continue;
            }
            opened => opened.map_err(io(&files.lease_lock()))?,
        };
        if lease.try_lock_shared().is_err() {
            // The keeper holds it exclusively while removing the resource: wait for it to finish.
            if started.elapsed() > timeout {
                return Err(timed_out("the previous server to be removed").into());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        }
        let start_lock = open_lock(&files.start_lock()).map_err(io(&files.start_lock()))?;
        while start_lock.try_lock().is_err() {
            if started.elapsed() > timeout {
                return Err(timed_out("the start lock").into());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        if is_locked(&files.keeper_lock()) {
            if let Ok(bytes) = fs::read(files.state())
                && let Ok(state) = serde_json::from_slice::<S>(&bytes)
            {
                LEASES.lock().unwrap_or_else(|e| e.into_inner()).push(lease);
                return Ok(state);
            }
            // A keeper with no state: its starter died mid-way, or its server just died.
            let _ = fs::write(files.quit(), b"");
            keeper_gone(&files, started, timeout, "a broken server's keeper to exit").await?;
        }
        if files.dir().exists() {
            let removed = keeper::clean_after_dead_keeper(&files);
            if !removed.is_empty() {
                eprintln!(
                    "harness: removed what a dead keeper of {key} left: {}",
                    removed.join(", ")
                );
            }
        }
        fs::create_dir_all(files.dir()).map_err(io(&files.dir()))?;
        let start = start
            .take()
            .expect("start runs once: every path after it returns");
        return match start(files.clone()).await {
            Ok(state) => {
                let bytes = serde_json::to_vec_pretty(&state).expect("state serializes");
                keeper::write_atomically(&files.state(), &bytes).map_err(io(&files.state()))?;
                LEASES.lock().unwrap_or_else(|e| e.into_inner()).push(lease);
                Ok(state)
            }
            Err(e) => {
                // Whatever was started is the keeper's to remove.
                let _ = fs::write(files.quit(), b"");
                Err(e)
            }
        };
    }
}

/// Have the run's resource `key` removed now, and wait (at most the startup timeout) until its
/// keeper has let it go, so that the next [`acquire`] starts it afresh: for a resource broken in a
/// way only its user can tell (a browser a killed test left stuck in a command).
pub async fn discard(key: &str) -> Result<(), SharedError> {
    let files = ResourceFiles::new(Run::current().dir(), key);
    if !is_locked(&files.keeper_lock()) {
        return Ok(());
    }
    fs::write(files.quit(), b"").map_err(|source| SharedError::Io {
        path: files.quit(),
        source,
    })?;
    let what = format!("{key}'s keeper to remove it");
    keeper_gone(&files, Instant::now(), config::startup_timeout(), &what).await
}

/// Wait until the keeper of `files`, asked to quit, has let its resource go: at most until
/// `timeout` after `started`, else a timeout naming `what` was waited for.
async fn keeper_gone(
    files: &ResourceFiles,
    started: Instant,
    timeout: Duration,
    what: &str,
) -> Result<(), SharedError> {
    while is_locked(&files.keeper_lock()) {
        if started.elapsed() > timeout {
            return Err(SharedError::Timeout {
                what: what.to_owned(),
                waited: started.elapsed(),
                dir: files.dir(),
            });
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// Once per process: remove what earlier runs left because their keeper died (SIGKILL, reboot).
pub(crate) fn reap_leftovers_once() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for line in reap_leftovers() {
            eprintln!("harness: {line}");
        }
    });
}

fn reap_leftovers() -> Vec<String> {
    let mut said = Vec::new();
    let current = &Run::current().id;
    let Ok(runs) = fs::read_dir(runs_dir()) else {
        return said;
    };
    for run in runs.flatten() {
        let run_dir = run.path();
        if run.file_name().to_string_lossy() == *current || !run_dir.is_dir() {
            continue;
        }
        let mut keys: Vec<String> = fs::read_dir(&run_dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                match name
                    .strip_suffix(".keeper.lock")
                    .or_else(|| name.strip_suffix(".start.lock"))
                {
                    Some(key) => Some(key.to_owned()),
                    None if entry.path().is_dir() => Some(name),
                    None => None,
                }
            })
            .collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let files = ResourceFiles::new(run_dir.clone(), &key);
            if is_locked(&files.keeper_lock()) {
                continue;
            }
            let Ok(start_lock) = open_lock(&files.start_lock()) else {
                continue;
            };
            if start_lock.try_lock().is_err() {
                continue;
            }
            let removed = keeper::clean_after_dead_keeper(&files);
            if !removed.is_empty() {
                said.push(format!(
                    "removed leftovers of an earlier run (run {}, {key}): {}",
                    run.file_name().to_string_lossy(),
                    removed.join(", ")
                ));
            }
            drop(start_lock);
            keeper::remove_run_files(&files);
        }
        let _ = fs::remove_dir(&run_dir);
    }
    said
}
