//! The keeper's own calls to the Docker Engine API: list and remove containers, with nothing but
//! std. Hand-written because the keeper runs before `main` (or first thing in it), with no async runtime and none of the
//! test's state; test processes talk to the engine through testcontainers' bollard client.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(5);

/// Where the engine listens, as testcontainers and the docker CLI look for it.
#[derive(Debug, Clone)]
pub(crate) enum Endpoint {
    #[cfg_attr(not(unix), allow(dead_code))]
    Unix(PathBuf),
    #[cfg_attr(not(windows), allow(dead_code))]
    Pipe(String),
    Tcp(String),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(path) => write!(f, "unix://{}", path.display()),
            Endpoint::Pipe(pipe) => write!(f, "npipe://{pipe}"),
            Endpoint::Tcp(addr) => write!(f, "tcp://{addr}"),
        }
    }
}

/// The engine testcontainers 0.28 connects to, found the same way (`DOCKER_HOST`, then the
/// sockets it tries, in its order), so that the keeper removes containers from the engine the
/// test started them in. Docker contexts are not read, by testcontainers either.
pub(crate) fn endpoint() -> Endpoint {
    if let Some(endpoint) = std::env::var("DOCKER_HOST")
        .ok()
        .as_deref()
        .and_then(endpoint_from_host)
    {
        return endpoint;
    }
    if cfg!(windows) {
        return Endpoint::Pipe(r"\\.\pipe\docker_engine".to_owned());
    }
    let mut candidates = vec![PathBuf::from("/var/run/docker.sock")];
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        candidates.push(runtime.join(".docker/run/docker.sock"));
    }
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        candidates.push(home.join(".docker/run/docker.sock"));
        candidates.push(home.join(".docker/desktop/docker.sock"));
    }
    let first = candidates[0].clone();
    Endpoint::Unix(candidates.into_iter().find(|p| p.exists()).unwrap_or(first))
}

/// A `DOCKER_HOST` value, if it is one of the forms the harness speaks.
fn endpoint_from_host(host: &str) -> Option<Endpoint> {
    if let Some(path) = host.strip_prefix("unix://") {
        Some(Endpoint::Unix(PathBuf::from(path)))
    } else if let Some(pipe) = host.strip_prefix("npipe://") {
        Some(Endpoint::Pipe(pipe.replace('/', "\\")))
    } else {
        // testcontainers speaks plain HTTP to both forms.
        host.strip_prefix("tcp://")
            .or_else(|| host.strip_prefix("http://"))
            .map(|addr| Endpoint::Tcp(addr.trim_end_matches('/').to_owned()))
    }
}

/// The engine, if the keeper can reach it the way testcontainers will: a `DOCKER_HOST` of a
/// form the keeper does not speak (ssh://, https://) is refused before a container is started
/// that nothing could remove.
pub(crate) fn keeper_endpoint() -> Result<Endpoint, String> {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if !host.trim().is_empty() => endpoint_from_host(&host).ok_or_else(|| {
            format!(
                "DOCKER_HOST={host} is of a form the harness's keeper cannot reach (unix://, tcp://, http:// or npipe:// only), so it could not remove the container"
            )
        }),
        _ => Ok(endpoint()),
    }
}

/// Written by the process that starts a container once the engine has answered its create
/// (the id, or nothing when it failed): without it, a keeper knows the start was cut short and
/// watches for a container that may still appear.
pub(crate) const STARTED_MARKER: &str = "container.started";

trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

fn connect(endpoint: &Endpoint) -> std::io::Result<Box<dyn Stream>> {
    match endpoint {
        #[cfg(unix)]
        Endpoint::Unix(path) => {
            let stream = std::os::unix::net::UnixStream::connect(path)?;
            stream.set_read_timeout(Some(TIMEOUT))?;
            stream.set_write_timeout(Some(TIMEOUT))?;
            Ok(Box::new(stream))
        }
        #[cfg(not(unix))]
        Endpoint::Unix(path) => Err(std::io::Error::other(format!(
            "unix sockets are not available here: {}",
            path.display()
        ))),
        Endpoint::Pipe(pipe) => {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(pipe)?;
            Ok(Box::new(file))
        }
        Endpoint::Tcp(addr) => {
            use std::net::ToSocketAddrs;
            let addr = addr
                .to_socket_addrs()?
                .next()
                .ok_or_else(|| std::io::Error::other(format!("cannot resolve {addr}")))?;
            let stream = std::net::TcpStream::connect_timeout(&addr, TIMEOUT)?;
            stream.set_read_timeout(Some(TIMEOUT))?;
            Ok(Box::new(stream))
        }
    }
}

