//! Readiness probes: poll a condition with backoff until it holds or a deadline passes.

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What to wait for.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Probe {
    /// A TCP connection is accepted.
    Tcp(SocketAddr),
    /// `GET <url>` answers 2xx. Plain `http://` URLs only.
    Http(String),
    /// A real Postgres connection with this URL runs `SELECT 1`. (A TCP connect is not enough:
    /// Docker's port proxy accepts before Postgres listens.)
    Postgres(String),
    /// A log file holds this text (a server's "ready to accept connections" line).
    Log {
        /// The log file.
        path: std::path::PathBuf,
        /// The text to find.
        text: String,
    },
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Probe::Tcp(addr) => write!(f, "TCP {addr}"),
            Probe::Http(url) => write!(f, "HTTP GET {url}"),
            Probe::Postgres(url) => write!(f, "Postgres {}", crate::redact(url)),
            Probe::Log { path, text } => write!(f, "{text:?} in {}", path.display()),
        }
    }
}

/// Why one attempt of a probe failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeFailure {
    /// No TCP connection.
    #[error("cannot connect")]
    Connect(#[source] std::io::Error),
    /// The HTTP request got no answer.
    #[error("the request failed")]
    Request(#[source] reqwest::Error),
    /// An answer, but not 2xx.
    #[error("answered HTTP {0}")]
    Status(u16),
    /// No Postgres connection, or `SELECT 1` failed.
    #[error("postgres refused")]
    Postgres(#[source] crate::pg::PgError),
    /// The log file could not be read.
    #[error("cannot read the log")]
    Log(#[source] std::io::Error),
    /// The log does not hold the text yet.
    #[error("not logged yet")]
    NotLogged,
    /// The attempt itself took too long.
    #[error("no answer within {0:.2?}")]
    Timeout(Duration),
}

/// A probe that did not succeed in time.
#[derive(Debug, thiserror::Error)]
#[error(
    "{probe} was not ready after {elapsed:.2?} ({attempts} attempts){}",
    .gave_up.as_ref().map(|reason| format!("; gave up: {reason}")).unwrap_or_default()
)]
#[non_exhaustive]
pub struct ProbeError {
    /// What was probed.
    pub probe: String,
    /// How long it was probed.
    pub elapsed: Duration,
    /// How many attempts were made.
    pub attempts: u32,
    /// The last failure seen (its causes are in [`ProbeError::last`]), and why waiting stopped
    /// early, if it did.
    pub last_error: String,
    /// Why waiting stopped before the deadline (the process exited, say).
    pub gave_up: Option<String>,
    /// The last failure itself (the error's source).
    #[source]
    pub last: Option<Box<ProbeFailure>>,
}

impl Probe {
    /// One attempt.
    pub async fn check(&self) -> Result<(), ProbeFailure> {
        match self {
            Probe::Tcp(addr) => tokio::net::TcpStream::connect(addr)
                .await
                .map(drop)
                .map_err(ProbeFailure::Connect),
            Probe::Http(url) => match http_get_status(url).await? {
                status if (200..300).contains(&status) => Ok(()),
                status => Err(ProbeFailure::Status(status)),
            },
            Probe::Log { path, text } => {
                let bytes = std::fs::read(path).map_err(ProbeFailure::Log)?;
                if String::from_utf8_lossy(&bytes).contains(text.as_str()) {
                    Ok(())
                } else {
                    Err(ProbeFailure::NotLogged)
                }
            }
            Probe::Postgres(url) => {
                let client = crate::pg::connect_url(url)
                    .await
                    .map_err(ProbeFailure::Postgres)?;
                client
                    .batch_execute("SELECT 1")
                    .await
                    .map_err(|e| ProbeFailure::Postgres(e.into()))?;
                Ok(())
            }
        }
    }

    /// Poll until the probe succeeds or `timeout` passes.
    pub async fn wait(&self, timeout: Duration) -> Result<(), ProbeError> {
        self.wait_unless(timeout, || None).await
    }

    /// Like [`Probe::wait`], but gives up at once when `gone` reports a reason (e.g. the process
    /// being probed has exited), so a dead server fails fast instead of at the deadline.
    pub async fn wait_unless(
        &self,
        timeout: Duration,
        mut gone: impl FnMut() -> Option<String>,
    ) -> Result<(), ProbeError> {
        let started = Instant::now();
        let mut attempts = 0;
        let mut pause = Duration::from_millis(2);
        loop {
            attempts += 1;
            let attempt_budget = timeout
                .saturating_sub(started.elapsed())
                .max(Duration::from_millis(50));
            let failure = match tokio::time::timeout(attempt_budget, self.check()).await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(e)) => e,
                Err(_) => ProbeFailure::Timeout(attempt_budget),
            };
            let fail = |failure: ProbeFailure, also: Option<String>| {
                let mut last_error = crate::error_chain(&failure);
                if let Some(reason) = &also {
                    last_error.push_str("; and ");
                    last_error.push_str(reason);
                }
                ProbeError {
                    probe: self.to_string(),
                    elapsed: started.elapsed(),
                    attempts,
                    last_error,
                    gave_up: also,
                    last: Some(Box::new(failure)),
                }
            };
            if let Some(reason) = gone() {
                return Err(fail(failure, Some(reason)));
            }
            if started.elapsed() + pause > timeout {
                return Err(fail(failure, None));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}

/// The status code of `GET url`. Proxies are ignored: every address the harness probes is on
/// this machine. No connection is kept: each test's runtime is its own, and a pooled connection
/// would belong to a runtime that may be gone.
async fn http_get_status(url: &str) -> Result<u16, ProbeFailure> {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .build()
            .expect("a client with no TLS and no proxy builds")
    });
    let response = client
        .get(url)
        .send()
        .await
        .map_err(ProbeFailure::Request)?;
    Ok(response.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_closed_port_fails_with_attempts_and_the_last_error() {
        let port = crate::free_loopback_port().unwrap();
        let err = Probe::Tcp(port.addr())
            .wait(Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(err.attempts > 1, "{err}");
        assert!(err.elapsed >= Duration::from_millis(150), "{err}");
        let text = crate::error_chain(&err);
        assert!(
            text.contains(&format!("TCP 127.0.0.1:{}", port.port())),
            "{text}"
        );
        // The OS's own words are the source, not pasted into the message.
        assert!(!err.to_string().contains("refused"), "{err}");
        assert!(
            text.contains("cannot connect: Connection refused"),
            "{text}"
        );
        assert!(
            matches!(err.last.as_deref(), Some(ProbeFailure::Connect(_))),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn http_probe_needs_a_2xx() {
        let listener = crate::loopback_listener().await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut buf = [0u8; 1024];
                let n = socket.read(&mut buf).await.unwrap();
                let ok = String::from_utf8_lossy(&buf[..n]).starts_with("GET /up ");
                let status = if ok {
                    "204 No Content"
                } else {
                    "503 Service Unavailable"
                };
                let _ = socket
                    .write_all(format!("HTTP/1.1 {status}\r\n\r\n").as_bytes())
                    .await;
            }
        });
        Probe::Http(format!("http://{addr}/up"))
            .wait(Duration::from_secs(2))
            .await
            .unwrap();
        let err = Probe::Http(format!("http://{addr}/down"))
            .wait(Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(err.last_error.contains("HTTP 503"), "{err}");
    }

    #[tokio::test]
    async fn gone_stops_waiting_at_once() {
        let port = crate::free_loopback_port().unwrap();
        let started = Instant::now();
        let err = Probe::Tcp(port.addr())
            .wait_unless(Duration::from_secs(30), || Some("the server exited".into()))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(err.last_error.ends_with("the server exited"), "{err}");
    }
}
