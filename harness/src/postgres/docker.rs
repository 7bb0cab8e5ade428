//! The docker backend: a container started through testcontainers, its port published on
//! 127.0.0.1 only, owned by a keeper that removes it when the run is over.

use std::collections::HashMap;
use std::time::Duration;

use testcontainers::bollard::models::{HostConfig, PortBinding};
use testcontainers::core::IntoContainerPort;
use testcontainers::runners::AsyncRunner;
use testcontainers::{GenericImage, ImageExt};

use super::error::ProvisionError;
use super::{Backend, PostgresServer};
use crate::keeper::{self, KeeperSpec, ResourceFiles, is_locked};
use crate::probe::Probe;
use crate::workdir::{Run, harness_dir, runs_dir, stable_hash};
use crate::{config, docker_engine, net, shared};

/// Labels that let the harness find its own containers, and their leftovers.
pub(crate) const LABEL_MANAGED: &str = "dev.harness.managed";
pub(crate) const LABEL_DIR: &str = "dev.harness.dir";
pub(crate) const LABEL_RUN: &str = "dev.harness.run";
pub(crate) const LABEL_RESOURCE: &str = "dev.harness.resource";

pub(crate) fn image_hint() -> String {
    format!(
        "build the image offline with scripts/build-postgres-image and set {}=harness-postgres:15, or check that {} can be pulled",
        config::POSTGRES_IMAGE,
        config::postgres_image()
    )
}

/// This harness directory's tag: containers of another checkout are never touched.
fn dir_tag() -> String {
    format!(
        "{:016x}",
        stable_hash(&[harness_dir().to_string_lossy().as_bytes()])
    )
}

/// `name:tag` → (`name`, `tag`), where the tag defaults to `latest` and a registry port is not a tag.
fn split_image(image: &str) -> (String, String) {
    match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name.to_owned(), tag.to_owned()),
        _ => (image.to_owned(), "latest".to_owned()),
    }
}

pub(crate) async fn shared_server() -> Result<PostgresServer, ProvisionError> {
    docker_engine::ping().map_err(|reason| ProvisionError::DockerUnreachable { reason })?;
    remove_orphans();
    let image = config::postgres_image();
    let key = format!(
        "postgres-docker-{:08x}",
        stable_hash(&[image.as_bytes()]) as u32
    );
    shared::acquire(&key, |files| start(image, files)).await
}

/// Containers of this harness directory whose run's keeper is gone (the run's files were deleted,
/// or the keeper was killed).
fn remove_orphans() {
    let Ok(containers) =
        docker_engine::labels_of_containers_with(&format!("{LABEL_DIR}={}", dir_tag()))
    else {
        return;
    };
    for (id, labels) in containers {
        let label = |key: &str| {
            labels
                .get(key)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let (run, resource_key) = (label(LABEL_RUN), label("dev.harness.key"));
        if run == Run::current().id {
            continue;
        }
        let files = ResourceFiles::new(runs_dir().join(&run), &resource_key);
        if !is_locked(&files.keeper_lock()) && docker_engine::remove(&id).is_ok() {
            eprintln!(
                "harness: removed container {} left by an earlier run ({run})",
                &id[..12.min(id.len())]
            );
        }
    }
}

async fn start(image: String, files: ResourceFiles) -> Result<PostgresServer, ProvisionError> {
    let run = Run::current();
    let resource = format!("{}-{}-{}", dir_tag(), run.id, files.key);
    let spec = KeeperSpec {
        runner: run.runner,
        files: files.clone(),
        child: None,
        docker_label: Some(format!("{LABEL_RESOURCE}={resource}")),
        remove: Vec::new(),
        private: false,
    };
    // The keeper first: should this process die while the container starts, it still removes it.
    keeper::spawn(&spec, config::startup_timeout()).map_err(|reason| ProvisionError::Keeper {
        what: "the postgres container".into(),
        reason,
    })?;
    let password = super::local::random_password();
    let (name, tag) = split_image(&image);
    let request = GenericImage::new(name, tag)
        .with_exposed_port(5432.tcp())
        .with_env_var("POSTGRES_PASSWORD", &password)
        .with_env_var("POSTGRES_USER", "postgres")
        .with_env_var("POSTGRES_HOST_AUTH_METHOD", super::local::HOST_AUTH)
        .with_env_var("PGDATA", TMPFS_PGDATA)
        .with_label(LABEL_MANAGED, "true")
        .with_label(LABEL_DIR, dir_tag())
        .with_label(LABEL_RUN, &run.id)
        .with_label("dev.harness.key", &files.key)
        .with_label(LABEL_RESOURCE, &resource)
        .with_cmd([
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
        ])
        .with_startup_timeout(config::startup_timeout())
        .with_host_config_modifier(loopback_port_and_tmpfs_data);
    let container = match request.start().await {
        Ok(container) => container,
        Err(source) => {
            return Err(match docker_engine::image_exists(&image) {
                Ok(false) => ProvisionError::ImageMissing { image, source },
                _ => ProvisionError::Container { image, source },
            });
        }
    };
    let id = container.id().to_owned();
    let port =
        container
            .get_host_port_ipv4(5432)
            .await
            .map_err(|source| ProvisionError::Container {
                image: image.clone(),
                source,
            })?;
    let server = PostgresServer {
        backend: Backend::Docker,
        host: net::LOOPBACK.to_string(),
        port,
        user: "postgres".into(),
        password,
        base_url: None,
        description: format!("container {} from {image}", &id[..12.min(id.len())]),
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
            probe,
            log,
        });
    }
    // The container now belongs to the keeper, which outlives this process: dropping the handle
    // here would remove it.
    std::mem::forget(container);
    Ok(server)
}

/// Where the container keeps its data: a tmpfs, since test data is throwaway and every
/// `CREATE DATABASE` then copies memory instead of files through the storage driver.
const TMPFS_PGDATA: &str = "/run/harness-pgdata";

/// Publish 5432 on 127.0.0.1 with a port Docker picks, instead of every interface; data on tmpfs.
fn loopback_port_and_tmpfs_data(host_config: &mut HostConfig) {
    host_config.tmpfs = Some(HashMap::from([(
        TMPFS_PGDATA.to_owned(),
        "rw,mode=0700".to_owned(),
    )]));
    host_config.publish_all_ports = Some(false);
    host_config.port_bindings = Some(HashMap::from([(
        "5432/tcp".to_owned(),
        Some(vec![PortBinding {
            host_ip: Some("127.0.0.1".into()),
            host_port: Some(String::new()),
        }]),
    )]));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_split_at_the_tag_only() {
        assert_eq!(split_image("postgres:17"), ("postgres".into(), "17".into()));
        assert_eq!(
            split_image("postgres"),
            ("postgres".into(), "latest".into())
        );
        assert_eq!(
            split_image("reg:5000/pg"),
            ("reg:5000/pg".into(), "latest".into())
        );
        assert_eq!(
            split_image("reg:5000/pg:15"),
            ("reg:5000/pg".into(), "15".into())
        );
    }
}
