//! Services a test needs besides Postgres (Redis, a mail catcher, a queue): a local binary or a
//! container image, on harness ports, probed, logged, owned by a keeper like the Postgres server.
//! Shared by every test process of a run ([`ServiceBuilder::shared`]) or a test's own
//! ([`ServiceBuilder::start`]); either way nothing outlives the run, also after SIGKILL.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::keeper::{self, ChildSpec, KeeperError, KeeperSpec, ResourceFiles, is_locked};
use crate::net::{self, PortError};
use crate::probe::{Probe, ProbeError};
use crate::service::{AddressFormat, Placement};
use crate::shared::{self, SharedError};
use crate::workdir::{Run, stable_hash};
use crate::{config, process};

/// When a service counts as ready.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Ready {
    /// Its port accepts a TCP connection (the default for binaries). For containers this says
    /// little: Docker's port proxy accepts before the program listens; prefer [`Ready::Log`].
    Port,
    /// `GET http://127.0.0.1:<port><path>` answers 2xx.
    Http(String),
    /// Its output holds this text, e.g. Redis' `Ready to accept connections`.
    Log(String),
}

/// Why a service could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// The program is not installed, or not where it was said to be.
    #[error(
        "{program} was not found ({looked}) (hint: install it, e.g. `apt-get install {package}` or `brew install {package}`, or give its full path)"
    )]
    NotFound {
        /// The program as given.
        program: String,
        /// Where it was looked for.
        looked: String,
        /// The likely package name (the program's file name).
        package: String,
    },
    /// The description cannot work.
    #[error("the {name} service: {problem}")]
    Invalid {
        /// The service.
        name: String,
        /// What is wrong, and what to do.
        problem: String,
    },
    /// It started but did not become ready in time, or exited.
    #[error("the {name} service did not become ready\n--- its log ---\n{log}")]
    NotReady {
        /// The service.
        name: String,
        /// The probe's report (with the exit, if it exited).
        #[source]
        probe: Box<ProbeError>,
        /// The end of what it printed.
        log: String,
    },
    /// Its keeper could not be started.
    #[error("cannot start the keeper of the {name} service")]
    Keeper {
        /// The service.
        name: String,
        /// Why.
        #[source]
        source: KeeperError,
    },
    /// Its container could not be started.
    #[cfg(feature = "docker")]
    #[error("the {name} service")]
    Container {
        /// The service.
        name: String,
        /// Why.
        #[source]
        source: crate::container::ContainerError,
    },
    /// A container service, in a harness built without containers.
    #[error(
        "the {name} service runs in a container, and the harness was built without its `docker` feature (hint: enable it)"
    )]
    DockerNotBuilt {
        /// The service.
        name: String,
    },
    /// No port could be allocated.
    #[error(transparent)]
    Port(#[from] PortError),
    /// The run's shared files could not be used.
    #[error(transparent)]
    Shared(#[from] SharedError),
    /// A file of the service could not be made.
    #[error("cannot use {path}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Hash)]
enum Source {
    Binary(PathBuf),
    Container(String),
}

/// A service that is a program on this machine: [`Service::binary`]'s builder,
/// `ServiceBuilder<BinaryService>`, is told its port with the `listen_*` methods.
#[derive(Debug, Clone, Copy)]
pub struct BinaryService;

/// A service that is a container: [`Service::container`]'s builder,
/// `ServiceBuilder<ContainerService>`, publishes the ports given with `port`.
#[derive(Debug, Clone, Copy)]
pub struct ContainerService;

/// [`BinaryService`] or [`ContainerService`]: what a [`ServiceBuilder`] builds (for code generic
/// over both, `fn start<K: ServiceKind>(builder: ServiceBuilder<K>)`).
pub trait ServiceKind: sealed::Sealed + Clone + std::fmt::Debug + Send + Sync + 'static {}

impl ServiceKind for BinaryService {}
impl ServiceKind for ContainerService {}

/// The options only a binary takes (`listen_*`): said at compile time when given to a container.
#[diagnostic::on_unimplemented(
    message = "a container is not told its port: `listen_*` are a binary's options",
    label = "a container's builder",
    note = "give a container the port it listens on inside with `port(N)`; the harness publishes it on 127.0.0.1"
)]
pub trait BinaryOption: sealed::Sealed {}
impl BinaryOption for BinaryService {}

