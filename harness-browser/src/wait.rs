//! Auto-waiting assertions in the spirit of Playwright's `expect(locator)`: poll the page until a
//! condition holds or a deadline passes, then say what was expected and what the page showed.

use std::fmt;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

use super::error::WaitError;
use super::locator::Locator;
use super::session::Browser;

/// How long an assertion (or an action's wait for its element) waits unless told otherwise: set
/// per run with `HARNESS_EXPECT_TIMEOUT` (`5s`, `500ms`), per browser with
/// [`Browser::set_default_timeout`], per call with [`Expect::within`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The first poll comes at once; later ones back off to this interval.
const MAX_INTERVAL: Duration = Duration::from_millis(100);

/// Everything the assertions look at, read in one round trip: `arguments[0]` is the locator,
/// `arguments[1]` an attribute to read (or null).
fn snapshot_script() -> &'static str {
    static SCRIPT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SCRIPT.get_or_init(|| {
        format!(
            "{}\nconst all = harnessResolve(arguments[0]); const el = all[0]; \
         const page = {{url: location.href, title: document.title}}; \
         if (!el) return Object.assign({{count: 0}}, page); \
         const rect = el.getBoundingClientRect(); const style = getComputedStyle(el); \
         return Object.assign(page, {{ \
           count: all.length, \
           texts: all.slice(0, 1000).map((e) => e.innerText === undefined ? e.textContent : e.innerText), \
           matches: all.length < 2 ? [] : all.slice(0, 5).map((e) => e.tagName.toLowerCase() \
             + (e.id ? '#' + e.id : '') \
             + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '') \
             + ' ' + JSON.stringify((e.innerText === undefined ? e.textContent : e.innerText || '').replace(/\\s+/g, ' ').trim().slice(0, 40))), \
           visible: rect.width > 0 && rect.height > 0 && style.visibility !== 'hidden', \
           enabled: !el.disabled, \
           focused: el === document.activeElement, \
           editable: !el.disabled && !el.readOnly && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)), \
           id: el.id || '', \
           text: el.innerText === undefined ? el.textContent : el.innerText, \
           classes: typeof el.className === 'string' ? el.className : '', \
           value: 'value' in el && typeof el.value === 'string' ? el.value : null, \
           checked: 'checked' in el ? !!el.checked : el.getAttribute('aria-checked') === 'true', \
           attribute: arguments[1] === null ? null : el.getAttribute(arguments[1]), \
         }});",
            super::locator::RESOLVER
        )
    })
}

/// What the page showed for a locator at one poll: the state of its first match. A custom
/// condition ([`Expect::to_satisfy`]) is a predicate on it.
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct ElementState {
    /// How many elements match.
    pub count: usize,
    /// The page's URL.
    #[serde(default)]
    pub url: String,
    /// The page's title.
    #[serde(default)]
    pub title: String,
    /// Whether the first match has a size and is not `visibility: hidden`.
    #[serde(default)]
    pub visible: bool,
    /// Whether it is not disabled.
    #[serde(default)]
    pub enabled: bool,
    /// Whether it has the focus.
    #[serde(default)]
    pub focused: bool,
    /// Whether it takes input: a form control neither disabled nor read-only, or contenteditable.
    #[serde(default)]
    pub editable: bool,
    /// Its `id`.
    #[serde(default)]
    pub id: String,
    /// Its visible text (`innerText`).
    #[serde(default)]
    pub text: String,
    /// Every match's visible text, in document order (the first 1000).
    #[serde(default)]
    pub texts: Vec<String>,
    /// When several elements match, the first five in words (`li.todo "buy cheese"`).
    #[serde(default)]
    pub matches: Vec<String>,
    /// Its `class` attribute.
    #[serde(default)]
    pub classes: String,
    /// The value of a form control (`None` for other elements).
    #[serde(default)]
    pub value: Option<String>,
    /// Whether a checkbox or radio is checked (or `aria-checked="true"`).
    #[serde(default)]
    pub checked: bool,
    /// The attribute an assertion asked for, if the element has it.
    #[serde(default)]
    pub attribute: Option<String>,
}

impl ElementState {
    /// Whether the first match has the CSS class `class` (whole class names only).
    pub fn has_class(&self, class: &str) -> bool {
        self.classes.split_whitespace().any(|c| c == class)
    }

    /// Every match's text, each trimmed, as a list assertion compares them.
    fn trimmed_texts(&self) -> Vec<&str> {
        self.texts.iter().map(|t| t.trim()).collect()
    }
}

