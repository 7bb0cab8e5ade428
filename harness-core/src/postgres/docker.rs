//! The docker backend: a container started through testcontainers, its port published on
//! 127.0.0.1 only, owned by a keeper that removes it when the run is over.

use std::time::Duration;

use super::error::ProvisionError;
use super::{Backend, PostgresServer};
use crate::container::{self, ContainerError};
use crate::probe::Probe;
use crate::workdir::{Run, stable_hash};
use crate::{config, net, shared};

pub(crate) fn image_hint() -> String {
    format!(
        "offline, build the image with scripts/build-image postgres (in the harness's repository) and set {}=harness-postgres:15, or check that {} can be pulled",
        config::POSTGRES_IMAGE,
        config::postgres_image()
    )
}

/// Whether the engine answers, for `auto`.
pub(crate) async fn ping() -> Result<(), String> {
    container::ping().await.map_err(|e| match e {
        // The attempt carries its own hint.
        ContainerError::Unreachable { endpoint, source } => format!(
            "cannot reach the Docker engine at {endpoint}: {}",
            crate::error_chain(source.as_ref())
        ),
        other => other.to_string(),
    })
}

pub(crate) async fn shared_server() -> Result<PostgresServer, ProvisionError> {
    container::ping().await.map_err(container_error)?;
    container::remove_orphans_once().await;
    let image = config::postgres_image();
    let key = format!(
        "postgres-docker-{:08x}",
        stable_hash(&[image.as_bytes()]) as u32
    );
    shared::acquire(&key, |files| start(image, files)).await
}

fn container_error(error: ContainerError) -> ProvisionError {
    match error {
        ContainerError::Unreachable { endpoint, source } => {
            ProvisionError::DockerUnreachable { endpoint, source }
        }
        ContainerError::ImageMissing { image, source, .. } => ProvisionError::ImageMissing {
            image,
            source: *source,
        },
        ContainerError::Start { image, source } => ProvisionError::Container {
            image,
            source: *source,
        },
        ContainerError::Keeper { source, .. } => ProvisionError::Keeper {
            what: "the postgres container".into(),
            source,
        },
    }
}

async fn start(
    image: String,
    files: crate::keeper::ResourceFiles,
) -> Result<PostgresServer, ProvisionError> {
    let password = super::local::random_password();
    let request = container::Request {
        image: image.clone(),
        env: vec![
            ("POSTGRES_PASSWORD".into(), password.clone()),
            ("POSTGRES_USER".into(), "postgres".into()),
            (
                "POSTGRES_HOST_AUTH_METHOD".into(),
                super::local::HOST_AUTH.into(),
            ),
            ("PGDATA".into(), TMPFS_PGDATA.into()),
        ],
        cmd: [
            "postgres",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=300",
            "-c",
            "password_encryption=md5",
        ]
        .map(String::from)
        .to_vec(),
        ports: vec![5432],
        // Test data is throwaway: every `CREATE DATABASE` then copies memory instead of files
        // through the storage driver.
        tmpfs: vec![(TMPFS_PGDATA.into(), "rw,mode=0700".into())],
        wait_log: None,
        startup_timeout: config::startup_timeout(),
        image_hint: image_hint(),
    };
    let started = container::start(&request, &files, Run::current().runner, false)
        .await
        .map_err(container_error)?;
    let container = started.container;
    let port = started.ports[0].1;
    let id = container.id().to_owned();
    let server = PostgresServer {
        backend: Backend::Docker,
        host: net::LOOPBACK.to_string(),
        port,
        user: "postgres".into(),
        password,
        base_url: None,
        description: format!("container {} from {image}", &id[..12.min(id.len())]),
        log: None,
        pool_dir: Some(files.dir().join("db-pool")),
    };
    // Docker's port proxy accepts connections before Postgres listens: only a real connection counts.
    let probe = Probe::Postgres(server.admin_url());
    if let Err(probe) = probe
        .wait(config::startup_timeout().min(Duration::from_secs(30)))
        .await
    {
        let log = container
            .stderr_to_vec()
            .await
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        return Err(ProvisionError::NotReady {
            backend: Backend::Docker,
            probe: Box::new(probe),
            log,
        });
    }
    // The container now belongs to the keeper, which outlives this process: dropping the handle
    // here would remove it.
    std::mem::forget(container);
    Ok(server)
}

/// Where the container keeps its data: a tmpfs.
const TMPFS_PGDATA: &str = "/run/harness-pgdata";