/// The options only a container takes (`port`, `tmpfs`): said at compile time when given to a
/// binary.
#[diagnostic::on_unimplemented(
    message = "`port` and `tmpfs` are a container's options, not a binary's",
    label = "a binary's builder",
    note = "tell a binary its port with `listen_arg_as(\"--port\", AddressFormat::Port)` or `listen_env_as(\"PORT\", AddressFormat::Port)`"
)]
pub trait ContainerOption: sealed::Sealed {}
impl ContainerOption for ContainerService {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::BinaryService {}
    impl Sealed for super::ContainerService {}
}

/// How to run a service; from [`Service::binary`] or [`Service::container`]. The options of one
/// kind only (a binary's `listen_*`, a container's `port` and `tmpfs`) are methods of that kind's
/// builder: giving one to the other does not compile.
#[derive(Debug, Clone)]
pub struct ServiceBuilder<Kind> {
    name: String,
    source: Source,
    args: Vec<String>,
    env: Vec<(String, String)>,
    listen: Vec<Placement>,
    ports: Vec<u16>,
    tmpfs: Vec<String>,
    ready: Option<Ready>,
    timeout: Option<Duration>,
    kind: std::marker::PhantomData<Kind>,
}

/// What the run's other processes read about a shared service, or a test about its own.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct State {
    name: String,
    addr: SocketAddr,
    /// (container port, host port); a binary's one port is listed as (port, port).
    ports: Vec<(u16, u16)>,
    log_file: Option<PathBuf>,
    container: Option<String>,
}

/// A running service on `127.0.0.1:<port>`. A test's own (from [`ServiceBuilder::start`]) stops
/// when dropped or [stopped](Service::stop); a shared one when the run ends.
#[derive(Debug)]
pub struct Service {
    state: State,
    /// A test's own service: its keeper's files, to ask it to stop.
    own: Option<ResourceFiles>,
}

impl Service {
    /// A program on this machine (a name found on `PATH`, or a path). Tell it its port with
    /// [`listen_arg_as`](ServiceBuilder::listen_arg_as) or [`listen_env_as`](ServiceBuilder::listen_env_as):
    ///
    /// ```no_run
    /// # extern crate harness_core as harness; // the examples are written as users see them
    /// # async fn f() -> Result<(), harness::error::ServiceError> {
    /// use harness::{AddressFormat, Ready, Service};
    /// let redis = Service::binary("redis-server")
    ///     .listen_arg_as("--port", AddressFormat::Port)
    ///     .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
    ///     .ready(Ready::Log("Ready to accept connections".into()))
    ///     .shared()
    ///     .await?;
    /// let url = redis.url("redis"); // redis://127.0.0.1:<port>
    /// # Ok(()) }
    /// ```
    pub fn binary(program: impl Into<PathBuf>) -> ServiceBuilder<BinaryService> {
        let program = program.into();
        let name = program
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| "service".into());
        ServiceBuilder::new(name, Source::Binary(program))
    }

    /// A container from an image the engine has (or can pull), its [ports](ServiceBuilder::port)
    /// published on 127.0.0.1. Needs the `docker` feature.
    pub fn container(image: impl Into<String>) -> ServiceBuilder<ContainerService> {
        let image = image.into();
        let name = image
            .rsplit('/')
            .next()
            .and_then(|last| last.split(':').next())
            .filter(|name| !name.is_empty())
            .unwrap_or("service")
            .to_owned();
        ServiceBuilder::new(name, Source::Container(image))
    }

    /// Its name (the program's or image's, unless [named](ServiceBuilder::name)).
    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// `127.0.0.1:<port>` of its (first) port.
    pub fn addr(&self) -> SocketAddr {
        self.state.addr
    }

    /// Its (first) port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.state.addr.port()
    }

    /// The port on 127.0.0.1 where a container's `container_port` is published.
    pub fn host_port(&self, container_port: u16) -> Option<u16> {
        self.state
            .ports
            .iter()
            .find(|(inside, _)| *inside == container_port)
            .map(|(_, host)| *host)
    }

    /// `<scheme>://127.0.0.1:<port>`, e.g. `redis://127.0.0.1:40123`.
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.state.addr)
    }

    /// What it printed so far, stdout and stderr (a shared service's whole log).
    pub async fn log(&self) -> String {
        if let Some(path) = &self.state.log_file {
            return std::fs::read_to_string(path).unwrap_or_default();
        }
        #[cfg(feature = "docker")]
        if let Some(id) = &self.state.container {
            return crate::container::logs(id).await;
        }
        String::new()
    }

    /// Stop a test's own service and wait (up to 15 s) until it and its files are gone. A
    /// shared service is left to the run.
    pub async fn stop(mut self) {
        if let Some(files) = self.own.take() {
            let _ = std::fs::write(files.quit(), b"");
            let asked = Instant::now();
            while is_locked(&files.keeper_lock()) && asked.elapsed() < Duration::from_secs(15) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // The keeper polls for this file; nothing waits for it here.
        if let Some(files) = self.own.take() {
            let _ = std::fs::write(files.quit(), b"");
        }
    }
}

