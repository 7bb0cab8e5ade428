//! Containers the harness starts (the docker backend's Postgres, container services): through
//! testcontainers, their ports published on 127.0.0.1 only, labelled, and owned by a keeper that
//! removes them whatever happens to the process that started them.

use std::collections::HashMap;
use std::time::Duration;

use testcontainers::bollard::Docker;
use testcontainers::bollard::models::{HostConfig, PortBinding};
use testcontainers::bollard::query_parameters::{ListContainersOptionsBuilder, LogsOptionsBuilder};
use testcontainers::core::client::docker_client_instance;
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};

use crate::keeper::{self, KeeperSpec, ResourceFiles, is_locked};
use crate::workdir::{Run, harness_dir, runs_dir, stable_hash};
use crate::{docker_engine, net};

/// Labels that let the harness find its own containers, and their leftovers.
pub(crate) const LABEL_MANAGED: &str = "dev.harness.managed";
const LABEL_DIR: &str = "dev.harness.dir";
const LABEL_RUN: &str = "dev.harness.run";
const LABEL_KEY: &str = "dev.harness.key";
const LABEL_RESOURCE: &str = "dev.harness.resource";

/// Why a container could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContainerError {
    /// The engine did not answer.
    #[error("the Docker engine is not reachable at {endpoint} (hint: start Docker)")]
    Unreachable {
        /// Where it was looked for.
        endpoint: String,
        /// What the client said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The image is not in the engine, and none can be pulled here.
    #[error("image {image} is not present and cannot be pulled (hint: {hint})")]
    ImageMissing {
        /// The image.
        image: String,
        /// How to get it.
        hint: String,
        /// What the engine said.
        #[source]
        source: Box<testcontainers::TestcontainersError>,
    },
    /// The container could not be started, or did not become ready.
    #[error("cannot start a container from {image}")]
    Start {
        /// The image.
        image: String,
        /// What testcontainers said.
        #[source]
        source: Box<testcontainers::TestcontainersError>,
    },
    /// The keeper that owns it could not be started.
    #[error("cannot start the harness keeper for a container from {image}")]
    Keeper {
        /// The image.
        image: String,
        /// Why.
        #[source]
        source: keeper::KeeperError,
    },
}

/// What to start.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    pub(crate) image: String,
    pub(crate) env: Vec<(String, String)>,
    /// Empty: the image's own command.
    pub(crate) cmd: Vec<String>,
    /// Container ports to publish on 127.0.0.1 (Docker picks the host ports).
    pub(crate) ports: Vec<u16>,
    /// Paths inside the container mounted as tmpfs (throwaway data in memory), with their mount
    /// options (`rw,mode=0700`).
    pub(crate) tmpfs: Vec<(String, String)>,
    /// Ready once this text appears in its output.
    pub(crate) wait_log: Option<String>,
    pub(crate) startup_timeout: Duration,
    /// Said in [`ContainerError::ImageMissing`].
    pub(crate) image_hint: String,
}

/// A started container, owned by a keeper.
pub(crate) struct Started {
    pub(crate) container: ContainerAsync<GenericImage>,
    /// (container port, host port on 127.0.0.1), in the request's order.
    pub(crate) ports: Vec<(u16, u16)>,
}

async fn client() -> Result<Docker, ContainerError> {
    docker_client_instance()
        .await
        .map_err(|e| ContainerError::Unreachable {
            endpoint: docker_engine::endpoint().to_string(),
            source: Box::new(e),
        })
}

/// Whether the engine testcontainers would use answers.
pub(crate) async fn ping() -> Result<(), ContainerError> {
    let docker = client().await?;
    docker
        .ping()
        .await
        .map(drop)
        .map_err(|e| ContainerError::Unreachable {
            endpoint: docker_engine::endpoint().to_string(),
            source: Box::new(e),
        })
}

/// Whether an image is in the engine (no registry is asked).
pub(crate) async fn image_exists(image: &str) -> Result<bool, String> {
    let docker = client().await.map_err(|e| e.to_string())?;
    match docker.inspect_image(image).await {
        Ok(_) => Ok(true),
        Err(testcontainers::bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }) => Ok(false),
        Err(e) => Err(crate::error_chain(&e)),
    }
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

/// Remove containers of this harness directory whose run's keeper is gone (the run's files were
/// deleted, or its keeper was killed); once per process.
pub(crate) async fn remove_orphans_once() {
    static ONCE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    ONCE.get_or_init(remove_orphans).await;
}

async fn remove_orphans() {
    let Ok(docker) = client().await else {
        return;
    };
    let filters = HashMap::from([("label", vec![format!("{LABEL_DIR}={}", dir_tag())])]);
    let options = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    let Ok(containers) = docker.list_containers(Some(options)).await else {
        return;
    };
    for container in containers {
        let (Some(id), Some(labels)) = (container.id, container.labels) else {
            continue;
        };
        let label = |key: &str| labels.get(key).cloned().unwrap_or_default();
        let run = label(LABEL_RUN);
        if run == Run::current().id {
            continue;
        }
        let files = ResourceFiles::new(runs_dir().join(&run), &label(LABEL_KEY));
        if is_locked(&files.keeper_lock()) {
            continue;
        }
        let options =
            testcontainers::bollard::query_parameters::RemoveContainerOptionsBuilder::new()
                .force(true)
                .v(true)
                .build();
        if docker.remove_container(&id, Some(options)).await.is_ok() {
            eprintln!(
                "harness: removed container {} left by an earlier run ({run})",
                &id[..12.min(id.len())]
            );
        }
    }
}

