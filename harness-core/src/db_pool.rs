//! Databases ready before a test asks: per server and template, a few clones made in the
//! background, so that a test's `TestDatabase` costs a file's removal instead of a
//! `CREATE DATABASE` (integresql's idea, without a server of its own).
//!
//! The pool lives in the server's directory of the run, shared by the run's test processes:
//! `db-pool/<server>-<template>/ready/<database>` is a clone nobody has taken. Taking one is
//! removing its file, which only one process can do. Each take asks this process's worker (a
//! thread with a runtime of its own, so that it outlives the test's runtime) to make replacements
//! up to the pool's size; a clone being made is `pending/<database>`, holding its maker's pid, so
//! one whose maker died mid-way is found and settled by the next worker. The clones go with the
//! server when the run ends, like every database of a harness-run server; the external backend,
//! whose server outlives the run, has no pool (a clone per test, as before).
//!
//! A passing test's database is not dropped on its way out either: `used/<database>` hands it to
//! the next worker, which drops a few after its refills; what is left when the run ends goes
//! with the server.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, OnceLock, mpsc};
use std::time::Duration;

use crate::config;
use crate::postgres::PostgresServer;
use crate::workdir::stable_hash;

/// What a pooled database's name starts with: a test's own clone starts `t_<its name>`.
pub(crate) const PREFIX: &str = "t_ready_";

/// How many ready clones of a template the run keeps: `HARNESS_DB_POOL`, else twice this
/// machine's parallelism (nextest runs that many tests at once, and each asks again soon after),
/// at most 16. `0` turns the pool off.
pub(crate) fn size() -> usize {
    let parallelism = std::thread::available_parallelism().map_or(1, |n| n.get());
    size_from(config::current().db_pool, parallelism)
}

/// What `HARNESS_DB_POOL` says (a value it does not accept fails the run's first test), else
/// the default.
fn size_from(value: Option<usize>, parallelism: usize) -> usize {
    value.unwrap_or((parallelism * 2).min(16))
}

fn pooled(server: &PostgresServer) -> bool {
    server.pool_dir.is_some() && size() > 0
}

/// The pool of one template on one server, in the server's own directory (removed with it);
/// keyed by the server's address and password too, which a server restarted mid-run does not
/// share.
fn dir(server: &PostgresServer, template: &str) -> PathBuf {
    of_server(server, template)
}

/// Where a server's databases that served a passing test wait to be dropped (by any process's
/// worker, after its refills): dropping takes a connection and a round trip or two, which the
/// test that used the database need not wait for.
fn used_dir(server: &PostgresServer) -> PathBuf {
    of_server(server, "used")
}

/// `<server's pool dir>/<server key>-<what>`.
fn of_server(server: &PostgresServer, what: &str) -> PathBuf {
    let server_key = stable_hash(&[server.admin_url().as_bytes()]) as u32;
    server
        .pool_dir
        .clone()
        .unwrap_or_default()
        .join(format!("{server_key:08x}-{what}"))
}

/// Hand a used database over to be dropped in the background; `false` if it must be dropped now
/// (no pool: the external backend's server outlives the run, so nothing may wait on it). Whatever
/// is still waiting when the run ends goes with the server.
pub(crate) fn discard(server: &PostgresServer, name: &str) -> bool {
    if !pooled(server) {
        return false;
    }
    let used = used_dir(server);
    std::fs::create_dir_all(&used).is_ok() && std::fs::write(used.join(name), b"").is_ok()
}

/// At most this many used databases are dropped per fill, so that a worker's last job before
/// its process exits stays short.
const DROPS_PER_FILL: usize = 4;

/// A ready clone of `template`, if one is waiting: its name, now this test's alone.
///
/// Only from a server that looks alive: a ready clone costs no round trip, so a dead server would
/// go unnoticed until the test's first query, with none of the harness's explanation. Whether
/// something still listens on its port, and the server's log tail, cost microseconds; where either
/// says something is wrong, the test takes the usual path, whose error says what happened.
pub(crate) fn take(server: &PostgresServer, template: &str) -> Option<String> {
    if !pooled(server) || !looks_alive(server) {
        return None;
    }
    let ready = dir(server, template).join("ready");
    for entry in std::fs::read_dir(&ready).ok()?.flatten() {
        // Whoever removes the file has the database; the others try the next one.
        if std::fs::remove_file(entry.path()).is_ok() {
            return Some(entry.file_name().to_string_lossy().into_owned());
        }
    }
    None
}

fn looks_alive(server: &PostgresServer) -> bool {
    // Binding the server's port fails while it listens there: a connection would cost the
    // server a backend process per check, a bind costs a system call.
    let listens = server.host().parse::<std::net::IpAddr>().is_ok_and(|ip| {
        std::net::TcpListener::bind(std::net::SocketAddr::new(ip, server.port())).is_err()
    });
    listens && server.last_complaint().is_none()
}

/// Ask for the pool of `template` on `server` to be filled up, in the background.
pub(crate) fn refill(server: &PostgresServer, template: &str) {
    if !pooled(server) {
        return;
    }
    worker().submit(Job {
        server: server.clone(),
        template: template.to_owned(),
    });
}

/// Wait, at most `limit`, until this process's worker has nothing left to do: a test process
/// that ends first would leave a clone half made (settled by the next worker, but not ready for
/// the next test).
pub(crate) fn settle(limit: Duration) {
    if let Some(worker) = WORKER.get() {
        // Drops left undone wait for the next worker (or the run's end): the exit need not.
        EXITING.store(true, std::sync::atomic::Ordering::Relaxed);
        worker.settle(limit);
    }
}