impl<Kind: ServiceKind> ServiceBuilder<Kind> {
    fn new(name: String, source: Source) -> ServiceBuilder<Kind> {
        ServiceBuilder {
            name,
            source,
            args: Vec::new(),
            env: Vec::new(),
            listen: Vec::new(),
            ports: Vec::new(),
            tmpfs: Vec::new(),
            ready: None,
            timeout: None,
            kind: std::marker::PhantomData,
        }
    }

    /// A binary's address in a variable, as `127.0.0.1:<port>`.
    pub fn listen_env(self, name: impl Into<String>) -> Self
    where
        Kind: BinaryOption,
    {
        self.listen_env_as(name, AddressFormat::HostPort)
    }

    /// A binary's address as `<flag> 127.0.0.1:<port>`.
    pub fn listen_arg(self, flag: impl Into<String>) -> Self
    where
        Kind: BinaryOption,
    {
        self.listen_arg_as(flag, AddressFormat::HostPort)
    }

    /// A binary's port, in a variable, written as the program wants it.
    pub fn listen_env_as(mut self, name: impl Into<String>, format: AddressFormat) -> Self
    where
        Kind: BinaryOption,
    {
        self.listen.push(Placement::Env(name.into(), format));
        self
    }

    /// A binary's port, as `<flag> <address>` (`--port 6379`: [`AddressFormat::Port`]).
    pub fn listen_arg_as(mut self, flag: impl Into<String>, format: AddressFormat) -> Self
    where
        Kind: BinaryOption,
    {
        self.listen.push(Placement::flag(flag.into(), format));
        self
    }

    /// A binary's port, in one argument made from a template: `--listen={host}:{port}`.
    pub fn listen_arg_template(mut self, template: impl Into<String>) -> Self
    where
        Kind: BinaryOption,
    {
        self.listen.push(Placement::template(template.into()));
        self
    }

    /// A port the container listens on, published on 127.0.0.1 (Docker picks the host port:
    /// [`Service::host_port`]). The first one is [`Service::addr`]'s.
    pub fn port(mut self, container_port: u16) -> Self
    where
        Kind: ContainerOption,
    {
        self.ports.push(container_port);
        self
    }

    /// A path inside the container kept in memory (throwaway data, faster than the storage
    /// driver).
    pub fn tmpfs(mut self, path: impl Into<String>) -> Self
    where
        Kind: ContainerOption,
    {
        self.tmpfs.push(path.into());
        self
    }

