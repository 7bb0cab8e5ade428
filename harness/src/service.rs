//! The service under test: in this process (an axum `Router` on a loopback listener) or as a
//! child process, waited for through a probe and stopped when the test ends.

use std::ffi::{OsStr, OsString};
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::net::{self, PortError};
use crate::probe::{Probe, ProbeError};

/// An axum app served on `127.0.0.1:<port>` in this process until stopped or dropped.
#[derive(Debug)]
pub struct InProcessService {
    addr: SocketAddr,
    base_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl InProcessService {
    /// Serve `router` on a fresh loopback listener. The listener is bound before this returns, so
    /// the service accepts connections at once: no probe is needed, and no other program can take
    /// the port in between.
    pub async fn serve(router: axum::Router) -> std::io::Result<InProcessService> {
        let listener = net::loopback_listener().await?;
        let addr = listener.local_addr()?;
        let (shutdown, stop) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stop.await;
                })
                .await
        });
        Ok(InProcessService {
            addr,
            base_url: format!("http://{addr}"),
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Stop accepting, finish the requests in flight, and wait for the server to end.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
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
    listen_env: Option<String>,
    listen_arg: Option<String>,
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
            listen_env: None,
            listen_arg: None,
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
    pub fn listen_env(mut self, name: impl Into<String>) -> Self {
        self.listen_env = Some(name.into());
        self
    }

    /// Tell the service where to listen through this flag, as `<flag> 127.0.0.1:<port>`.
    pub fn listen_arg(mut self, flag: impl Into<String>) -> Self {
        self.listen_arg = Some(flag.into());
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
        let mut command = tokio::process::Command::new(&self.program);
        command
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(name) = &self.listen_env {
            command.env(name, addr.to_string());
        }
        if let Some(flag) = &self.listen_arg {
            command.arg(flag).arg(addr.to_string());
        }
        die_with_parent(&mut command);
        let mut child = command.spawn().map_err(|source| ChildError::Spawn {
            program: program.clone(),
            source,
        })?;
        let log = Arc::new(Mutex::new(String::new()));
        if let Some(out) = child.stdout.take() {
            collect(out, log.clone());
        }
        if let Some(err) = child.stderr.take() {
            collect(err, log.clone());
        }
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
            // The readers finish once the pipes close.
            tokio::time::sleep(Duration::from_millis(20)).await;
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

fn collect(stream: impl AsyncRead + Unpin + Send + 'static, log: Arc<Mutex<String>>) {
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
            log.push_str(&line);
            log.push('\n');
        }
    });
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