fn words(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

fn shortened(text: &str) -> String {
    let mut short: String = text.chars().take(300).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

impl fmt::Display for ElementState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.count == 0 {
            return write!(f, "no element matches");
        }
        write!(
            f,
            "{} match{}; the first is {}, {}, class {:?}, text {:?}",
            self.count,
            if self.count == 1 { "" } else { "es" },
            if self.visible { "visible" } else { "hidden" },
            if self.enabled { "enabled" } else { "disabled" },
            self.classes,
            shortened(&self.text)
        )?;
        if let Some(value) = &self.value {
            write!(f, ", value {:?}", shortened(value))?;
        }
        if self.checked {
            write!(f, ", checked")?;
        }
        if self.focused {
            write!(f, ", focused")?;
        }
        if !self.id.is_empty() {
            write!(f, ", id {:?}", self.id)?;
        }
        if let Some(attribute) = &self.attribute {
            write!(f, ", the attribute is {attribute:?}")?;
        }
        if self.count > 1 && !self.texts.is_empty() {
            let texts: Vec<String> = self.trimmed_texts().iter().map(|t| shortened(t)).collect();
            write!(f, "; the texts of all: {texts:?}")?;
        }
        Ok(())
    }
}

/// Assertions on the elements a [`Locator`] matches; from [`Browser::expect`].
#[derive(Debug)]
#[must_use = "an assertion does nothing until awaited"]
pub struct Expect<'a> {
    browser: &'a Browser,
    locator: Locator,
    timeout: Duration,
    negated: bool,
    /// Whether this wait is a step of its own in the test's report (an action's wait is not).
    step: bool,
}