    /// The name used in errors, logs and file names (default: the program's or image's).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Add an argument (a container's: its command, replacing the image's).
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Add arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Set an environment variable (added to the test's environment for a binary).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// When it counts as ready (default [`Ready::Port`]).
    pub fn ready(mut self, ready: Ready) -> Self {
        self.ready = Some(ready);
        self
    }

    /// How long it may take to become ready (default `HARNESS_STARTUP_TIMEOUT`, 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The run's instance of this service, started by the first test process that asks and
    /// shared by every process of the run that asks for the same description (program or image,
    /// arguments, environment, ports). Removed when the run ends.
    pub async fn shared(self) -> Result<Service, ServiceError> {
        static STATES: Mutex<Vec<(String, State)>> = Mutex::new(Vec::new());
        self.check()?;
        let key = format!("service-{}-{:08x}", safe(&self.name), self.hash() as u32);
        let known = STATES
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, state)| state.clone());
        let state = match known {
            Some(state) => state,
            None => {
                let builder = self.clone();
                // Other processes wait as long as the first may take to start it.
                let within = self.timeout_or_default() + Duration::from_secs(5);
                let state: State = shared::acquire_within(&key, within, move |files| async move {
                    builder.run(files, Run::current().runner, false).await
                })
                .await?;
                STATES
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((key, state.clone()));
                state
            }
        };
        Ok(Service { state, own: None })
    }

    /// A service of this test's own: started now, stopped when the [`Service`] is dropped or
    /// the test process ends, however it ends.
    pub async fn start(self) -> Result<Service, ServiceError> {
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        self.check()?;
        shared::reap_leftovers_once();
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let files = ResourceFiles::new(
            Run::current().dir(),
            &format!(
                "service-{}-test-{}-{n}",
                safe(&self.name),
                std::process::id()
            ),
        );
        std::fs::create_dir_all(files.dir()).map_err(|source| ServiceError::Io {
            path: files.dir(),
            source,
        })?;
        match self
            .run(files.clone(), Some(std::process::id()), true)
            .await
        {
            Ok(state) => Ok(Service {
                state,
                own: Some(files),
            }),
            Err(e) => {
                let _ = std::fs::write(files.quit(), b"");
                Err(e)
            }
        }
    }

    /// What can be told wrong before anything starts, in milliseconds.
    fn check(&self) -> Result<(), ServiceError> {
        let invalid = |problem: &str| ServiceError::Invalid {
            name: self.name.clone(),
            problem: problem.to_owned(),
        };
        match &self.source {
            Source::Binary(program) => {
                if self.listen.is_empty() {
                    return Err(invalid(
                        "a binary must be told its port (hint: listen_arg_as(\"--port\", AddressFormat::Port) or listen_env_as(\"PORT\", AddressFormat::Port))",
                    ));
                }
                if process::find_program(program).is_none() {
                    return Err(not_found(program));
                }
                Ok(())
            }
            Source::Container(_) => {
                if cfg!(not(feature = "docker")) {
                    return Err(ServiceError::DockerNotBuilt {
                        name: self.name.clone(),
                    });
                }
                if self.ports.is_empty() {
                    return Err(invalid(
                        "a container needs at least one port (hint: port(6379), the port it listens on inside the container)",
                    ));
                }
                Ok(())
            }
        }
    }

    /// Tells descriptions apart, so that a run shares one instance per description.
    fn hash(&self) -> u64 {
        let source = match &self.source {
            Source::Binary(program) => format!("binary {}", program.display()),
            Source::Container(image) => format!("container {image}"),
        };
        let text = format!(
            "{source}\0{:?}\0{:?}\0{:?}\0{:?}\0{:?}\0{:?}",
            self.args, self.env, self.listen, self.ports, self.tmpfs, self.ready
        );
        stable_hash(&[text.as_bytes()])
    }

    fn timeout_or_default(&self) -> Duration {
        self.timeout.unwrap_or_else(config::startup_timeout)
    }

    async fn run(
        self,
        files: ResourceFiles,
        runner: Option<u32>,
        private: bool,
    ) -> Result<State, ServiceError> {
        match self.source.clone() {
            Source::Binary(program) => self.run_binary(program, files, runner, private).await,
            #[cfg(feature = "docker")]
            Source::Container(image) => self.run_container(image, files, runner, private).await,
            #[cfg(not(feature = "docker"))]
            Source::Container(_) => Err(ServiceError::DockerNotBuilt { name: self.name }),
        }
    }

    async fn run_binary(
        self,
        program: PathBuf,
        files: ResourceFiles,
        runner: Option<u32>,
        private: bool,
    ) -> Result<State, ServiceError> {
        let program = process::find_program(&program).ok_or_else(|| not_found(&program))?;
        let port = net::free_loopback_port()?;
        let addr = port.addr();
        let (extra_args, extra_env) = Placement::render(&self.listen, addr);
        let log_file = files.dir().join("service.log");
        let spec = KeeperSpec::of_child(
            runner,
            private,
            files.clone(),
            ChildSpec::new(
                program,
                self.args.iter().cloned().chain(extra_args).collect(),
                self.env.iter().cloned().chain(extra_env).collect(),
                log_file.clone(),
            ),
        );
        let timeout = self.timeout_or_default();
        let report = keeper::spawn(&spec, timeout).map_err(|source| ServiceError::Keeper {
            name: self.name.clone(),
            source,
        })?;
        let pid = report
            .child_pid
            .expect("a keeper with a child reports its pid");
        let probe = match self.ready.clone().unwrap_or(Ready::Port) {
            Ready::Port => Probe::Tcp(addr),
            Ready::Http(path) => Probe::Http(format!("http://{addr}{path}")),
            Ready::Log(text) => Probe::Log {
                path: log_file.clone(),
                text,
            },
        };
        probe
            .wait_unless(timeout, || {
                (!process::is_alive(pid)).then(|| "the process exited".to_owned())
            })
            .await
            .map_err(|probe| ServiceError::NotReady {
                name: self.name.clone(),
                probe: Box::new(probe),
                log: keeper::log_tail(&log_file, 40),
            })?;
        // Held until now so that no other test process was handed the port meanwhile.
        drop(port);
        Ok(State {
            name: self.name,
            addr,
            ports: vec![(addr.port(), addr.port())],
            log_file: Some(log_file),
            container: None,
        })
    }

    #[cfg(feature = "docker")]
    async fn run_container(
        self,
        image: String,
        files: ResourceFiles,
        runner: Option<u32>,
        private: bool,
    ) -> Result<State, ServiceError> {
        use crate::container;
        container::remove_orphans_once().await;
        let timeout = self.timeout_or_default();
        let ready = self.ready.clone().unwrap_or(Ready::Port);
        let request = container::Request {
            image: image.clone(),
            env: self.env.clone(),
            cmd: self.args.clone(),
            ports: self.ports.clone(),
            tmpfs: self
                .tmpfs
                .iter()
                .map(|path| (path.clone(), "rw,mode=1777".to_owned()))
                .collect(),
            wait_log: match &ready {
                Ready::Log(text) => Some(text.clone()),
                _ => None,
            },
            startup_timeout: timeout,
            image_hint: format!(
                "`docker pull {}` where a registry is reachable; offline, build it from Debian packages (scripts/build-image in the harness's repository shows how), or name an image the engine has",
                image
            ),
        };
        let name = self.name.clone();
        let started = container::start(&request, &files, runner, private)
            .await
            .map_err(|source| ServiceError::Container {
                name: name.clone(),
                source,
            })?;
        let id = started.container.id().to_owned();
        let addr = SocketAddr::from((net::LOOPBACK, started.ports[0].1));
        let probe = match ready {
            Ready::Port => Some(Probe::Tcp(addr)),
            Ready::Http(path) => Some(Probe::Http(format!("http://{addr}{path}"))),
            Ready::Log(_) => None,
        };
        if let Some(probe) = probe
            && let Err(probe) = probe.wait(timeout).await
        {
            return Err(ServiceError::NotReady {
                name,
                probe: Box::new(probe),
                log: keeper::last_lines(&container::logs(&id).await, 40),
            });
        }
        // The container now belongs to the keeper: dropping the handle would remove it at once.
        std::mem::forget(started.container);
        Ok(State {
            name,
            addr,
            ports: started.ports,
            log_file: None,
            container: Some(id),
        })
    }
}

