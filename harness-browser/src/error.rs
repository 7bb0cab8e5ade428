//! One error type per operation: starting a browser, waiting on the page, acting on it.

use std::time::Duration;

use harness_core::error::PortError;
use harness_core::error::SharedError;

/// Why no browser session could be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrowserError {
    /// No WebDriver server binary (chromedriver, geckodriver) was found.
    #[error("no {driver} found; looked in {looked} (hint: {hint})")]
    NoDriver {
        /// Which.
        driver: &'static str,
        /// Where it was looked for.
        looked: String,
        /// How to install one here.
        hint: String,
    },
    /// No browser binary (Chrome or Chromium, Firefox) was found.
    #[error("no {browser} found; looked in {looked} (hint: {hint})")]
    NoBrowser {
        /// Which.
        browser: &'static str,
        /// Where it was looked for.
        looked: String,
        /// How to install one here.
        hint: String,
    },
    /// chromedriver only drives the browser of its own major version; geckodriver, Firefox
    /// versions from its minimum on.
    #[error(
        "{driver} cannot drive {browser}: {why} (hint: install the driver that supports this browser version, and point {variable} at it)"
    )]
    VersionMismatch {
        /// What does not fit, in words.
        why: String,
        /// chromedriver's version.
        driver: String,
        /// The browser's name and version.
        browser: String,
        /// The variable that selects a chromedriver.
        variable: &'static str,
    },
    /// chromedriver or the browser started but did not become ready.
    #[error("{program} did not come up: {reason}\n--- its log ({log_path}) ---\n{log}")]
    NotReady {
        /// The program.
        program: String,
        /// What was seen (probe result, exit).
        reason: String,
        /// Where its whole log is (removed when the run ends).
        log_path: String,
        /// The end of its log.
        log: String,
    },
    /// The keeper owning chromedriver or the browser could not be started.
    #[error("cannot start the keeper of {what}")]
    Keeper {
        /// What it was to own.
        what: String,
        /// Why it failed.
        #[source]
        source: harness_core::keeper::KeeperError,
    },
    /// The run's shared files could not be used.
    #[error(transparent)]
    Shared(#[from] SharedError),
    /// No port for chromedriver.
    #[error(transparent)]
    Port(#[from] PortError),
    /// The WebDriver server refused or failed to create a session.
    #[error("the WebDriver server at {url} did not create a session")]
    Session {
        /// The server.
        url: String,
        /// What it answered.
        #[source]
        source: fantoccini::error::NewSessionError,
    },
    /// A command of the new session failed while setting it up.
    #[error("cannot set up the new browser session: {what}")]
    Setup {
        /// The step that failed.
        what: String,
        /// The WebDriver error.
        #[source]
        source: fantoccini::error::CmdError,
    },
    /// The browser's DevTools endpoint failed (creating the test's isolated context).
    #[error("the browser's DevTools endpoint {endpoint} failed to {what}: {reason}")]
    DevTools {
        /// The WebSocket or HTTP endpoint.
        endpoint: String,
        /// The step.
        what: String,
        /// The error.
        reason: String,
    },
    /// A lent Firefox could not be cleared of the last test's tabs and data.
    #[error(
        "cannot clear the lent Firefox for this test through geckodriver at {url}: {reason} \
         (hint: HARNESS_BROWSER_POOL=0 gives each Firefox test a fresh Firefox of its own)"
    )]
    LentFirefox {
        /// The test's geckodriver.
        url: String,
        /// What failed.
        reason: String,
    },
    /// `HARNESS_BROWSER=skip`, and the test needs a browser: it must fail rather than pass.
    #[error(
        "{variable}=skip, and this test needs a browser (hint: a run without a browser leaves \
         browser tests out by their names, and nextest then lists them as skipped: \
         `cargo nextest run -E 'not test(/(^|::)(e2e|browser)::/)'`; see the harness README's \
         \"Skipping browser tests\")"
    )]
    Skipped {
        /// The variable.
        variable: &'static str,
    },
    /// A `HARNESS_*` variable holds a value it does not accept.
    #[error(transparent)]
    Settings(#[from] harness_core::error::SettingsError),
    /// Variables whose values do not go together.
    #[error("{variable}={value} is not understood (expected {expected})")]
    Config {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
        /// What it may be.
        expected: &'static str,
    },
}