impl<'a> Expect<'a> {
    pub(crate) fn new(browser: &'a Browser, locator: Locator, timeout: Duration) -> Expect<'a> {
        Expect {
            browser,
            locator,
            timeout,
            negated: false,
            step: true,
        }
    }

    /// Wait up to `timeout` instead of the default ([`DEFAULT_TIMEOUT`], or what the run or the
    /// browser set).
    pub fn within(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Wait for the opposite of the assertion that follows: `expect(x).not().to_be_visible()`
    /// waits until `x` is hidden or gone.
    #[allow(clippy::should_implement_trait)]
    pub fn not(mut self) -> Self {
        self.negated = !self.negated;
        self
    }

    /// The first match is visible (has a size and is not `visibility: hidden`).
    pub async fn to_be_visible(self) -> Result<(), WaitError> {
        self.until("be visible", |s| s.count > 0 && s.visible)
            .await
            .map(drop)
    }

    /// Nothing matches, or the first match is not visible.
    pub async fn to_be_hidden(self) -> Result<(), WaitError> {
        self.until("be hidden", |s| s.count == 0 || !s.visible)
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

    /// The first match's visible text is `text`, leading and trailing whitespace aside.
    pub async fn to_have_text(self, text: &str) -> Result<(), WaitError> {
        self.until(&format!("have the text {text:?}"), |s| {
            s.count > 0 && s.text.trim() == text.trim()
        })
        .await
        .map(drop)
    }

    /// Exactly `n` elements match.
    pub async fn to_have_count(self, n: usize) -> Result<(), WaitError> {
        self.until(&format!("match exactly {n} element(s)"), |s| s.count == n)
            .await
            .map(drop)
    }

    /// Something matches (visible or not): Playwright's `toBeAttached`.
    pub async fn to_be_attached(self) -> Result<(), WaitError> {
        self.until("be attached", |s| s.count > 0).await.map(drop)
    }

    /// The first match has the focus.
    pub async fn to_be_focused(self) -> Result<(), WaitError> {
        self.until("be focused", |s| s.count > 0 && s.focused)
            .await
            .map(drop)
    }

    /// The first match takes input: a form control neither disabled nor read-only, or a
    /// contenteditable element.
    pub async fn to_be_editable(self) -> Result<(), WaitError> {
        self.until("be editable", |s| s.count > 0 && s.editable)
            .await
            .map(drop)
    }

    /// The first match is empty: a form control without a value, or an element without text.
    pub async fn to_be_empty(self) -> Result<(), WaitError> {
        self.until("be empty", |s| {
            s.count > 0
                && match &s.value {
                    Some(value) => value.is_empty(),
                    None => s.text.trim().is_empty(),
                }
        })
        .await
        .map(drop)
    }

    /// The first match's `id` is `id`.
    pub async fn to_have_id(self, id: &str) -> Result<(), WaitError> {
        self.until(&format!("have the id {id:?}"), |s| {
            s.count > 0 && s.id == id
        })
        .await
        .map(drop)
    }

    /// The first match's visible text matches the regular expression `pattern` (Playwright's
    /// `toHaveText(/…/)`; Rust's regex syntax). Returns the text.
    pub async fn to_match_text(self, pattern: &regex::Regex) -> Result<String, WaitError> {
        self.until(&format!("have a text matching /{pattern}/"), |s| {
            s.count > 0 && pattern.is_match(&s.text)
        })
        .await
        .map(|s| s.text)
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

    /// The first match is a checked checkbox or radio (or has `aria-checked="true"`).
    pub async fn to_be_checked(self) -> Result<(), WaitError> {
        self.until("be checked", |s| s.count > 0 && s.checked)
            .await
            .map(drop)
    }

    /// The first match's `class` attribute is `classes`, whole (the same names in the same order,
    /// whitespace aside), as Playwright's `toHaveClass` with a string: `"completed"` does not match
    /// `class="completed editing"`; [`to_contain_class`](Self::to_contain_class) does.
    pub async fn to_have_class(self, classes: &str) -> Result<(), WaitError> {
        self.until(&format!("have the class attribute {classes:?}"), |s| {
            s.count > 0 && words(&s.classes) == words(classes)
        })
        .await
        .map(drop)
    }

    /// The first match has every class of `classes` (`"completed"`, or `"todo completed"`), among
    /// others, as Playwright's `toContainClass`.
    pub async fn to_contain_class(self, classes: &str) -> Result<(), WaitError> {
        self.until(&format!("have the class(es) {classes:?}"), |s| {
            s.count > 0 && words(classes).iter().all(|class| s.has_class(class))
        })
        .await
        .map(drop)
    }

    /// Every match, in order, has the text of `texts` at its place (leading and trailing
    /// whitespace aside), and there are as many matches as texts: Playwright's `toHaveText` with a
    /// list. Checked at once, and a failure shows the whole list the page had.
    pub async fn to_have_texts(self, texts: &[&str]) -> Result<(), WaitError> {
        let wanted: Vec<&str> = texts.iter().map(|t| t.trim()).collect();
        self.until(&format!("have the texts {wanted:?}"), |s| {
            s.trimmed_texts() == wanted
        })
        .await
        .map(drop)
    }

    /// The first match is a form control (input, textarea, select) whose value is `value`.
    pub async fn to_have_value(self, value: &str) -> Result<(), WaitError> {
        self.until(&format!("have the value {value:?}"), |s| {
            s.count > 0 && s.value.as_deref() == Some(value)
        })
        .await
        .map(drop)
    }

    /// The first match has the attribute `name` with the value `value`.
    pub async fn to_have_attribute(self, name: &str, value: &str) -> Result<(), WaitError> {
        let name = name.to_owned();
        self.until_reading(
            Some(&name),
            &format!("have the attribute {name}={value:?}"),
            |s| s.count > 0 && s.attribute.as_deref() == Some(value),
        )
        .await
        .map(drop)
    }

    /// A condition of your own on the first match's state, `expected` saying it in words for the
    /// failure message; returns the state that satisfied it.
    ///
    /// ```no_run
    /// # mod harness { pub use harness_browser as browser; } // the examples are written as users see them
    /// # async fn t(browser: &harness::browser::Browser) -> Result<(), harness::browser::WaitError> {
    /// browser
    ///     .expect("#traces li")
    ///     .to_satisfy("list at least 3 traces", |s| s.count >= 3)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn to_satisfy(
        self,
        expected: &str,
        holds: impl Fn(&ElementState) -> bool,
    ) -> Result<ElementState, WaitError> {
        self.until(expected, holds).await
    }

    /// Visible and enabled: what a click or a fill waits for. The state that held (its `count`
    /// says whether the action's locator is ambiguous).
    pub(crate) async fn until_actionable(mut self) -> Result<ElementState, WaitError> {
        self.step = false;
        self.until("be visible and enabled", |s| {
            s.count > 0 && s.visible && s.enabled
        })
        .await
    }

    /// Visible, without a step of its own: what a hover or a text read waits for.
    pub(crate) async fn until_visible(mut self) -> Result<ElementState, WaitError> {
        self.step = false;
        self.until("be visible", |s| s.count > 0 && s.visible).await
    }

    /// That the locator matches anything, the state that held: what an action on an element that
    /// need not be visible waits for.
    pub(crate) async fn until_attached_state(mut self) -> Result<ElementState, WaitError> {
        self.step = false;
        self.until("exist", |s| s.count > 0).await
    }

    /// That the locator matches anything: what a read waits for.
    pub(crate) async fn until_attached(mut self) -> Result<(), WaitError> {
        self.step = false;
        self.until("exist", |s| s.count > 0).await.map(drop)
    }

    async fn snapshot(&self, attribute: Option<&str>) -> Result<ElementState, Unreadable> {
        let value = self
            .browser
            .client()
            .execute(
                snapshot_script(),
                vec![json!(self.locator), json!(attribute)],
            )
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
        holds: impl Fn(&ElementState) -> bool,
    ) -> Result<ElementState, WaitError> {
        self.until_reading(None, expected, holds).await
    }

    async fn until_reading(
        self,
        attribute: Option<&str>,
        expected: &str,
        holds: impl Fn(&ElementState) -> bool,
    ) -> Result<ElementState, WaitError> {
        let expected = if self.negated {
            format!("not to {expected}")
        } else {
            format!("to {expected}")
        };
        let negated = self.negated;
        let started = Instant::now();
        let outcome = poll(self.timeout, || async {
            self.snapshot(attribute)
                .await
                .map(|s| (holds(&s) != negated, s))
        })
        .await;
        let result =
            outcome.map_err(|failure| failure.into_error(&self.locator, &expected, self.browser));
        if self.step {
            self.browser
                .record_step(
                    format!("expect {} {expected}", self.locator),
                    started,
                    result.as_ref().map(drop).map_err(|e| e.to_string()),
                    false,
                )
                .await;
        }
        result
    }
}

/// Assertions on the page as a whole; from [`Browser::expect_page`].
#[derive(Debug)]
#[must_use = "an assertion does nothing until awaited"]
pub struct PageExpect<'a> {
    inner: Expect<'a>,
}

impl<'a> PageExpect<'a> {
    pub(crate) fn new(browser: &'a Browser, timeout: Duration) -> PageExpect<'a> {
        // Any locator will do: the page's URL and title come with every snapshot.
        PageExpect {
            inner: Expect::new(browser, Locator::css("html"), timeout),
        }
    }

    /// Wait up to `timeout` instead of the default.
    pub fn within(mut self, timeout: Duration) -> Self {
        self.inner = self.inner.within(timeout);
        self
    }

    /// Wait for the opposite of the assertion that follows.
    #[allow(clippy::should_implement_trait)]
    pub fn not(mut self) -> Self {
        self.inner = self.inner.not();
        self
    }

    /// The page's URL is `url`, waiting for a navigation to get there: a full URL, or one that
    /// starts with `/` for the path (and the query, if `url` has one) on any origin.
    pub async fn to_have_url(self, url: &str) -> Result<String, WaitError> {
        let wanted = url.to_owned();
        self.inner
            .until(&format!("have the URL {url:?}"), |s| {
                url_is(&s.url, &wanted)
            })
            .await
            .map(|s| s.url)
    }

    /// The page's title is `title`.
    pub async fn to_have_title(self, title: &str) -> Result<(), WaitError> {
        self.inner
            .until(&format!("have the title {title:?}"), |s| s.title == title)
            .await
            .map(drop)
    }
}

impl Browser {
    /// Wait until the JavaScript `expression` is truthy in the page, and return its value
    /// (Playwright's `waitForFunction`): `"localStorage.getItem('todos') !== null"`, or a function
    /// to call, `"() => document.querySelectorAll('li').length === 3"`. Polled within the default
    /// timeout ([`Browser::set_default_timeout`]); a step of the report.
    pub async fn wait_for_function(&self, expression: &str) -> Result<Value, WaitError> {
        let script = format!(
            "const harnessValue = ({expression}); \
             return typeof harnessValue === 'function' ? harnessValue() : harnessValue;"
        );
        let what = format!("the script {expression:?}");
        let expected = "to be truthy".to_owned();
        let started = Instant::now();
        let timeout = self.default_timeout();
        let mut interval = Duration::from_millis(5);
        let result = loop {
            let last_seen = match self.client().execute(&script, Vec::new()).await {
                Ok(value) if truthy(&value) => break Ok(value),
                Ok(value) => format!("{value}"),
                Err(e) => match session_lost(&e) {
                    Some(why) => {
                        break Err(WaitError::SessionGone {
                            locator: what.clone(),
                            expected: expected.clone(),
                            driver_url: self.webdriver_url().to_owned(),
                            reason: format!("{why}: {e}"),
                            waited: started.elapsed(),
                        });
                    }
                    None => format!("an error: {e}"),
                },
            };
            if started.elapsed() >= timeout {
                break Err(WaitError::Timeout {
                    locator: what.clone(),
                    expected: expected.clone(),
                    last_seen,
                    waited: started.elapsed(),
                    url: self
                        .client()
                        .current_url()
                        .await
                        .map_or_else(|_| "unknown".into(), String::from),
                });
            }
            tokio::time::sleep(interval).await;
            interval = (interval * 2).min(MAX_INTERVAL);
        };
        self.record_step(
            format!("wait for {what} {expected}"),
            started,
            result.as_ref().map(drop).map_err(|e| e.to_string()),
            false,
        )
        .await;
        result
    }
}

/// JavaScript's truthiness of a value as WebDriver returns it.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0 && !n.is_nan()),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// Whether the page's URL `actual` is what [`PageExpect::to_have_url`] was asked for.
fn url_is(actual: &str, wanted: &str) -> bool {
    if !wanted.starts_with('/') {
        return actual == wanted;
    }
    let Ok(parsed) = url::Url::parse(actual) else {
        return false;
    };
    let path_and_query = match parsed.query() {
        Some(q) if wanted.contains('?') => format!("{}?{q}", parsed.path()),
        _ => parsed.path().to_owned(),
    };
    path_and_query == wanted
}

/// Why a poll loop ended without its condition.
pub(crate) enum PollFailure {
    Timeout {
        last_seen: String,
        url: String,
        waited: Duration,
    },
    SessionGone {
        reason: String,
        waited: Duration,
    },
}

impl PollFailure {
    fn into_error(self, locator: &Locator, expected: &str, browser: &Browser) -> WaitError {
        match self {
            PollFailure::Timeout {
                last_seen,
                url,
                waited,
            } => WaitError::Timeout {
                locator: locator.to_string(),
                expected: expected.to_owned(),
                last_seen,
                waited,
                url: if url.is_empty() {
                    "unknown".into()
                } else {
                    url
                },
            },
            PollFailure::SessionGone { reason, waited } => WaitError::SessionGone {
                locator: locator.to_string(),
                expected: expected.to_owned(),
                driver_url: browser.webdriver_url().to_owned(),
                reason,
                waited,
            },
        }
    }
}

/// Poll `read` until it says the condition holds or `timeout` passes, backing off to
/// [`MAX_INTERVAL`]; a read that fails for now (a page navigating) is one more thing to wait out.
async fn poll<F, Fut>(timeout: Duration, read: F) -> Result<ElementState, PollFailure>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(bool, ElementState), Unreadable>>,
{
    let started = Instant::now();
    let mut interval = Duration::from_millis(10);
    let mut url = String::new();
    loop {
        let last_seen = match read().await {
            Ok((true, snapshot)) => return Ok(snapshot),
            Ok((false, snapshot)) => {
                url.clone_from(&snapshot.url);
                snapshot.to_string()
            }
            Err(Unreadable::ForNow(e)) => e,
            // Nothing will come back: waiting out the deadline would only hide the cause.
            Err(Unreadable::SessionGone(reason)) => {
                return Err(PollFailure::SessionGone {
                    reason,
                    waited: started.elapsed(),
                });
            }
        };
        if started.elapsed() + interval > timeout {
            return Err(PollFailure::Timeout {
                last_seen,
                url,
                waited: started.elapsed(),
            });
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(MAX_INTERVAL);
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

    fn snapshot(count: usize, text: &str, classes: &str) -> ElementState {
        ElementState {
            count,
            url: "http://127.0.0.1:1/".into(),
            visible: true,
            enabled: false,
            text: text.into(),
            classes: classes.into(),
            ..ElementState::default()
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
        // Several matches: every one's text, as a list assertion compares them.
        let several = ElementState {
            texts: vec![" apple ".into(), "banana".into()],
            ..snapshot(2, "apple", "")
        };
        assert!(
            several
                .to_string()
                .ends_with("; the texts of all: [\"apple\", \"banana\"]"),
            "{several}"
        );
    }

    #[test]
    fn a_snapshot_shows_a_controls_value_and_state() {
        let mut s = snapshot(1, "", "");
        s.value = Some("ada@example.com".into());
        s.checked = true;
        s.attribute = Some("email".into());
        assert_eq!(
            s.to_string(),
            "1 match; the first is visible, disabled, class \"\", text \"\", value \"ada@example.com\", checked, the attribute is \"email\""
        );
    }

    #[test]
    fn a_url_is_matched_whole_or_by_its_path() {
        let at = "http://127.0.0.1:4711/traces/7?tab=steps";
        assert!(url_is(at, at));
        assert!(url_is(at, "/traces/7"));
        assert!(url_is(at, "/traces/7?tab=steps"));
        assert!(!url_is(at, "/traces/7?tab=raw"));
        assert!(!url_is(at, "/traces"));
        assert!(!url_is(at, "http://127.0.0.1:4711/traces/7"));
        assert!(!url_is("about:blank", "/"));
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