/// One request; HTTP/1.0 so that the engine answers without chunking and closes when done.
fn request(endpoint: &Endpoint, method: &str, path: &str) -> Result<(u16, String), String> {
    let mut stream = connect(endpoint)
        .map_err(|e| format!("cannot reach the Docker engine at {endpoint}: {e}"))?;
    let head = format!("{method} {path} HTTP/1.0\r\nHost: docker\r\nContent-Length: 0\r\n\r\n");
    stream
        .write_all(head.as_bytes())
        .map_err(|e| format!("cannot talk to the Docker engine at {endpoint}: {e}"))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| format!("no answer from the Docker engine at {endpoint}: {e}"))?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            format!("the Docker engine at {endpoint} answered something that is not HTTP")
        })?;
    Ok((status, body.to_owned()))
}

/// Ids of the containers (running or not) that carry a `key=value` label.
fn list_labelled(endpoint: &Endpoint, label: &str) -> Result<Vec<String>, String> {
    let filters = serde_json::json!({ "label": [label] }).to_string();
    let (status, body) = request(
        endpoint,
        "GET",
        &format!(
            "/containers/json?all=1&filters={}",
            percent_encode(&filters)
        ),
    )?;
    if status != 200 {
        return Err(format!(
            "listing containers answered {status}: {}",
            body.trim()
        ));
    }
    let containers: Vec<serde_json::Value> =
        serde_json::from_str(&body).map_err(|e| e.to_string())?;
    Ok(containers
        .into_iter()
        .filter_map(|c| Some(c.get("Id")?.as_str()?.to_owned()))
        .collect())
}

/// Remove a container and its anonymous volumes, running or not.
fn remove(endpoint: &Endpoint, id: &str) -> Result<(), String> {
    match request(endpoint, "DELETE", &format!("/containers/{id}?force=1&v=1"))? {
        (204 | 404, _) => Ok(()),
        (status, body) => Err(format!(
            "removing container {id} answered {status}: {}",
            body.trim()
        )),
    }
}

/// Remove every container carrying a `key=value` label from the engine at `host` (a
/// `DOCKER_HOST` value; `None`: found as testcontainers finds it); how many there were.
pub(crate) fn remove_labelled(host: Option<&str>, label: &str) -> Result<usize, String> {
    let endpoint = host.and_then(endpoint_from_host).unwrap_or_else(endpoint);
    let ids = list_labelled(&endpoint, label)?;
    for id in &ids {
        remove(&endpoint, id)?;
    }
    Ok(ids.len())
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_host_forms_are_read_and_shown_back() {
        let shown = |host: &str| endpoint_from_host(host).map(|e| e.to_string());
        assert_eq!(
            shown("unix:///run/user/1000/docker.sock").as_deref(),
            Some("unix:///run/user/1000/docker.sock")
        );
        assert_eq!(
            shown("tcp://127.0.0.1:2375").as_deref(),
            Some("tcp://127.0.0.1:2375")
        );
        assert_eq!(
            shown("npipe:////./pipe/docker_engine").as_deref(),
            Some(r"npipe://\\.\pipe\docker_engine")
        );
        assert_eq!(
            shown("http://127.0.0.1:2375/").as_deref(),
            Some("tcp://127.0.0.1:2375")
        );
        assert_eq!(shown("ssh://user@host"), None);
    }

    #[test]
    fn percent_encoding_escapes_json_and_slashes() {
        assert_eq!(
            percent_encode(r#"{"a":["b=c"]}"#),
            "%7B%22a%22%3A%5B%22b%3Dc%22%5D%7D"
        );
        assert_eq!(
            percent_encode("harness-postgres:15"),
            "harness-postgres%3A15"
        );
    }
}
