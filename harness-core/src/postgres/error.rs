//! Why a Postgres server could not be provided.

use std::fmt;
use std::path::PathBuf;

use super::Backend;
use crate::probe::ProbeError;
use crate::shared::SharedError;

/// One backend that `auto` tried, and why it could not be used.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Attempt {
    /// The backend.
    pub backend: Backend,
    /// Why it failed.
    pub reason: String,
    /// What would fix it.
    pub hint: String,
}

/// The attempts, one per line, for the `NoBackend` message.
pub(crate) struct Attempts<'a>(pub(crate) &'a [Attempt]);

impl fmt::Display for Attempts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for attempt in self.0 {
            write!(
                f,
                "\n  - {}: {} (hint: {})",
                attempt.backend, attempt.reason, attempt.hint
            )?;
        }
        Ok(())
    }
}

/// Why no Postgres server could be provided.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvisionError {
    /// `auto` found no backend that works.
    #[error("no Postgres backend could be used; tried:{}", Attempts(.attempts))]
    NoBackend {
        /// Each backend tried, in order.
        attempts: Vec<Attempt>,
    },
    /// A `HARNESS_*` variable holds a value it does not accept (`HARNESS_POSTGRES` a name that
    /// is not a backend's, say).
    #[error(transparent)]
    Settings(#[from] crate::config::SettingsError),
    /// No `initdb` + `postgres` pair was found.
    #[error("no Postgres binaries found (looked in {looked}) (hint: {hint})")]
    NoBinaries {
        /// Where the harness looked.
        looked: String,
        /// How to install them here.
        hint: String,
    },
    /// `initdb` failed while building the cached data directory.
    #[error("initdb failed for {dir}: {cause}\n--- initdb's output ---\n{output}")]
    Initdb {
        /// The directory being initialized.
        dir: PathBuf,
        /// Its error line (a full disk, a directory it may not write), or how it ended.
        cause: String,
        /// What initdb printed.
        output: String,
    },
    /// A local server did not come up.
    #[error("postgres in {data_dir} did not come up: {reason}\n--- server log ---\n{log}")]
    LocalStart {
        /// Its data directory.
        data_dir: PathBuf,
        /// What went wrong.
        reason: String,
        /// The end of the server's log.
        log: String,
    },
    /// The Docker engine did not answer.
    #[error(
        "the Docker engine is not reachable at {endpoint} (hint: start Docker, or set HARNESS_POSTGRES=local)"
    )]
    DockerUnreachable {
        /// Where it was looked for (`DOCKER_HOST`, else the usual sockets).
        endpoint: String,
        /// What the client said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The docker backend was asked for, but the harness was built without it.
    #[error(
        "the docker backend is not built in (hint: enable the harness's `docker` feature, or set HARNESS_POSTGRES=local)"
    )]
    DockerNotBuilt,
    /// The image is not in the engine and no registry served it.
    #[cfg(feature = "docker")]
    #[error(
        "image {image} is not present and cannot be pulled (hint: `docker pull {image}` where a registry is reachable; offline, build it from Debian packages with scripts/build-image postgres from the harness's repository, or set HARNESS_POSTGRES_IMAGE to an image you have)"
    )]
    ImageMissing {
        /// The image.
        image: String,
        /// What the engine said.
        #[source]
        source: testcontainers::TestcontainersError,
    },
    /// The container could not be started.
    #[cfg(feature = "docker")]
    #[error("cannot start a container from {image}")]
    Container {
        /// The image.
        image: String,
        /// What testcontainers said.
        #[source]
        source: testcontainers::TestcontainersError,
    },
    /// `HARNESS_POSTGRES=external` without `HARNESS_POSTGRES_URL`.
    #[error(
        "the external backend needs HARNESS_POSTGRES_URL (hint: set it to postgres://user:password@host:port/db)" // pragma: allowlist secret
    )]
    NoExternalUrl,
    /// `HARNESS_POSTGRES_URL` is not a Postgres URL.
    #[error("HARNESS_POSTGRES_URL is not a postgres:// URL: {reason}")]
    BadExternalUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// The server was started but did not answer.
    #[error("the {backend} server did not become ready{}", log_suffix(.log))]
    NotReady {
        /// The backend.
        backend: Backend,
        /// The probe's report.
        #[source]
        probe: Box<ProbeError>,
        /// The server's log, where there is one.
        log: String,
    },
    /// The keeper that owns the server could not be started.
    #[error("cannot start the harness keeper for {what}")]
    Keeper {
        /// The resource.
        what: String,
        /// Why.
        #[source]
        source: crate::keeper::KeeperError,
    },
    /// A file or directory of the harness could not be used.
    #[error("cannot use {path}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The run's shared files could not be used.
    #[error(transparent)]
    Shared(#[from] SharedError),
    /// A port could not be allocated.
    #[error(transparent)]
    Port(#[from] crate::net::PortError),
}

fn log_suffix(log: &str) -> String {
    if log.trim().is_empty() {
        String::new()
    } else {
        format!("\n--- server log ---\n{}", log.trim_end())
    }
}

impl ProvisionError {
    /// How an initdb of `dir` went: `Ok` if it succeeded, else the error with its own words first.
    pub(crate) fn check_initdb(
        dir: PathBuf,
        outcome: std::io::Result<std::process::Output>,
    ) -> Result<(), ProvisionError> {
        let output = match outcome {
            Ok(output) if output.status.success() => return Ok(()),
            Ok(output) => output,
            Err(e) => {
                return Err(ProvisionError::Initdb {
                    dir,
                    cause: format!("it could not be run: {e}"),
                    output: String::new(),
                });
            }
        };
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let cause = text
            .lines()
            .find_map(|line| line.split_once("error: ").map(|(_, e)| e.to_owned()))
            .unwrap_or_else(|| format!("it ended with {}", output.status));
        Err(ProvisionError::Initdb {
            dir,
            cause,
            output: text,
        })
    }
}
