//! The service under test: in this process (any server that runs on a loopback listener the
//! harness hands over; axum in one line) or as a child process, waited for through a probe and
//! stopped when the test ends.

use std::ffi::{OsStr, OsString};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::net::{self, PortError};
use crate::probe::{Probe, ProbeError};

/// A listener the harness can hand to a server: bound to `127.0.0.1:0` before the server runs, so
/// there is no gap between choosing the port and listening on it.
pub trait Listener: Sized + Send + 'static {
    /// Take over a bound std listener.
    fn from_std(listener: std::net::TcpListener) -> std::io::Result<Self>;
}

impl Listener for std::net::TcpListener {
    fn from_std(listener: std::net::TcpListener) -> std::io::Result<Self> {
        Ok(listener)
    }
}

impl Listener for tokio::net::TcpListener {
    fn from_std(listener: std::net::TcpListener) -> std::io::Result<Self> {
        listener.set_nonblocking(true)?;
        tokio::net::TcpListener::from_std(listener)
    }
}

/// Completes when the harness asks the server to stop (from [`InProcessService::stop`] or its
/// drop); hand it to the framework's graceful shutdown.
#[derive(Debug)]
pub struct Shutdown(oneshot::Receiver<()>);

impl Future for Shutdown {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // A dropped sender is a request to stop too.
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

type ServeResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// A server running in this process on `127.0.0.1:<port>` until stopped or dropped.
///
/// Whatever it logs through `tracing` is captured (see [`InProcessService::log`]) and saved
/// with a failed browser test's artifacts, with nothing to wire.
#[derive(Debug)]
pub struct InProcessService {
    addr: SocketAddr,
    base_url: String,
    log_from: usize,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<ServeResult>>,
}

impl InProcessService {
    /// Serve an axum `router` on a fresh loopback listener. The listener is bound before this
    /// returns, so the service accepts connections at once: no probe is needed.
    #[cfg(feature = "axum")]
    pub async fn serve(router: axum::Router) -> std::io::Result<InProcessService> {
        InProcessService::start(|listener: tokio::net::TcpListener, shutdown| async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
        })
        .await
    }

    /// Run any server on a loopback listener bound for it: `serve` gets the listener (a std or a
    /// tokio one, as its parameter's type says) and a [`Shutdown`] future to stop on, and returns
    /// the server's future, which runs on the test's runtime until it ends.
    ///
    /// ```ignore
    /// // actix-web: listen on the std listener, stop through the server's handle
    /// let app = harness::InProcessService::start(|listener: std::net::TcpListener, shutdown| async move {
    ///     let server = actix_web::HttpServer::new(my_app).workers(1).listen(listener)?.run();
    ///     let handle = server.handle();
    ///     tokio::spawn(async move { shutdown.await; handle.stop(true).await });
    ///     server.await
    /// }).await?;
    /// ```
    pub async fn start<L, F, Fut, E>(serve: F) -> std::io::Result<InProcessService>
    where
        L: Listener,
        F: FnOnce(L, Shutdown) -> Fut,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        crate::capture::install();
        let log_from = crate::capture::position();
        let listener = std::net::TcpListener::bind((net::LOOPBACK, 0))?;
        let addr = listener.local_addr()?;
        let (shutdown, stop) = oneshot::channel::<()>();
        let server = serve(L::from_std(listener)?, Shutdown(stop));
        let task = tokio::spawn(async move { server.await.map_err(Into::into) });
        Ok(InProcessService::running(addr, log_from, shutdown, task))
    }

    /// Adopt a server that binds its own listener, as an app's builder often does
    /// (`Application::build(config)` listening on port 0 and reporting its port): `addr` is where
    /// it listens, `server` the future that runs it (`app.run_until_stopped()`). The future is
    /// spawned on this runtime, and this returns once `addr` accepts connections, or fails with
    /// the server's own error if it ends first, or after `HARNESS_STARTUP_TIMEOUT`. An address
    /// on every interface (`0.0.0.0`) is reached on 127.0.0.1. [`stop`](Self::stop) (or a drop)
    /// drops the server's future: a server with a stop of its own is better served by
    /// [`start`](Self::start).
    ///
    /// ```ignore
    /// let app = my_app::Application::build(config).await?; // binds 127.0.0.1:0 itself
    /// let app = harness::InProcessService::adopt(("127.0.0.1", app.port()), app.run_until_stopped()).await?;
    /// ```
    pub async fn adopt<A, Fut, E>(addr: A, server: Fut) -> std::io::Result<InProcessService>
    where
        A: tokio::net::ToSocketAddrs,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        crate::capture::install();
        let log_from = crate::capture::position();
        let mut addr = tokio::net::lookup_host(addr).await?.next().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address to adopt")
        })?;
        if addr.ip().is_unspecified() {
            addr.set_ip(net::LOOPBACK.into());
        }
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            tokio::select! {
                ended = server => ended.map_err(Into::into),
                _ = stop => Ok(()),
            }
        });
        let ready = crate::probe::Probe::Tcp(addr)
            .wait_unless(crate::config::startup_timeout(), || {
                task.is_finished()
                    .then(|| "the server's future ended".to_owned())
            })
            .await;
        if let Err(probe) = ready {
            if task.is_finished() {
                let ended = match task.await {
                    Ok(Ok(())) => "it returned Ok before serving".to_owned(),
                    Ok(Err(e)) => crate::error_chain(e.as_ref()),
                    Err(e) => format!("it panicked: {e}"),
                };
                return Err(std::io::Error::other(format!(
                    "the adopted server on {addr} ended before it accepted a connection: {ended}"
                )));
            }
            task.abort();
            return Err(std::io::Error::other(probe));
        }
        Ok(InProcessService::running(addr, log_from, shutdown, task))
    }

    fn running(
        addr: SocketAddr,
        log_from: usize,
        shutdown: oneshot::Sender<()>,
        task: JoinHandle<ServeResult>,
    ) -> InProcessService {
        InProcessService {
            addr,
            base_url: format!("http://{addr}"),
            log_from,
            shutdown: Some(shutdown),
            task: Some(task),
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// What this process logged through `tracing` since the service started (the harness
    /// installs its test subscriber for this; a subscriber the test set itself is left alone, and
    /// then nothing is captured).
    pub fn log(&self) -> String {
        crate::capture::since(self.log_from)
    }

    /// Stop accepting, finish the requests in flight, and wait for the server to end. An error
    /// the server ended with is printed.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!(
                    "harness: the service on {} ended with: {}",
                    self.addr,
                    crate::error_chain(e.as_ref())
                ),
                Err(e) => eprintln!("harness: the service on {} panicked: {e}", self.addr),
            }
        }
    }
}

