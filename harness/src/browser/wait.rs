//! Auto-waiting assertions in the spirit of Playwright's `expect(locator)`: poll the page until a
//! condition holds or a deadline passes, then say what was expected and what the page showed.

use std::fmt;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;

use super::error::WaitError;
use super::session::Browser;

/// How long an assertion waits unless told otherwise ([`Expect::within`]).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The first poll comes at once; later ones back off to this interval.
const MAX_INTERVAL: Duration = Duration::from_millis(100);

/// Everything the assertions look at, read in one round trip.
const SNAPSHOT: &str = "const all = document.querySelectorAll(arguments[0]); \
    const el = all[0]; \
    if (!el) return {count: 0, url: location.href}; \
    const rect = el.getBoundingClientRect(); \
    const style = getComputedStyle(el); \
    return { \
      count: all.length, url: location.href, \
      visible: rect.width > 0 && rect.height > 0 && style.visibility !== 'hidden', \
      enabled: !el.disabled, \
      text: el.innerText === undefined ? el.textContent : el.innerText, \
      classes: typeof el.className === 'string' ? el.className : '', \
    };";

/// What the page showed for a selector at one poll.
#[derive(Debug, Default, Deserialize)]
struct Snapshot {
    count: usize,
    #[serde(default)]
    url: String,
    #[serde(default)]
    visible: bool,
    #[serde(default)]
    enabled: bool,
    #[serde(default)]
    text: String,
    #[serde(default)]
    classes: String,
}

impl Snapshot {
    fn has_class(&self, class: &str) -> bool {
        self.classes.split_whitespace().any(|c| c == class)
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.count == 0 {
            return write!(f, "no element matches");
        }
        let mut text: String = self.text.chars().take(300).collect();
        if text.len() < self.text.len() {
            text.push('…');
        }
        write!(
            f,
            "{} match{}; the first is {}, {}, class {:?}, text {:?}",
            self.count,
            if self.count == 1 { "" } else { "es" },
            if self.visible { "visible" } else { "hidden" },
            if self.enabled { "enabled" } else { "disabled" },
            self.classes,
            text
        )
    }
}

/// Assertions on the elements matching one CSS selector; from [`Browser::expect`].
#[derive(Debug)]
#[must_use = "an assertion does nothing until awaited"]
pub struct Expect<'a> {
    browser: &'a Browser,
    selector: String,
    timeout: Duration,
}

