//! Where the harness keeps its files, and which run a test process belongs to.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use crate::config;

/// The directory holding everything the harness writes: `HARNESS_DIR`, else `<target dir>/harness`,
/// else a folder in the system's temp dir.
pub fn harness_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(dir) = config::harness_dir_override() {
            return dir;
        }
        if let Some(target) = target_dir() {
            return target.join("harness");
        }
        std::env::temp_dir().join(format!("harness-{}", user_tag()))
    })
}

/// Cargo's target directory, found from the running executable (`target/debug/deps/it-…` or
/// `target/debug/tunix-rt`): the nearest ancestor holding the `CACHEDIR.TAG` cargo writes there.
/// A program installed elsewhere (`harness` by `cargo install`) finds the `target` of the
/// project it runs in.
pub fn target_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        let dir = PathBuf::from(dir);
        if dir.is_absolute() {
            return Some(dir);
        }
    }
    let exe = std::env::current_exe().ok()?;
    let beside_exe = exe
        .ancestors()
        .skip(1)
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map(Path::to_path_buf);
    beside_exe.or_else(|| {
        let cwd = std::env::current_dir().ok()?;
        cwd.ancestors()
            .map(|dir| dir.join("target"))
            .find(|target| target.join("CACHEDIR.TAG").is_file())
    })
}

/// The run this process belongs to. Under nextest every test process of one `cargo nextest run`
/// shares `NEXTEST_RUN_ID`, and the runner is our parent; elsewhere (plain `cargo test`, an editor)
/// the process is a run of its own. With `HARNESS_LINGER` every run in this harness directory is
/// one warm run, whose servers the next run adopts.
#[derive(Debug, Clone)]
pub struct Run {
    pub id: String,
    /// The process whose death ends the run.
    pub runner: Option<u32>,
    /// How long the run's shared resources outlive it, idle (`HARNESS_LINGER`, `HARNESS_KEEP`).
    pub linger: Option<Duration>,
}

/// The run directory of warm runs (`HARNESS_LINGER`) starts with this.
pub const WARM_RUN: &str = "warm";

impl Run {
    pub fn current() -> &'static Run {
        static RUN: OnceLock<Run> = OnceLock::new();
        RUN.get_or_init(|| {
            let settings = config::current();
            let linger = settings.linger.max(settings.keep);
            let (id, runner) = match std::env::var("NEXTEST_RUN_ID") {
                Ok(id) if !id.is_empty() => (
                    sanitize(&id),
                    // An orphaned test process (its runner killed) has been re-parented to init or
                    // a subreaper: no runner holds the run open any more, only leases.
                    crate::process::parent_pid().filter(|pid| *pid > 1),
                ),
                _ => (
                    format!("proc-{}", std::process::id()),
                    Some(std::process::id()),
                ),
            };
            // One name per harness directory: a server's data outside it (in /dev/shm) is named
            // after the run, and two projects' warm runs must not meet there.
            let id = match settings.linger {
                Some(_) => format!(
                    "{WARM_RUN}-{:08x}",
                    stable_hash(&[harness_dir().to_string_lossy().as_bytes()]) as u32
                ),
                None => id,
            };
            Run { id, runner, linger }
        })
    }

    pub fn dir(&self) -> PathBuf {
        runs_dir().join(&self.id)
    }
}

pub fn runs_dir() -> PathBuf {
    harness_dir().join("runs")
}

fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Distinguishes users sharing one temp dir.
fn user_tag() -> String {
    #[cfg(unix)]
    {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() }.to_string()
    }
    #[cfg(not(unix))]
    {
        std::env::var("USERNAME").unwrap_or_else(|_| "user".into())
    }
}

/// Write `text` into a file only this user can read (a password, a URL holding one), making its
/// directory if needed: created so, never readable by others for a moment, and made so if it
/// was there already.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    file.write_all(text.as_bytes())
}

/// A stable 64-bit FNV-1a hash: names derived from it (templates, labels) must agree between
/// processes and across builds, which `DefaultHasher` does not promise.
pub fn stable_hash(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.iter().chain(std::iter::once(&0xff)) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_hash_is_stable_and_separates_parts() {
        assert_eq!(stable_hash(&[b"abc"]), stable_hash(&[b"abc"]));
        assert_ne!(stable_hash(&[b"ab", b"c"]), stable_hash(&[b"a", b"bc"]));
        // Pinned: a change here would orphan every template built by an older harness.
        assert_eq!(stable_hash(&[b"harness"]), 0x9c38_82be_275c_d1bc);
    }

    #[test]
    fn run_ids_are_path_safe() {
        assert_eq!(sanitize("a1b2-c3/..\\x"), "a1b2-c3____x");
    }
}