impl Drop for InProcessService {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// How an address is written for a program: `127.0.0.1:8080`, `8080`, or a template such as
/// `redis://{host}:{port}/0` (`{host}`, `{port}` and `{addr}` = host:port are replaced).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressFormat {
    /// `127.0.0.1:<port>`.
    HostPort,
    /// `<port>` alone, for `--port N` or `PORT=N`.
    Port,
    /// A template; see the type's description.
    Template(String),
}

impl AddressFormat {
    /// A template, e.g. `http://{addr}/` or `--listen={host}:{port}`.
    pub fn template(template: impl Into<String>) -> AddressFormat {
        AddressFormat::Template(template.into())
    }

    /// The address written in this format.
    pub fn render(&self, addr: SocketAddr) -> String {
        match self {
            AddressFormat::HostPort => addr.to_string(),
            AddressFormat::Port => addr.port().to_string(),
            AddressFormat::Template(template) => template
                .replace("{addr}", &addr.to_string())
                .replace("{host}", &addr.ip().to_string())
                .replace("{port}", &addr.port().to_string()),
        }
    }
}

/// Where a program is told its address: in a variable, or in arguments.
#[derive(Debug, Clone)]
pub(crate) enum Placement {
    Env(String, AddressFormat),
    /// Arguments appended in order; `None` stands for the address itself.
    Args(Vec<Option<String>>, AddressFormat),
}

impl Placement {
    /// `<flag> <address>`, two arguments.
    pub(crate) fn flag(flag: String, format: AddressFormat) -> Placement {
        Placement::Args(vec![Some(flag), None], format)
    }

    /// One argument made from a template.
    pub(crate) fn template(template: String) -> Placement {
        Placement::Args(vec![None], AddressFormat::Template(template))
    }

    /// The arguments to append and the variables to set for `addr`.
    pub(crate) fn render(
        placements: &[Placement],
        addr: SocketAddr,
    ) -> (Vec<String>, Vec<(String, String)>) {
        let (mut args, mut env) = (Vec::new(), Vec::new());
        for placement in placements {
            match placement {
                Placement::Env(name, format) => env.push((name.clone(), format.render(addr))),
                Placement::Args(parts, format) => {
                    args.extend(parts.iter().map(|part| match part {
                        Some(literal) => literal.clone(),
                        None => format.render(addr),
                    }));
                }
            }
        }
        (args, env)
    }
}

