//! A Postgres server for tests, from whichever backend the configuration chooses.

use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

#[cfg(feature = "docker")]
use super::docker;
use super::error::{Attempt, ProvisionError};
use super::{external, local};
use crate::config::{self, PostgresChoice};

/// Where a server comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Backend {
    /// Postgres binaries on this machine, started in a private data directory.
    Local,
    /// A container started through testcontainers.
    Docker,
    /// A server given by `HARNESS_POSTGRES_URL`.
    External,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Local => "local",
            Backend::Docker => "docker",
            Backend::External => "external",
        })
    }
}

/// The last line of a Postgres log that tells of a crash or a full disk, without its timestamp
/// and process id; the server's own `FATAL: the database system is in recovery mode` and the
/// like are consequences, not causes, and are passed over.
fn complaint_in(log: &str) -> Option<String> {
    log.lines().rev().find_map(|line| {
        let telling = line.contains("PANIC:") || line.contains("No space left on device");
        telling.then(|| {
            // `2026-12-01 16:30:43.172 UTC [5472] PANIC:  could not write …`
            let message = line.split_once("] ").map_or(line, |(_, rest)| rest);
            message.split_whitespace().collect::<Vec<_>>().join(" ")
        })
    })
}

/// What a harness error adds about the server's state: `; the server's log says: …`, with a hint
/// when the disk is full; nothing without a complaint.
pub(crate) fn server_says(complaint: &Option<String>) -> String {
    match complaint {
        None => String::new(),
        Some(line) if line.contains("No space left on device") => format!(
            "; the server's log says: {line} (hint: the disk under the server's data directory \
             is full: free space there, or point {} at a larger disk)",
            config::DATA_DIR
        ),
        Some(line) => format!("; the server's log says: {line}"),
    }
}

/// The value of `HARNESS_POSTGRES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    Auto,
    Only(Backend),
}

pub(crate) fn choice() -> Result<Choice, ProvisionError> {
    let settings = config::settings().map_err(|bad| ProvisionError::Settings(bad.clone()))?;
    Ok(match settings.postgres {
        PostgresChoice::Auto => Choice::Auto,
        PostgresChoice::Local => Choice::Only(Backend::Local),
        PostgresChoice::Docker => Choice::Only(Backend::Docker),
        PostgresChoice::External => Choice::Only(Backend::External),
    })
}

/// A running Postgres server, shared by every test process of the run for the local and docker
/// backends. Every URL it gives names `127.0.0.1` (or the external server's own host).
#[derive(Clone, Serialize, Deserialize)]
pub struct PostgresServer {
    pub(crate) backend: Backend,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) user: String,
    pub(crate) password: String,
    /// For the external backend: the URL as given, whose path and query are kept.
    pub(crate) base_url: Option<String>,
    pub(crate) description: String,
    /// The server's own log, where the harness runs the server's process (the local backend).
    #[serde(default)]
    pub(crate) log: Option<PathBuf>,
    /// Where the run keeps clones of this server's templates ready (`db_pool`): in the server's
    /// own directory, which its keeper removes with the server. None for the external backend.
    #[serde(default)]
    pub(crate) pool_dir: Option<PathBuf>,
}

impl fmt::Debug for PostgresServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresServer")
            .field("backend", &self.backend)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("description", &self.description)
            .finish()
    }
}

