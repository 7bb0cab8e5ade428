//! A Postgres server whose data persists in a directory of the caller's choosing: the embedded
//! database of a service's `cargo run`, with the same local binaries the tests use.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::keeper::{self, ChildSpec, KeeperSpec, ResourceFiles};
use crate::postgres::ProvisionError;
use crate::postgres::local::{self, PgBinaries};
use crate::workdir::{Run, stable_hash};
use crate::{net, process, shared};

const PASSWORD_FILE: &str = "harness-password";

/// A durable Postgres server on 127.0.0.1 over a data directory that survives restarts. It stops
/// when [`EmbeddedPostgres::stop`] is called or the process ends (a keeper stops it even after
/// SIGKILL); the data stays.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    url: String,
    data_dir: PathBuf,
    description: String,
    child_pid: u32,
    files: ResourceFiles,
}

impl EmbeddedPostgres {
    /// Start Postgres over `data_dir`, creating the cluster there on first use.
    ///
    /// A keeper owns the server: this program, started again. A program that depends on
    /// `e2e-harness-core` alone must call [`keeper::run_if_asked`] first thing in `main`;
    /// otherwise this fails at once with [`KeeperError::NoHook`](crate::error::KeeperError::NoHook),
    /// before anything is created.
    pub async fn start(data_dir: &Path) -> Result<EmbeddedPostgres, ProvisionError> {
        keeper::ensure_can_spawn().map_err(|source| ProvisionError::Keeper {
            what: "the embedded Postgres".to_owned(),
            source,
        })?;
        let binaries = local::find_binaries()?;
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ProvisionError::Io { path, source }
        };
        fs::create_dir_all(data_dir).map_err(io(data_dir))?;
        let data_dir = fs::canonicalize(data_dir).map_err(io(data_dir))?;
        let created = !data_dir.join("PG_VERSION").is_file();
        if created {
            init_cluster(&binaries, &data_dir)?;
        }
        let password = fs::read_to_string(data_dir.join(PASSWORD_FILE))
            .map_err(io(&data_dir.join(PASSWORD_FILE)))?
            .trim()
            .to_owned();
        let key = format!(
            "embedded-postgres-{:08x}",
            stable_hash(&[data_dir.to_string_lossy().as_bytes()]) as u32
        );
        let (port, child_pid) = shared::acquire(&key, |files| {
            run_server(binaries.clone(), data_dir.clone(), files)
        })
        .await?;
        Ok(EmbeddedPostgres {
            url: format!("postgres://postgres:{password}@127.0.0.1:{port}/postgres"),
            description: format!(
                "postgres {} over {} ({})",
                binaries.version,
                data_dir.display(),
                if created {
                    "created now"
                } else {
                    "existing data"
                }
            ),
            data_dir,
            child_pid,
            files: ResourceFiles::new(Run::current().dir(), &key),
        })
    }

    /// The URL of its `postgres` database, with credentials.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where its data lives.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Version, data directory, and whether the cluster was created now.
    pub fn describe(&self) -> String {
        self.description.clone()
    }

    /// Shut the server down cleanly (a checkpoint, then exit) and wait for it.
    pub async fn stop(self) {
        process::request_stop(self.child_pid, true);
        let asked = Instant::now();
        while process::is_alive(self.child_pid) && asked.elapsed() < Duration::from_secs(30) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Then for its keeper to finish: a restart in this process must not find the old
        // server's state still in place.
        while keeper::is_locked(&self.files.keeper_lock())
            && asked.elapsed() < Duration::from_secs(30)
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

fn init_cluster(binaries: &PgBinaries, data_dir: &Path) -> Result<(), ProvisionError> {
    let owner = local::run_as();
    chown(data_dir, owner)?;
    let password = local::random_password();
    let pwfile = data_dir.with_extension("pwfile");
    fs::write(&pwfile, &password).map_err(|source| ProvisionError::Io {
        path: pwfile.clone(),
        source,
    })?;
    chown(&pwfile, owner)?;
    let mut initdb = local::initdb_command(binaries, data_dir, owner);
    initdb.arg(format!("--pwfile={}", pwfile.display()));
    let output = initdb.output();
    let _ = fs::remove_file(&pwfile);
    ProvisionError::check_initdb(data_dir.to_owned(), output)?;
    let path = data_dir.join(PASSWORD_FILE);
    crate::workdir::write_private(&path, &password).map_err(|source| ProvisionError::Io {
        path: path.clone(),
        source,
    })?;
    chown(&path, owner)
}

fn chown(path: &Path, owner: Option<(u32, u32)>) -> Result<(), ProvisionError> {
    #[cfg(unix)]
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).map_err(|source| {
            ProvisionError::Io {
                path: path.to_owned(),
                source,
            }
        })?;
    }
    #[cfg(not(unix))]
    let _ = (path, owner);
    Ok(())
}

async fn run_server(
    binaries: PgBinaries,
    data_dir: PathBuf,
    files: ResourceFiles,
) -> Result<(u16, u32), ProvisionError> {
    let port = net::free_loopback_port()?;
    let log = files.dir().join("postgres.log");
    let mut args = vec![
        "-D".to_owned(),
        data_dir.to_string_lossy().into_owned(),
        "-p".to_owned(),
        port.port().to_string(),
    ];
    for setting in ["listen_addresses=127.0.0.1", "unix_socket_directories="] {
        args.push("-c".to_owned());
        args.push(setting.to_owned());
    }
    // The data is the point: the keeper removes only its own files (nothing in `remove`).
    let spec = KeeperSpec::of_child(
        Run::current().runner,
        false,
        files.clone(),
        ChildSpec {
            program: binaries.tool("postgres"),
            args,
            env: Vec::new(),
            log: log.clone(),
            interrupt_to_stop: true,
            run_as: local::run_as(),
        },
    );
    let child = local::start_under_keeper(&spec, &data_dir, &log).await?;
    Ok((port.port(), child))
}