/// Set when the process is about to exit: the worker finishes the clone it is making, and drops
/// no more used databases.
static EXITING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

struct Job {
    server: PostgresServer,
    template: String,
}

struct Worker {
    jobs: Mutex<mpsc::Sender<Job>>,
    /// Jobs submitted and not yet done.
    busy: Mutex<usize>,
    idle: Condvar,
}

static WORKER: OnceLock<Worker> = OnceLock::new();

fn worker() -> &'static Worker {
    WORKER.get_or_init(|| {
        let (jobs, incoming) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("harness-db-pool".into())
            .spawn(move || work(incoming));
        if let Err(e) = spawned {
            eprintln!("harness: no database pool worker ({e}): every test clones its own");
        }
        Worker {
            jobs: Mutex::new(jobs),
            busy: Mutex::new(0),
            idle: Condvar::new(),
        }
    })
}

impl Worker {
    fn submit(&self, job: Job) {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(job);
        if sent.is_ok() {
            *busy += 1;
        }
    }

    fn done(&self, n: usize) {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        *busy = busy.saturating_sub(n);
        if *busy == 0 {
            self.idle.notify_all();
        }
    }

    fn settle(&self, limit: Duration) {
        let busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        let _ = self.idle.wait_timeout_while(busy, limit, |busy| *busy > 0);
    }
}

fn work(incoming: mpsc::Receiver<Job>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("harness: no runtime for the database pool ({e}): every test clones its own");
            return;
        }
    };
    while let Ok(first) = incoming.recv() {
        // Requests that piled up meanwhile ask for the same thing: one fill per pool serves them.
        let mut batch = vec![first];
        batch.extend(incoming.try_iter());
        let n = batch.len();
        let mut seen = HashSet::new();
        for job in batch {
            if !seen.insert((job.server.admin_url(), job.template.clone())) {
                continue;
            }
            if let Err(why) = runtime.block_on(fill(&job)) {
                // Not fatal: a test that finds the pool empty clones its own.
                tracing::debug!(template = %job.template, "database pool not filled: {why}");
            }
        }
        if let Some(worker) = WORKER.get() {
            worker.done(n);
        }
    }
}

fn entries(dir: &Path) -> Vec<(String, PathBuf)> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                .collect()
        })
        .unwrap_or_default()
}

async fn fill(job: &Job) -> Result<(), String> {
    let pool = dir(&job.server, &job.template);
    let (ready, pending) = (pool.join("ready"), pool.join("pending"));
    for d in [&ready, &pending] {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot make {}: {e}", d.display()))?;
    }
    let admin = crate::pg::connect(&job.server, "postgres")
        .await
        .map_err(|e| e.to_string())?;
    settle_orphans(&admin, &ready, &pending).await;
    // Cloned as the test's own clones are (see `TestDatabase::create`).
    let file_copy: bool = admin
        .query_one(
            "SELECT current_setting('server_version_num')::int >= 150000",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?
        .get(0);
    let want = size();
    loop {
        if EXITING.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        let have = entries(&ready).len() + entries(&pending).len();
        if have >= want {
            break;
        }
        let name = format!(
            "{PREFIX}{}",
            &uuid::Uuid::new_v4().simple().to_string()[..16]
        );
        let marker = pending.join(&name);
        std::fs::write(&marker, std::process::id().to_string())
            .map_err(|e| format!("cannot write {}: {e}", marker.display()))?;
        let strategy = if file_copy { " STRATEGY FILE_COPY" } else { "" };
        let create = format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{}\"{strategy}",
            job.template
        );
        if let Err(e) = admin.batch_execute(&create).await {
            let _ = std::fs::remove_file(&marker);
            return Err(format!("{create}: {e}"));
        }
        std::fs::rename(&marker, ready.join(&name))
            .map_err(|e| format!("cannot mark {name} ready: {e}"))?;
    }
    drop_used(&admin, &job.server).await;
    Ok(())
}

/// Drop databases that passing tests handed over: each by whoever removes its file first.
async fn drop_used(admin: &tokio_postgres::Client, server: &PostgresServer) {
    for (name, marker) in entries(&used_dir(server)).into_iter().take(DROPS_PER_FILL) {
        if EXITING.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        if std::fs::remove_file(&marker).is_err() {
            continue;
        }
        // The test's connections may still be closing: FORCE ends them.
        let drop = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        if let Err(e) = admin.batch_execute(&drop).await {
            tracing::debug!("{drop}: {e}");
        }
    }
}

/// Clones whose maker died before marking them: ready if the `CREATE DATABASE` got through (it
/// is all or nothing), else forgotten.
async fn settle_orphans(admin: &tokio_postgres::Client, ready: &Path, pending: &Path) {
    for (name, marker) in entries(pending) {
        let maker = std::fs::read_to_string(&marker)
            .ok()
            .and_then(|pid| pid.trim().parse::<u32>().ok());
        if maker.is_some_and(crate::process::is_alive) {
            continue;
        }
        let exists = admin
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .await
            .ok()
            .flatten();
        if exists.is_some() {
            let _ = std::fs::rename(&marker, ready.join(&name));
        } else {
            let _ = std::fs::remove_file(&marker);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_is_sized_by_the_machine_unless_told() {
        assert_eq!(size_from(None, 2), 4);
        assert_eq!(size_from(None, 64), 16);
        assert_eq!(size_from(Some(8), 2), 8);
        assert_eq!(size_from(Some(0), 2), 0);
    }
}