impl PostgresServer {
    /// The server of this run for the backend `HARNESS_POSTGRES` chooses (default `auto`),
    /// started by the first test process that asks.
    pub async fn shared() -> Result<&'static PostgresServer, ProvisionError> {
        static SERVER: OnceCell<&'static PostgresServer> = OnceCell::const_new();
        SERVER
            .get_or_try_init(|| async {
                let _span =
                    crate::timings::span(|| "postgres server (found or started)".to_owned());
                start_chosen(choice()?).await
            })
            .await
            .copied()
    }

    /// The server of this run for one backend, whatever `HARNESS_POSTGRES` says.
    pub async fn shared_with(backend: Backend) -> Result<&'static PostgresServer, ProvisionError> {
        static SERVERS: [OnceCell<PostgresServer>; 3] = [
            OnceCell::const_new(),
            OnceCell::const_new(),
            OnceCell::const_new(),
        ];
        let slot = match backend {
            Backend::Local => &SERVERS[0],
            Backend::Docker => &SERVERS[1],
            Backend::External => &SERVERS[2],
        };
        slot.get_or_try_init(|| start(backend)).await
    }

    /// A server given by URL (what the external backend does with `HARNESS_POSTGRES_URL`),
    /// checked with a real connection.
    pub async fn external(url: &str) -> Result<PostgresServer, ProvisionError> {
        external::server_at(url).await
    }

    /// The last line of the server's log that says why it failed or stopped (a PANIC, or a full
    /// disk), where the harness can read that log: what a dropped connection or a failed
    /// statement does not say by itself.
    pub(crate) fn last_complaint(&self) -> Option<String> {
        let log = self.log.as_ref()?;
        complaint_in(&crate::keeper::file_tail(
            log,
            crate::keeper::LOG_TAIL_BYTES,
        ))
    }

    /// Which backend runs this server.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The host it listens on: `127.0.0.1`, or the external server's own host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A human description: version and binaries, or container and image.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The URL of one database on this server, with credentials.
    pub fn url_for(&self, database: &str) -> String {
        if let Some(base) = &self.base_url
            && let Ok(mut url) = url::Url::parse(base)
        {
            url.set_path(&format!("/{database}"));
            return url.to_string();
        }
        let mut url = url::Url::parse(&format!("postgres://{}:{}/", self.host, self.port))
            .expect("a host and a port make a URL");
        // The url crate percent-encodes whatever a user name or password holds.
        let _ = url.set_username(&self.user);
        let _ = url.set_password(Some(&self.password));
        url.path_segments_mut()
            .expect("a postgres:// URL has a path")
            .pop_if_empty()
            .push(database);
        url.to_string()
    }

    /// The user the harness connects as.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// That user's password (random per server for the local and docker backends).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The URL of the maintenance database, for creating and dropping databases.
    pub fn admin_url(&self) -> String {
        self.url_for("postgres")
    }
}

fn announce(backend: Backend, why: &str, server: &PostgresServer) {
    // Once per process, into the captured output of the test, which nextest shows on failure.
    static SAID: OnceLock<()> = OnceLock::new();
    SAID.get_or_init(|| {
        eprintln!(
            "harness: postgres backend {backend} ({why}): {} on 127.0.0.1:{}",
            server.description, server.port
        );
    });
}

async fn start(backend: Backend) -> Result<PostgresServer, ProvisionError> {
    match backend {
        Backend::Local => local::shared_server().await,
        #[cfg(feature = "docker")]
        Backend::Docker => docker::shared_server().await,
        #[cfg(not(feature = "docker"))]
        Backend::Docker => Err(ProvisionError::DockerNotBuilt),
        Backend::External => external::server().await,
    }
}

