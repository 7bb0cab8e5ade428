//! IPv4 loopback addresses: every address the harness hands out is `127.0.0.1:<port>`.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener};
use std::path::PathBuf;

use crate::keeper::open_lock;
use crate::workdir::harness_dir;

/// The one host the harness uses. Never `localhost`, which may resolve to `::1` first.
pub const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// Why no port could be allocated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PortError {
    /// The OS refused a loopback socket.
    #[error("cannot bind 127.0.0.1:0")]
    Bind(#[source] std::io::Error),
    /// The reservation files could not be used.
    #[error("cannot use the port reservation file {path}")]
    Reservation {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Every port the OS offered was reserved by another test process.
    #[error(
        "no free port after {attempts} attempts: every port offered was reserved by another test process"
    )]
    Exhausted {
        /// How many ports were tried.
        attempts: u32,
    },
}

/// A port on 127.0.0.1 that no other test process of any run using this harness directory will be
/// given while this value lives. Hand the port to a child process, and drop the reservation once
/// the child listens on it.
#[derive(Debug)]
pub struct PortReservation {
    port: u16,
    _lock: File,
    #[cfg_attr(not(unix), allow(dead_code))]
    path: PathBuf,
}

impl Drop for PortReservation {
    fn drop(&mut self) {
        // Removed while still locked, so that a run leaves no lock file per port behind: a
        // process that opens the path from now on makes a new file, and one that opened this one
        // before sees, once it has the lock, that the path names another file or none, and tries
        // again. Windows does not unlink an open file: there the file stays, as it always did.
        #[cfg(unix)]
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Whether `path` still names the file `lock` opened (its previous holder removes it when done).
#[cfg(unix)]
fn still_named(path: &std::path::Path, lock: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(path), lock.metadata()) {
        (Ok(named), Ok(held)) => (named.dev(), named.ino()) == (held.dev(), held.ino()),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_named(_: &std::path::Path, _: &File) -> bool {
    true
}

impl PortReservation {
    /// The port number.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:<port>`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::V4(SocketAddrV4::new(LOOPBACK, self.port))
    }
}

/// Allocate a free port on 127.0.0.1 for a child process to listen on.
///
/// The OS picks a free port; a lock file under the harness directory makes sure two test processes
/// that happen to be offered the same port never both take it. For a server in this process, bind
/// [`loopback_listener`] instead: it leaves no gap for another program to take the port.
pub fn free_loopback_port() -> Result<PortReservation, PortError> {
    let dir = harness_dir().join("ports");
    std::fs::create_dir_all(&dir).map_err(|source| PortError::Reservation {
        path: dir.clone(),
        source,
    })?;
    const ATTEMPTS: u32 = 64;
    for _ in 0..ATTEMPTS {
        let probe = TcpListener::bind((LOOPBACK, 0)).map_err(PortError::Bind)?;
        let port = probe.local_addr().map_err(PortError::Bind)?.port();
        let path = dir.join(format!("{port}.lock"));
        let lock = open_lock(&path).map_err(|source| PortError::Reservation {
            path: path.clone(),
            source,
        })?;
        if lock.try_lock().is_ok() && still_named(&path, &lock) {
            return Ok(PortReservation {
                port,
                _lock: lock,
                path,
            });
        }
    }
    Err(PortError::Exhausted { attempts: ATTEMPTS })
}

/// A listener bound to `127.0.0.1:0`, ready to hand to an in-process server.
pub async fn loopback_listener() -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind((LOOPBACK, 0)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_in_one_process_never_repeat_while_held() {
        let held: Vec<_> = (0..50).map(|_| free_loopback_port().unwrap()).collect();
        let mut ports: Vec<u16> = held.iter().map(PortReservation::port).collect();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), held.len());
        assert!(
            held.iter()
                .all(|r| r.addr().ip().to_string() == "127.0.0.1")
        );
    }

    /// A run leaves no lock file per port; a process that opened the file before its holder
    /// removed it does not take the port on that file (another may have made a new one).
    #[cfg(unix)]
    #[test]
    fn a_reservation_leaves_no_lock_file_and_a_removed_one_is_not_taken() {
        let reservation = free_loopback_port().unwrap();
        let path = reservation.path.clone();
        assert!(path.is_file(), "held: {}", path.display());
        let opened_before = open_lock(&path).unwrap();
        assert!(still_named(&path, &opened_before));
        drop(reservation);
        assert!(!path.exists(), "dropped: {} stays", path.display());
        assert!(opened_before.try_lock().is_ok());
        assert!(!still_named(&path, &opened_before));
    }
}
