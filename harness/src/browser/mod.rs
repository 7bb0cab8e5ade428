//! Browser tests: a WebDriver server shared by the run's test processes, one isolated headless
//! browser session per test, auto-waiting assertions, and artifacts saved when a test fails.
//!
//! By default the harness starts chromedriver once per run (owned by a keeper, like the Postgres
//! server) and every test gets a fresh headless Chrome with a fresh profile from it.
//! `HARNESS_WEBDRIVER_URL` uses a remote WebDriver instead (a fresh session per test).
//!
//! `HARNESS_BROWSER_REUSE=1` starts one headless Chrome per run instead and gives every test a
//! browser context of its own in it (its own cookies, storage, cache and tab): about twice as fast
//! per test. Its limitation: chromedriver attaches each new session to an existing tab, and waits
//! for that tab's pending navigation; a page that never finishes loading in one test can hold up
//! the start of other tests' sessions until that test ends.

mod actions;
mod artifacts;
pub mod coverage;
mod devtools;
mod driver;
mod error;
pub(crate) mod locate;
mod locator;
mod profiler;
mod report;
mod session;
mod wait;

pub use actions::Cookie;
pub use artifacts::root as artifacts_root;
pub(crate) use artifacts::test_dir;
pub use error::{ActionError, BrowserError, WaitError};
pub use locator::Locator;
pub(crate) use session::Leftover;
pub use session::{Browser, ConsoleEntry, WINDOW_SIZE, warm_up};
pub use wait::{DEFAULT_TIMEOUT, ElementState, Expect, PageExpect};