async fn start_chosen(choice: Choice) -> Result<&'static PostgresServer, ProvisionError> {
    if let Choice::Only(backend) = choice {
        let server = PostgresServer::shared_with(backend).await?;
        announce(backend, &format!("{}={backend}", config::POSTGRES), server);
        return Ok(server);
    }
    // auto: the first backend that is available and starts; every failure is kept for the report.
    let mut attempts = Vec::new();
    if config::current().postgres_url.is_some() {
        let server = PostgresServer::shared_with(Backend::External).await?;
        announce(
            Backend::External,
            &format!("{} is set", config::POSTGRES_URL),
            server,
        );
        return Ok(server);
    }
    attempts.push(Attempt {
        backend: Backend::External,
        reason: format!("{} is not set", config::POSTGRES_URL),
        hint: format!(
            "set {} to a server where the harness may create databases",
            config::POSTGRES_URL
        ),
    });
    match local::find_binaries() {
        Ok(binaries) => match PostgresServer::shared_with(Backend::Local).await {
            Ok(server) => {
                let why = format!(
                    "found postgres {} in {}",
                    binaries.version,
                    binaries.dir.display()
                );
                announce(Backend::Local, &why, server);
                return Ok(server);
            }
            Err(e) => attempts.push(Attempt {
                backend: Backend::Local,
                reason: crate::error_chain(&e),
                hint: "see the error above; set HARNESS_POSTGRES=docker to skip this backend"
                    .into(),
            }),
        },
        Err(e) => attempts.push(Attempt {
            backend: Backend::Local,
            reason: e.to_string(),
            hint: local::install_hint().into(),
        }),
    }
    #[cfg(not(feature = "docker"))]
    attempts.push(Attempt {
        backend: Backend::Docker,
        reason: "the harness was built without its `docker` feature".into(),
        hint: "enable the harness's `docker` feature to use containers".into(),
    });
    #[cfg(feature = "docker")]
    match docker::ping().await {
        Ok(()) => match PostgresServer::shared_with(Backend::Docker).await {
            Ok(server) => {
                announce(
                    Backend::Docker,
                    "no usable Postgres binaries; the Docker engine answers",
                    server,
                );
                return Ok(server);
            }
            Err(e) => attempts.push(Attempt {
                backend: Backend::Docker,
                reason: crate::error_chain(&e),
                hint: docker::image_hint(),
            }),
        },
        Err(reason) => attempts.push(Attempt {
            backend: Backend::Docker,
            reason,
            hint: "start the Docker engine (or Docker Desktop)".into(),
        }),
    }
    Err(ProvisionError::NoBackend { attempts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_of_a_crash_is_found_in_the_log_and_its_consequences_are_passed_over() {
        let log = "\
2026-12-01 16:30:42.089 UTC [5469] LOG:  checkpoint complete: wrote 0 buffers
2026-12-01 16:30:43.172 UTC [5472] PANIC:  could not write to file \"pg_wal/xlogtemp.5472\": No space left on device
2026-12-01 16:30:43.174 UTC [5466] LOG:  WAL writer process (PID 5472) was terminated by signal 6: Aborted
2026-12-01 16:30:43.180 UTC [5523] FATAL:  the database system is in recovery mode
2026-12-01 16:30:43.217 UTC [5466] LOG:  database system is shut down";
        let complaint = complaint_in(log);
        assert_eq!(
            complaint.as_deref(),
            Some(
                "PANIC: could not write to file \"pg_wal/xlogtemp.5472\": No space left on device"
            )
        );
        let said = server_says(&complaint);
        assert!(said.starts_with("; the server's log says: PANIC"), "{said}");
        assert!(said.contains("HARNESS_DATA_DIR"), "{said}");
    }

    fn external_server(log: Option<PathBuf>) -> PostgresServer {
        PostgresServer {
            backend: Backend::External,
            host: "db.example".into(),
            port: 5433,
            user: "app".into(),
            password: "pw".into(), // pragma: allowlist secret
            base_url: Some("postgres://app:pw@db.example:5433/app?sslmode=disable".into()), // pragma: allowlist secret
            description: "external server db.example:5433".into(),
            log,
            pool_dir: None,
        }
    }

    #[test]
    fn a_server_given_by_url_keeps_its_query_for_every_database() {
        let server = external_server(None);
        let url = server.url_for("t_one");
        assert!(url.ends_with("/t_one?sslmode=disable"), "{url}");
        let config = crate::pg::config(&server, "t_one");
        assert_eq!(config.get_dbname(), Some("t_one"));
        assert_eq!(
            (config.get_hosts(), config.get_ports()),
            (
                &[tokio_postgres::config::Host::Tcp("db.example".into())][..],
                &[5433][..]
            )
        );
    }

    #[test]
    fn a_complaint_is_read_only_where_the_harness_has_the_log() {
        assert_eq!(external_server(None).last_complaint(), None);
        let dir = std::env::temp_dir().join(format!("harness-complaint-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("postgres.log");
        std::fs::write(
            &log,
            "2026-12-01 16:30:43.172 UTC [5472] PANIC:  out of luck\n",
        )
        .unwrap();
        let server = external_server(Some(log));
        assert_eq!(
            server.last_complaint().as_deref(),
            Some("PANIC: out of luck")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_quiet_log_adds_nothing() {
        let log = "2026-12-01 16:30:41.992 UTC [5466] LOG:  database system is ready to accept connections\n\
                   2026-12-01 16:30:42.000 UTC [5470] ERROR:  relation \"missing\" does not exist";
        assert_eq!(complaint_in(log), None);
        assert_eq!(server_says(&None), "");
        let crash = Some("PANIC: something else".to_owned());
        assert_eq!(
            server_says(&crash),
            "; the server's log says: PANIC: something else"
        );
    }
}