impl<'a> Expect<'a> {
    pub(crate) fn new(browser: &'a Browser, selector: &str) -> Expect<'a> {
        Expect {
            browser,
            selector: selector.to_owned(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Wait up to `timeout` instead of [`DEFAULT_TIMEOUT`].
    pub fn within(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The first match is visible (has a size and is not `visibility: hidden`).
    pub async fn to_be_visible(self) -> Result<(), WaitError> {
        self.until("be visible", |s| s.count > 0 && s.visible)
            .await
            .map(drop)
    }

    /// The first match's visible text contains `text`; returns its whole text.
    pub async fn to_contain_text(self, text: &str) -> Result<String, WaitError> {
        self.until(&format!("contain the text {text:?}"), |s| {
            s.count > 0 && s.text.contains(text)
        })
        .await
        .map(|s| s.text)
    }

    /// Exactly `n` elements match.
    pub async fn to_have_count(self, n: usize) -> Result<(), WaitError> {
        self.until(&format!("match exactly {n} element(s)"), |s| s.count == n)
            .await
            .map(drop)
    }

    /// The first match exists and is not disabled.
    pub async fn to_be_enabled(self) -> Result<(), WaitError> {
        self.until("be enabled", |s| s.count > 0 && s.enabled)
            .await
            .map(drop)
    }

    /// The first match exists and is disabled.
    pub async fn to_be_disabled(self) -> Result<(), WaitError> {
        self.until("be disabled", |s| s.count > 0 && !s.enabled)
            .await
            .map(drop)
    }

    /// The first match has the CSS class `class`.
    pub async fn to_have_class(self, class: &str) -> Result<(), WaitError> {
        self.until(&format!("have the class {class:?}"), |s| {
            s.count > 0 && s.has_class(class)
        })
        .await
        .map(drop)
    }

    /// Visible and enabled: what a click or a fill waits for.
    pub(crate) async fn until_actionable(self) -> Result<(), WaitError> {
        self.until("be visible and enabled", |s| {
            s.count > 0 && s.visible && s.enabled
        })
        .await
        .map(drop)
    }

    async fn snapshot(&self) -> Result<Snapshot, Unreadable> {
        let value = self
            .browser
            .client()
            .execute(SNAPSHOT, vec![json!(self.selector)])
            .await
            .map_err(|e| match session_lost(&e) {
                Some(why) => Unreadable::SessionGone(format!("{why}: {e}")),
                None => Unreadable::ForNow(format!("the page could not be read: {e}")),
            })?;
        serde_json::from_value(value)
            .map_err(|e| Unreadable::ForNow(format!("unexpected snapshot: {e}")))
    }

    async fn until(
        self,
        expected: &str,
        holds: impl Fn(&Snapshot) -> bool,
    ) -> Result<Snapshot, WaitError> {
        let started = Instant::now();
        let mut interval = Duration::from_millis(10);
        let mut url = String::new();
        loop {
            // A read can fail while the page navigates; that is one more thing to wait out.
            let last_seen = match self.snapshot().await {
                Ok(snapshot) if holds(&snapshot) => return Ok(snapshot),
                Ok(snapshot) => {
                    url.clone_from(&snapshot.url);
                    snapshot.to_string()
                }
                Err(Unreadable::ForNow(e)) => e,
                // Nothing will come back: waiting out the deadline would only hide the cause.
                Err(Unreadable::SessionGone(reason)) => {
                    return Err(WaitError::SessionGone {
                        selector: self.selector,
                        expected: expected.to_owned(),
                        driver_url: self.browser.webdriver_url().to_owned(),
                        reason,
                        waited: started.elapsed(),
                    });
                }
            };
            if started.elapsed() + interval > self.timeout {
                return Err(WaitError::Timeout {
                    selector: self.selector,
                    expected: expected.to_owned(),
                    last_seen,
                    waited: started.elapsed(),
                    url: if url.is_empty() {
                        "unknown".into()
                    } else {
                        url
                    },
                });
            }
            tokio::time::sleep(interval).await;
            interval = (interval * 2).min(MAX_INTERVAL);
        }
    }
}

/// Why one poll could not read the page.
enum Unreadable {
    /// Worth another poll (the page is navigating, say).
    ForNow(String),
    /// The session, its browser or its WebDriver server is gone.
    SessionGone(String),
}

/// Whether a WebDriver error means the session cannot answer again, and why in words.
pub(crate) fn session_lost(error: &fantoccini::error::CmdError) -> Option<&'static str> {
    use fantoccini::error::CmdError;
    match error {
        // The HTTP request itself failed: nothing listens where the WebDriver server was.
        CmdError::Failed(_) | CmdError::FailedC(_) | CmdError::Lost(_) => {
            Some("the WebDriver server (chromedriver) cannot be reached; did it die?")
        }
        CmdError::Standard(e)
            if [
                "chrome not reachable",
                "disconnected",
                "browser has closed",
                "session deleted",
            ]
            .iter()
            .any(|m| e.message.contains(m)) =>
        {
            Some("the browser cannot be reached; did it crash or get killed?")
        }
        CmdError::Standard(_) if error.is_invalid_session_id() => {
            Some("the WebDriver server no longer knows the session")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use fantoccini::error::{CmdError, ErrorStatus, WebDriver};

    use super::*;

    fn snapshot(count: usize, text: &str, classes: &str) -> Snapshot {
        Snapshot {
            count,
            url: "http://127.0.0.1:1/".into(),
            visible: true,
            enabled: false,
            text: text.into(),
            classes: classes.into(),
        }
    }

    #[test]
    fn a_snapshot_says_what_the_page_showed_in_a_line() {
        assert_eq!(snapshot(0, "", "").to_string(), "no element matches");
        assert_eq!(
            snapshot(1, "Upload", "btn primary").to_string(),
            "1 match; the first is visible, disabled, class \"btn primary\", text \"Upload\""
        );
        let long = "x".repeat(400);
        let shown = snapshot(3, &long, "").to_string();
        assert!(shown.starts_with("3 matches;"), "{shown}");
        assert!(
            shown.ends_with(&format!("{}…\"", "x".repeat(300))),
            "{shown}"
        );
    }

    #[test]
    fn classes_are_matched_whole() {
        let s = snapshot(1, "", "btn btn-primary");
        assert!(s.has_class("btn") && s.has_class("btn-primary"));
        assert!(!s.has_class("primary") && !s.has_class("btn primary"));
    }

    #[test]
    fn a_lost_session_is_told_from_a_page_that_is_busy() {
        let standard =
            |status, message: &'static str| CmdError::Standard(WebDriver::new(status, message));
        let transport = CmdError::Lost(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(session_lost(&transport).is_some_and(|why| why.contains("did it die?")));
        let crashed = standard(ErrorStatus::UnknownError, "chrome not reachable");
        assert!(session_lost(&crashed).is_some_and(|why| why.contains("crash")));
        let forgotten = standard(ErrorStatus::InvalidSessionId, "invalid session id");
        assert!(session_lost(&forgotten).is_some_and(|why| why.contains("no longer knows")));
        let busy = standard(
            ErrorStatus::JavascriptError,
            "document unloaded while waiting",
        );
        assert_eq!(session_lost(&busy), None);
        assert_eq!(session_lost(&CmdError::NotJson("<html>".into())), None);
    }
}