/// A condition on the page that did not hold within its deadline.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// The deadline passed.
    #[error(
        "waited {waited:.2?} for {locator} {expected}; the page showed last: {last_seen} (page {url})"
    )]
    Timeout {
        /// The locator, in words (`css "#save"`, `role button named "Save"`).
        locator: String,
        /// What was expected, in words (`to be visible`, `not to have the class "busy"`).
        expected: String,
        /// What the page showed at the last poll.
        last_seen: String,
        /// How long it was polled.
        waited: Duration,
        /// The page's URL at the end.
        url: String,
    },
    /// The deadline passed on a value of the test's own ([`Browser::poll`](crate::Browser::poll),
    /// [`Browser::to_pass`](crate::Browser::to_pass)).
    #[error("waited {waited:.2?} for {what} {expected}; the last try gave: {last}")]
    NotMet {
        /// What was polled, as the test named it.
        what: String,
        /// What was expected, in words (`to equal 3`, `to pass`).
        expected: String,
        /// What the last try gave: the value, or the error.
        last: String,
        /// How long it was polled.
        waited: Duration,
    },
    /// A visual comparison could not be made, or its baseline is missing:
    /// [`to_have_screenshot`](crate::Expect::to_have_screenshot).
    #[error("the screenshot {name:?} (baseline {}): {problem}", baseline.display())]
    Snapshot {
        /// The screenshot's name, as the test gave it.
        name: String,
        /// Where its baseline is (or goes).
        baseline: std::path::PathBuf,
        /// What went wrong, and what to do.
        problem: String,
    },
    /// An ARIA snapshot template that cannot be read:
    /// [`to_match_aria_snapshot`](crate::Expect::to_match_aria_snapshot).
    #[error("the ARIA snapshot template's line {line} ({text:?}): {problem}")]
    AriaTemplate {
        /// The line, from 1.
        line: usize,
        /// Its text.
        text: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The session ended under the wait: its browser or its WebDriver server is gone.
    #[error(
        "the browser session is gone after {waited:.2?} of waiting for {locator} {expected}: {reason} (WebDriver server {driver_url})"
    )]
    SessionGone {
        /// The locator, in words.
        locator: String,
        /// What was expected, in words.
        expected: String,
        /// The WebDriver server the session was on.
        driver_url: String,
        /// What failed, with the WebDriver error.
        reason: String,
        /// How long it was polled before that.
        waited: Duration,
    },
}

/// A browser action (navigate, click, type, read) that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// The WebDriver command failed.
    #[error("cannot {action}")]
    Command {
        /// The action, e.g. "click `#upload`".
        action: String,
        /// The WebDriver error.
        #[source]
        source: fantoccini::error::CmdError,
    },
    /// The WebDriver command failed because the session, its browser or its WebDriver server is
    /// gone.
    #[error("cannot {action}: the browser session is gone: {reason}")]
    SessionGone {
        /// The action, e.g. "click `#upload`".
        action: String,
        /// Why the session is taken to be gone.
        reason: &'static str,
        /// The WebDriver error.
        #[source]
        source: Box<fantoccini::error::CmdError>,
    },
    /// The element never became ready for the action.
    #[error(transparent)]
    Wait(#[from] WaitError),
    /// An action's locator matches several elements: which one was meant is for the test to say
    /// (`.first()`, `.nth(i)`, a narrower locator), as Playwright's strict mode has it.
    #[error(
        "{locator} matches {count} elements, and an action needs one (say which with .first(), .nth(i) or a narrower locator): {}{}",
        .matches.join(", "),
        if *.count > .matches.len() { ", …" } else { "" }
    )]
    Ambiguous {
        /// The locator, in words.
        locator: String,
        /// How many elements it matched.
        count: usize,
        /// The first of them, in words.
        matches: Vec<String>,
    },
    /// The element matched a moment before, and then no longer (the page re-rendered it away).
    #[error("{locator} matched, then no longer: the page removed or replaced the element")]
    Detached {
        /// The locator, in words.
        locator: String,
    },
    /// The action cannot be done to this element or with these arguments.
    #[error("cannot {action}: {reason}")]
    Refused {
        /// The action, e.g. `select "b" in css "#kind"`.
        action: String,
        /// Why, in words.
        reason: String,
    },
    /// Artifacts could not be written.
    #[error("cannot write {path}")]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