/// Why a child service did not come up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChildError {
    /// No port could be allocated for it.
    #[error(transparent)]
    Port(#[from] PortError),
    /// The program could not be started.
    #[error("cannot start {program}")]
    Spawn {
        /// The program.
        program: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// It started but its probe never succeeded.
    #[error("{program} did not become ready\n--- its output ---\n{log}")]
    NotReady {
        /// The program.
        program: String,
        /// The probe's report (with the exit status if it exited).
        #[source]
        probe: ProbeError,
        /// What it printed.
        log: String,
    },
}

/// How to start a child service; from [`ChildService::builder`].
#[derive(Debug)]
pub struct ChildServiceBuilder {
    program: OsString,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    listen: Vec<Placement>,
    ready_path: Option<String>,
    timeout: Duration,
}

/// A service running as a child process on `127.0.0.1:<port>`, killed when dropped.
#[derive(Debug)]
pub struct ChildService {
    child: tokio::process::Child,
    addr: SocketAddr,
    base_url: String,
    log: Arc<Mutex<String>>,
}

impl ChildService {
    /// Start describing a child service running `program`.
    pub fn builder(program: impl AsRef<OsStr>) -> ChildServiceBuilder {
        ChildServiceBuilder {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            env: Vec::new(),
            listen: Vec::new(),
            ready_path: None,
            timeout: Duration::from_secs(30),
        }
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Everything it printed so far, stdout and stderr interleaved by line.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The process id.
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// Ask it to stop (SIGTERM; on Windows, terminate), wait up to 10 s, then kill it.
    pub async fn stop(mut self) -> Option<std::process::ExitStatus> {
        if let Some(pid) = self.child.id() {
            crate::process::request_stop(pid, false);
        }
        match tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await {
            Ok(status) => status.ok(),
            Err(_) => {
                let _ = self.child.kill().await;
                self.child.wait().await.ok()
            }
        }
    }
}

impl ChildServiceBuilder {
    /// Add an argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Add arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Set an environment variable.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Tell the service where to listen through this variable: the harness allocates a port and
    /// sets it to `127.0.0.1:<port>`.
    pub fn listen_env(self, name: impl Into<String>) -> Self {
        self.listen_env_as(name, AddressFormat::HostPort)
    }

    /// Like [`listen_env`](Self::listen_env), written as the program wants it (`PORT=8080`:
    /// [`AddressFormat::Port`]). May be given several times, e.g. a host and a port variable.
    pub fn listen_env_as(mut self, name: impl Into<String>, format: AddressFormat) -> Self {
        self.listen.push(Placement::Env(name.into(), format));
        self
    }

    /// Tell the service where to listen through this flag, as `<flag> 127.0.0.1:<port>`.
    pub fn listen_arg(self, flag: impl Into<String>) -> Self {
        self.listen_arg_as(flag, AddressFormat::HostPort)
    }

    /// Like [`listen_arg`](Self::listen_arg), written as the program wants it
    /// (`--port 8080`: [`AddressFormat::Port`]).
    pub fn listen_arg_as(mut self, flag: impl Into<String>, format: AddressFormat) -> Self {
        self.listen.push(Placement::flag(flag.into(), format));
        self
    }

    /// One argument holding the address, from a template: `--bind=tcp://{addr}`.
    pub fn listen_arg_template(mut self, template: impl Into<String>) -> Self {
        self.listen.push(Placement::template(template.into()));
        self
    }

    /// Ready when `GET <path>` answers 2xx (default: when the port accepts TCP connections).
    pub fn ready_http(mut self, path: impl Into<String>) -> Self {
        self.ready_path = Some(path.into());
        self
    }

    /// How long it may take to become ready (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Start it and wait until it is ready.
    pub async fn start(self) -> Result<ChildService, ChildError> {
        let program = self.program.to_string_lossy().into_owned();
        let port = net::free_loopback_port()?;
        let addr = port.addr();
        let (mut args, mut env) = (self.args.clone(), self.env.clone());
        let (extra_args, extra_env) = Placement::render(&self.listen, addr);
        args.extend(extra_args.into_iter().map(OsString::from));
        env.extend(extra_env.into_iter().map(|(k, v)| (k.into(), v.into())));
        let mut command = tokio::process::Command::new(&self.program);
        command
            .args(&args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        die_with_parent(&mut command);
        let mut child = command.spawn().map_err(|source| ChildError::Spawn {
            program: program.clone(),
            source,
        })?;
        let log = Arc::new(Mutex::new(String::new()));
        let readers: Vec<_> = [
            child.stdout.take().map(|out| collect(out, log.clone())),
            child.stderr.take().map(|err| collect(err, log.clone())),
        ]
        .into_iter()
        .flatten()
        .collect();
        let base_url = format!("http://{addr}");
        let probe = match &self.ready_path {
            Some(path) => Probe::Http(format!("{base_url}{path}")),
            None => Probe::Tcp(addr),
        };
        let exited = probe
            .wait_unless(self.timeout, || match child.try_wait() {
                Ok(Some(status)) => Some(format!("the process exited: {status}")),
                _ => None,
            })
            .await;
        if let Err(probe) = exited {
            let _ = child.kill().await;
            // The readers finish once the pipes close (a grandchild may hold them: bounded).
            for reader in readers {
                let _ = tokio::time::timeout(Duration::from_secs(1), reader).await;
            }
            let log = log.lock().unwrap_or_else(|e| e.into_inner()).clone();
            return Err(ChildError::NotReady {
                program,
                probe,
                log,
            });
        }
        drop(port);
        Ok(ChildService {
            child,
            addr,
            base_url,
            log,
        })
    }
}

fn collect(
    stream: impl AsyncRead + Unpin + Send + 'static,
    log: Arc<Mutex<String>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
            log.push_str(&line);
            log.push('\n');
        }
    })
}

/// On Linux the kernel kills the child when the thread that started it ends, so a test process
/// killed with SIGKILL does not leave its service running. Elsewhere `kill_on_drop` covers the
/// normal and panicking paths.
fn die_with_parent(command: &mut tokio::process::Command) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl is async-signal-safe, as required between fork and exec.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = command;
}
