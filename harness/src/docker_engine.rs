//! A few plain calls to the Docker Engine API with nothing but std, so that the keeper (which runs
//! before `main`, with no async runtime) and the backend probe can use them. Starting containers
//! goes through testcontainers; this module only pings, inspects and removes.

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
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        candidates.push(home.join(".docker/run/docker.sock"));
        candidates.push(home.join(".colima/default/docker.sock"));
    }
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        candidates.push(runtime.join("docker.sock"));
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
        host.strip_prefix("tcp://")
            .map(|addr| Endpoint::Tcp(addr.to_owned()))
    }
}

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
fn request(method: &str, path: &str) -> Result<(u16, String), String> {
    let endpoint = endpoint();
    let mut stream = connect(&endpoint)
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

/// Whether the engine answers.
pub(crate) fn ping() -> Result<(), String> {
    match request("GET", "/_ping")? {
        (200, _) => Ok(()),
        (status, body) => Err(format!(
            "the Docker engine at {} answered {status}: {}",
            endpoint(),
            body.trim()
        )),
    }
}

/// Whether an image is present in the engine (no registry is asked).
pub(crate) fn image_exists(image: &str) -> Result<bool, String> {
    match request("GET", &format!("/images/{}/json", percent_encode(image)))? {
        (200, _) => Ok(true),
        (404, _) => Ok(false),
        (status, body) => Err(format!(
            "inspecting image {image} answered {status}: {}",
            body.trim()
        )),
    }
}

/// Ids of the containers (running or not) that carry a `key=value` label.
pub(crate) fn list_labelled(label: &str) -> Result<Vec<String>, String> {
    Ok(labels_of_containers_with(label)?
        .into_iter()
        .map(|(id, _)| id)
        .collect())
}

/// The labels of every container matching a label filter (`key` or `key=value`), by container id.
pub(crate) fn labels_of_containers_with(
    key: &str,
) -> Result<Vec<(String, serde_json::Value)>, String> {
    let filters = serde_json::json!({ "label": [key] }).to_string();
    let (status, body) = request(
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
        .filter_map(|c| Some((c.get("Id")?.as_str()?.to_owned(), c.get("Labels")?.clone())))
        .collect())
}

/// Remove a container and its anonymous volumes, running or not.
pub(crate) fn remove(id: &str) -> Result<(), String> {
    match request("DELETE", &format!("/containers/{id}?force=1&v=1"))? {
        (204 | 404, _) => Ok(()),
        (status, body) => Err(format!(
            "removing container {id} answered {status}: {}",
            body.trim()
        )),
    }
}

/// Remove every container carrying a `key=value` label; how many there were.
pub(crate) fn remove_labelled(label: &str) -> Result<usize, String> {
    let ids = list_labelled(label)?;
    for id in &ids {
        remove(id)?;
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
