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
//!
//! Firefoxes are lent the same way, since a Firefox's start costs about 2 s: slot `i` is
//! `<firefox-pool-<firefox>>/slot-<i>.lock`, in a directory whose keeper owns nothing else, and
//! its Firefox the shared resource `firefox-<firefox>-<i>`. Firefox has no contexts to hand out:
//! a test connects a geckodriver of its own to the Firefox's Marionette (one session at a time,
//! which a killed test's geckodriver, going with its keeper, gives back), then opens a fresh tab,
//! closes every other tab and window, and clears the whole profile's data (cookies, storage,
//! cache, permissions) before its first step (`session.rs`). A Firefox whose last borrower died
//! mid-session is started afresh instead: Marionette finishes the dead session's last command
//! before it takes another session, and that command may never end.

use std::fs::File;
use std::path::Path;

use super::driver;
use super::error::BrowserError;
use harness_core::keeper::ResourceFiles;
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

/// A running browser of the run's, this process's alone while `slot` is held.
pub(crate) struct Lent<S> {
    pub(crate) browser: S,
    pub(crate) slot: Slot,
}

/// A slot held: its lock file says "in use" until its borrower ends its session cleanly, so that
/// the next borrower knows when the last one died (or failed to end) mid-session.
#[derive(Debug)]
pub(crate) struct Slot(File);

impl Slot {
    /// Let the slot go; `clean`: its browser was left with no session of this test's.
    pub(crate) fn release(self, clean: bool) {
        if clean {
            let _ = self.0.set_len(0);
        }
    }
}

/// Borrow a free slot's browser (starting it through `start` if this is the slot's first test),
/// or `None` when every slot is taken. Slot `i`'s browser is the run's shared resource
/// `<key>-<i>`. With `restart_abandoned`, a browser whose last borrower did not end its session
/// is stopped and a fresh one started (a Firefox whose geckodriver was killed mid-command is left
/// waiting on that command: a page that never loads, say).
pub(crate) async fn borrow<S, F, Fut>(
    pool: &Path,
    key: &str,
    restart_abandoned: bool,
    start: F,
) -> Result<Option<Lent<S>>, BrowserError>
where
    S: serde::Serialize + serde::de::DeserializeOwned,
    F: Fn(ResourceFiles) -> Fut,
    Fut: std::future::Future<Output = Result<S, BrowserError>>,
{
    use std::io::Write as _;
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
        let mut slot = keeper::open_lock(&path).map_err(io(&path))?;
        if slot.try_lock().is_err() {
            continue;
        }
        let abandoned = slot.metadata().map_err(io(&path))?.len() > 0;
        slot.set_len(0)
            .and_then(|()| slot.write_all(b"in use"))
            .map_err(io(&path))?;
        let key = format!("{key}-{i}");
        if abandoned && restart_abandoned {
            shared::discard(&key).await?;
        }
        let browser = shared::acquire(&key, &start).await?;
        return Ok(Some(Lent {
            browser,
            slot: Slot(slot),
        }));
    }
    Ok(None)
}

/// The pool's key of the Chromes of `program`.
pub(crate) fn chrome_key(program: &Path) -> String {
    format!("chrome-{:08x}", driver::path_hash(program))
}

/// The pool's key of the Firefoxes of `program`.
pub(crate) fn firefox_key(program: &Path) -> String {
    format!("firefox-{:08x}", driver::path_hash(program))
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
