//! Browser tests: a WebDriver server shared by the run's test processes, one isolated headless
//! browser session per test, auto-waiting assertions, and artifacts saved when a test fails.
//!
//! By default the harness starts chromedriver once per run (owned by a keeper, like the Postgres
//! server), keeps the run's headless Chromes running, and lends each to one test at a time: the
//! test gets a fresh browser context in it (its own cookies, storage, cache and tab), disposed of
//! when the test ends or dies (`pool.rs`). A test that finds every Chrome lent, or any test with
//! `HARNESS_BROWSER_POOL=0`, gets a fresh Chrome with a fresh profile of its own.
//! `HARNESS_WEBDRIVER_URL` uses a remote WebDriver instead (a fresh session per test).
//!
//! `HARNESS_BROWSER_REUSE=1` starts one headless Chrome per run instead and gives every test at
//! once a context in it. Its limitation: chromedriver, attaching a new session to a browser, waits
//! for its tabs' pending navigations; a page that never finishes loading in one test can hold up
//! the start of other tests' sessions until that test ends. A lent Chrome has no other test's tab.
//!
//! In a browser of the run's (lent or shared), the harness's own scripts (every read and wait, an
//! action's preparation) go over a socket of its own to the test's tab, Chrome's DevTools or
//! Firefox's WebDriver BiDi, as Playwright's do; so do a pressed key, and on Chrome a fill's text
//! and clicks (trusted input events; a click's point found and hit-tested at the page's next
//! frame). A fill on Firefox is the editor's own insertion, in the read that finds the field
//! actionable. WebDriver does the rest: navigation, a test's own [`Browser::execute`], actions
//! on elements it found. So the harness's reads see the tab's top document, as WebDriver's do
//! until a test switches frames through [`Browser::client`]: a test that does reads its frame
//! through the client too.

#![warn(missing_docs)]

mod actions;
mod aria;
mod artifacts;
mod devtools;
#[doc(hidden)]
pub mod doctor;
mod driver;
mod error;
pub(crate) mod locate;
mod locator;
mod pool;
mod profiler;

/// JavaScript coverage of the page's own scripts (`HARNESS_JS_COVERAGE`): the raw files the
/// sessions write and their merging into lcov (the crate e2e-harness-js-coverage).
pub use harness_js_coverage as coverage;
mod report;
mod session;
mod visual;
mod wait;

pub use actions::Cookie;
pub use error::{ActionError, BrowserError, WaitError};
pub use harness_core::artifacts::root as artifacts_root;
pub use locator::{Locator, ends_with};
pub use session::{Browser, ConsoleEntry, TestContextExt, WINDOW_SIZE, warm_up};
pub use visual::ToHaveScreenshot;
pub use wait::{DEFAULT_TIMEOUT, ElementState, Expect, PageExpect, Pattern, Poll};

/// The pattern type of [`Expect::to_match_text`] (the regex crate's), so that a test needs no
/// dependency of its own for it.
pub use regex::Regex;

#[cfg(test)]
mod tests {
    #[test]
    fn the_coverage_crate_reads_the_variable_the_harness_documents() {
        assert_eq!(
            harness_core::env::JS_COVERAGE,
            harness_js_coverage::JS_COVERAGE
        );
    }
}
