//! The run's Chromes, each lent to one test at a time: a test borrows one that is already running
//! and gets a fresh browser context in it (its own cookies, storage, cache and tab), instead of
//! waiting for a Chrome of its own to start. Most of a browser test's CPU is a Chrome's start
//! (0.85 s on 2 cores, Chromium 156); a context costs about 20 ms.
//!
//! One test at a time per Chrome, because chromedriver attaching a session to a browser blocks
//! while any of its tabs waits on a page load: a page that never loads in one test would hold up
//! every other test sharing that browser (`HARNESS_BROWSER_REUSE=1`'s known limit). Lent
//! exclusively, a Chrome has no other test's tab to wait on.
//!
//! Slot `i` is `<chromedriver's dir>/chrome-pool-<chrome>/slot-<i>.lock`: a test holds it
//! exclusively (an OS lock, dropped with its holder even on SIGKILL) for as long as its context
//! exists, and the slot's Chrome is a shared resource of the run (`chrome-<chrome>-<i>`), started
//! by the first test that borrows the slot and stopped when the run is over. A context is made to
//! be disposed of when its DevTools connection closes, so a killed test's context goes with it;
//! a borrower still disposes of any context it finds, since it holds the slot alone. When every
//! slot is taken (more browsers at once than slots), a test starts a Chrome of its own.

use std::fs::File;
use std::path::Path;

use super::driver::{self, ChromeState};
use super::error::BrowserError;
use harness_core::{keeper, shared};

/// How many Chromes the run may lend: `HARNESS_BROWSER_POOL`, else this machine's parallelism
/// (nextest runs that many tests at once) plus one, at most 16; `0` gives every test a Chrome of
/// its own.
pub(crate) fn size() -> Result<usize, BrowserError> {
    let parallelism = std::thread::available_parallelism().map_or(1, |n| n.get());
    Ok(size_from(
        super::driver::settings()?.browser_pool,
        parallelism,
    ))
}

/// What `HARNESS_BROWSER_POOL` says, else the default.
fn size_from(value: Option<usize>, parallelism: usize) -> usize {
    value.unwrap_or((parallelism + 1).min(16))
}

/// A running Chrome of the run's, this process's alone while `slot` is held.
pub(crate) struct Lent {
    pub(crate) chrome: ChromeState,
    pub(crate) slot: File,
}

/// Borrow a free slot's Chrome (starting it if this is the slot's first test), or `None` when
/// every slot is taken.
pub(crate) async fn borrow(pool: &Path, program: &Path) -> Result<Option<Lent>, BrowserError> {
    let slots = size()?;
    if slots == 0 {
        return Ok(None);
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BrowserError::Shared(shared::SharedError::Io { path, source })
    };
    std::fs::create_dir_all(pool).map_err(io(pool))?;
    for i in 0..slots {
        let path = pool.join(format!("slot-{i}.lock"));
        let slot = keeper::open_lock(&path).map_err(io(&path))?;
        if slot.try_lock().is_err() {
            continue;
        }
        let key = format!("chrome-{:08x}-{i}", driver::path_hash(program));
        let chrome = shared::acquire(&key, |files| {
            driver::start_chrome(program.to_path_buf(), files)
        })
        .await?;
        return Ok(Some(Lent { chrome, slot }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pool_is_sized_by_the_machine_unless_told() {
        assert_eq!(size_from(None, 2), 3);
        assert_eq!(size_from(None, 64), 16);
        assert_eq!(size_from(Some(0), 2), 0);
        assert_eq!(size_from(Some(3), 2), 3);
    }
}