/// Start `request` as the resource `files`, under a keeper whose run ends with `runner` (the
/// run's runner for a shared container, this process for a test's own). The keeper is spawned
/// first: should this process die while the container starts, it still removes it.
pub(crate) async fn start(
    request: &Request,
    files: &ResourceFiles,
    runner: Option<u32>,
    private: bool,
) -> Result<Started, ContainerError> {
    let run = Run::current();
    let endpoint =
        docker_engine::keeper_endpoint().map_err(|reason| ContainerError::Unreachable {
            endpoint: std::env::var("DOCKER_HOST").unwrap_or_default(),
            source: reason.into(),
        })?;
    let resource = format!("{}-{}-{}", dir_tag(), run.id, files.key);
    let spec = KeeperSpec {
        runner,
        files: files.clone(),
        child: None,
        docker_label: Some(format!("{LABEL_RESOURCE}={resource}")),
        docker_host: Some(endpoint.to_string()),
        remove: Vec::new(),
        private,
        teardown: None,
        linger: None,
    };
    let image = request.image.clone();
    keeper::spawn(&spec, request.startup_timeout).map_err(|source| ContainerError::Keeper {
        image: image.clone(),
        source,
    })?;
    let (name, tag) = split_image(&image);
    let mut generic = GenericImage::new(name, tag);
    for port in &request.ports {
        generic = generic.with_exposed_port(port.tcp());
    }
    if let Some(text) = &request.wait_log {
        generic = generic.with_wait_for(WaitFor::message_on_either_std(text.as_bytes()));
    }
    let mut image_request = generic
        .with_label(LABEL_MANAGED, "true")
        .with_label(LABEL_DIR, dir_tag())
        .with_label(LABEL_RUN, &run.id)
        .with_label(LABEL_KEY, &files.key)
        .with_label(LABEL_RESOURCE, &resource)
        .with_startup_timeout(request.startup_timeout);
    for (key, value) in &request.env {
        image_request = image_request.with_env_var(key, value);
    }
    if !request.cmd.is_empty() {
        image_request = image_request.with_cmd(request.cmd.clone());
    }
    let (ports, tmpfs) = (request.ports.clone(), request.tmpfs.clone());
    let image_request = image_request.with_host_config_modifier(move |host_config| {
        loopback_ports_and_tmpfs(host_config, &ports, &tmpfs)
    });
    let started = image_request.start().await;
    let marker = files.dir().join(docker_engine::STARTED_MARKER);
    let _ = std::fs::write(
        &marker,
        started
            .as_ref()
            .map(|c| c.id().to_owned())
            .unwrap_or_default(),
    );
    let container = match started {
        Ok(container) => container,
        Err(source) => {
            return Err(match image_exists(&image).await {
                Ok(false) => ContainerError::ImageMissing {
                    image,
                    hint: request.image_hint.clone(),
                    source: Box::new(source),
                },
                _ => ContainerError::Start {
                    image,
                    source: Box::new(source),
                },
            });
        }
    };
    let mut ports = Vec::new();
    for &port in &request.ports {
        let host_port =
            container
                .get_host_port_ipv4(port)
                .await
                .map_err(|source| ContainerError::Start {
                    image: image.clone(),
                    source: Box::new(source),
                })?;
        ports.push((port, host_port));
    }
    Ok(Started { container, ports })
}

/// stdout and stderr of a container so far (what `docker logs` shows).
pub(crate) async fn logs(id: &str) -> String {
    use futures_util::StreamExt;
    let Ok(docker) = client().await else {
        return String::new();
    };
    let options = LogsOptionsBuilder::new().stdout(true).stderr(true).build();
    let mut stream = docker.logs(id, Some(options));
    let mut text = String::new();
    while let Some(Ok(chunk)) = stream.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
    }
    text
}

/// Publish each port on 127.0.0.1 with a port Docker picks, instead of every interface; tmpfs
/// mounts for throwaway data.
fn loopback_ports_and_tmpfs(
    host_config: &mut HostConfig,
    ports: &[u16],
    tmpfs: &[(String, String)],
) {
    if !tmpfs.is_empty() {
        host_config.tmpfs = Some(tmpfs.iter().cloned().collect());
    }
    host_config.publish_all_ports = Some(false);
    host_config.port_bindings = Some(
        ports
            .iter()
            .map(|port| {
                (
                    format!("{port}/tcp"),
                    Some(vec![PortBinding {
                        host_ip: Some(net::LOOPBACK.to_string()),
                        host_port: Some(String::new()),
                    }]),
                )
            })
            .collect(),
    );
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

    #[test]
    fn ports_are_published_on_loopback_only() {
        let mut config = HostConfig::default();
        loopback_ports_and_tmpfs(&mut config, &[6379, 8025], &[("/data".into(), "rw".into())]);
        let bindings = config.port_bindings.unwrap();
        for port in ["6379/tcp", "8025/tcp"] {
            let binding = &bindings[port].as_ref().unwrap()[0];
            assert_eq!(binding.host_ip.as_deref(), Some("127.0.0.1"));
            assert_eq!(binding.host_port.as_deref(), Some(""));
        }
        assert_eq!(config.publish_all_ports, Some(false));
        assert!(config.tmpfs.unwrap().contains_key("/data"));
    }
}