fn not_found(program: &std::path::Path) -> ServiceError {
    ServiceError::NotFound {
        program: program.display().to_string(),
        looked: if program.components().count() > 1 {
            "no such file".into()
        } else {
            "looked in PATH".into()
        },
        package: program
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

/// A name safe in file names and labels.
fn safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_written_as_asked() {
        let addr: SocketAddr = "127.0.0.1:6380".parse().unwrap();
        assert_eq!(AddressFormat::HostPort.render(addr), "127.0.0.1:6380");
        assert_eq!(AddressFormat::Port.render(addr), "6380");
        assert_eq!(
            AddressFormat::template("redis://{host}:{port}/0 ({addr})").render(addr),
            "redis://127.0.0.1:6380/0 (127.0.0.1:6380)"
        );
        let (args, env) = Placement::render(
            &[
                Placement::Args(vec![Some("--port".into()), None], AddressFormat::Port),
                Placement::Args(vec![None], AddressFormat::template("--bind={host}")),
                Placement::Env("LISTEN".into(), AddressFormat::HostPort),
            ],
            addr,
        );
        assert_eq!(args, ["--port", "6380", "--bind=127.0.0.1"]);
        assert_eq!(env, [("LISTEN".to_owned(), "127.0.0.1:6380".to_owned())]);
    }

    #[test]
    fn descriptions_that_differ_are_not_shared() {
        let redis = || Service::binary("redis-server").listen_arg_as("--port", AddressFormat::Port);
        assert_eq!(redis().hash(), redis().hash());
        assert_ne!(redis().hash(), redis().arg("--save").hash());
        assert_ne!(redis().hash(), redis().env("A", "1").hash());
        assert_eq!(Service::container("harness-redis:7").name, "harness-redis");
        assert_eq!(
            Service::binary("/usr/bin/redis-server").name,
            "redis-server"
        );
    }

    #[test]
    fn a_missing_program_is_named_with_where_it_was_looked_for() {
        let by_name = not_found(std::path::Path::new("memcached"));
        assert!(by_name.to_string().contains("looked in PATH"), "{by_name}");
        assert!(
            by_name.to_string().contains("apt-get install memcached"),
            "{by_name}"
        );
        let by_path = Service::binary("/opt/nowhere/mailpit")
            .listen_arg_as("--smtp", AddressFormat::HostPort)
            .check()
            .unwrap_err();
        let text = by_path.to_string();
        assert!(
            text.contains("/opt/nowhere/mailpit was not found (no such file)"),
            "{text}"
        );
        assert!(text.contains("apt-get install mailpit"), "{text}");
    }

    #[test]
    fn names_come_from_the_program_or_image_and_are_made_safe() {
        assert_eq!(Service::container("ghcr.io/acme/queue:2").name, "queue");
        assert_eq!(Service::container(":latest").name, "service");
        assert_eq!(
            Service::binary("redis-server").name("My Cache!").name,
            "My Cache!"
        );
        assert_eq!(safe("My Cache!"), "my-cache-");
        assert_eq!(keeper::last_lines("a\nb\nc", 2), "b\nc");
        assert_eq!(keeper::last_lines("a", 5), "a");
    }

    #[test]
    fn bad_descriptions_are_refused_before_anything_starts() {
        let err = Service::binary("redis-server").check().unwrap_err();
        assert!(err.to_string().contains("must be told its port"), "{err}");
        let err = Service::binary("no-such-program-here")
            .listen_arg_as("--port", AddressFormat::Port)
            .check()
            .unwrap_err();
        assert!(matches!(err, ServiceError::NotFound { .. }), "{err}");
        let err = Service::container("redis:7").check().unwrap_err();
        assert!(
            err.to_string().contains("needs at least one port")
                || matches!(err, ServiceError::DockerNotBuilt { .. }),
            "{err}"
        );
    }
}
