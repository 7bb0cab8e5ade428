//! Auto-waiting assertions in the spirit of Playwright's `expect(locator)`: poll the page until a
//! condition holds or a deadline passes, then say what was expected and what the page showed.

use std::fmt;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

use super::error::WaitError;
use super::locator::Locator;
use super::session::Browser;
use super::visual::ToHaveScreenshot;

/// How long an assertion (or an action's wait for its element) waits unless told otherwise: set
/// per run with `HARNESS_EXPECT_TIMEOUT` (`5s`, `500ms`), per browser with
/// [`Browser::set_default_timeout`], per call with [`Expect::within`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The first poll comes at once; later ones back off to this interval.
const MAX_INTERVAL: Duration = Duration::from_millis(100);

/// Everything the assertions look at, read in one round trip: `arguments[0]` is the locator,
/// `arguments[1]` a [`Probe`]: what only some assertions read.
fn snapshot_script() -> &'static str {
    static SCRIPT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SCRIPT.get_or_init(|| snapshot_script_then("undefined"))
}

/// The snapshot script whose state's `then` is `then`, a JavaScript expression evaluated last
/// (after every other field is read), with `el`, `all`, `rect`, `style`, `visible`, `enabled` and
/// `probe` in scope.
fn snapshot_script_then(then: &str) -> String {
    format!(
        "{}\nconst all = harnessResolve(arguments[0]); const el = all[0]; \
         return [JSON.stringify((() => {{ \
         const probe = arguments[1]; \
         const page = {{url: location.href, title: document.title}}; \
         if (!el) return Object.assign({{count: 0}}, page); \
         const rect = el.getBoundingClientRect(); const style = getComputedStyle(el); \
         const visible = rect.width > 0 && rect.height > 0 && style.visibility !== 'hidden'; \
         const enabled = !el.disabled; \
         return Object.assign(page, {{ \
           count: all.length, \
           texts: all.slice(0, 1000).map((e) => e.innerText === undefined ? e.textContent : e.innerText), \
           matches: all.length < 2 ? [] : all.slice(0, 5).map((e) => e.tagName.toLowerCase() \
             + (e.id ? '#' + e.id : '') \
             + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '') \
             + ' ' + JSON.stringify((e.innerText === undefined ? e.textContent : e.innerText || '').replace(/\\s+/g, ' ').trim().slice(0, 40))), \
           visible, \
           enabled, \
           focused: el === document.activeElement, \
           editable: !el.disabled && !el.readOnly && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)), \
           id: el.id || '', \
           text: el.innerText === undefined ? el.textContent : el.innerText, \
           classes: typeof el.className === 'string' ? el.className : '', \
           value: 'value' in el && typeof el.value === 'string' ? el.value : null, \
           checked: 'checked' in el ? !!el.checked : el.getAttribute('aria-checked') === 'true', \
           class_list: all.slice(0, 1000).map((e) => typeof e.className === 'string' ? e.className : ''), \
           values: el.tagName === 'SELECT' ? [...el.selectedOptions].map((o) => o.value) : null, \
           in_viewport: (() => {{ const w = Math.min(rect.right, innerWidth) - Math.max(rect.left, 0); \
             const h = Math.min(rect.bottom, innerHeight) - Math.max(rect.top, 0); \
             return rect.width * rect.height > 0 && w > 0 && h > 0 ? (w * h) / (rect.width * rect.height) : 0; }})(), \
           attribute: probe.attribute === null ? null : el.getAttribute(probe.attribute), \
           css: probe.css === null ? null : style.getPropertyValue(probe.css), \
           property: probe.property === null ? null : (() => {{ const v = el[probe.property]; \
             try {{ const s = JSON.stringify(v); return s === undefined ? String(v) : JSON.parse(s); }} \
             catch (e) {{ return String(v); }} }})(), \
           role: probe.accessible ? harnessRole(el) || '' : null, \
           accessible_name: probe.accessible ? harnessName(el) : null, \
           accessible_description: probe.accessible ? harnessDescription(el) : null, \
           then: {then}, \
         }}); }})()), el || null];",
        super::locator::RESOLVER
    )
}

/// The snapshot script that also prepares an action in the same round trip: `body` (a
/// function's body of `el` and `args`, the probe's `args`) runs on the one match once it is
/// visible and enabled, exactly when [`Expect::until_actionable`] holds, and its value is the
/// state's `then`. In the script's text, not `eval`ed, so a page's CSP cannot refuse it.
fn snapshot_script_preparing(body: &'static str) -> &'static str {
    static SCRIPTS: std::sync::Mutex<Vec<(&'static str, &'static str)>> =
        std::sync::Mutex::new(Vec::new());
    let mut scripts = SCRIPTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, script)) = scripts.iter().find(|(b, _)| *b == body) {
        return script;
    }
    let then = format!(
        "all.length === 1 && visible && enabled ? ((el, args) => {{ {body} }})(el, probe.args) \
         : undefined"
    );
    // A handful of bodies, each made once for the process.
    let script: &'static str = Box::leak(snapshot_script_then(&then).into_boxed_str());
    scripts.push((body, script));
    script
}

/// What the page showed for a locator at one poll: the state of its first match. A custom
/// condition ([`Expect::to_satisfy`]) is a predicate on it.
#[derive(Debug, Clone, Default, Deserialize)]
#[non_exhaustive]
pub struct ElementState {
    /// How many elements match.
    pub count: usize,
    /// The first match's WebDriver element id, from the same read.
    #[serde(skip)]
    pub(crate) element: Option<String>,
    /// What an action's preparation returned, run in the same read
    /// ([`Expect::until_actionable_preparing`]).
    #[serde(default, rename = "then")]
    pub(crate) prepared: Option<Value>,
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
    /// Every match's `class` attribute, in document order (the first 1000).
    #[serde(default)]
    pub class_list: Vec<String>,
    /// The values of a `<select>`'s selected options (`None` for other elements).
    #[serde(default)]
    pub values: Option<Vec<String>>,
    /// How much of it is inside the viewport, from 0 (none, or it has no size) to 1 (all).
    #[serde(default)]
    pub in_viewport: Option<f64>,
    /// The computed CSS property an assertion asked for.
    #[serde(default)]
    pub css: Option<String>,
    /// The JavaScript property an assertion asked for, as JSON (a value JSON cannot carry as its
    /// string).
    #[serde(default)]
    pub property: Option<Value>,
    /// Its ARIA role, explicit or implied by its tag (`""` for none), when an assertion asked.
    #[serde(default)]
    pub role: Option<String>,
    /// Its accessible name, when an assertion asked.
    #[serde(default)]
    pub accessible_name: Option<String>,
    /// Its accessible description, when an assertion asked.
    #[serde(default)]
    pub accessible_description: Option<String>,
}

/// What only some assertions read, sent with each poll's snapshot.
#[derive(Debug, Clone, Default, serde::Serialize)]
struct Probe {
    attribute: Option<String>,
    css: Option<String>,
    property: Option<String>,
    accessible: bool,
    /// An action's preparation, run in the snapshot once the element is actionable.
    #[serde(skip)]
    prepare: Option<&'static str>,
    /// Its arguments.
    args: Vec<Value>,
}

impl Probe {
    /// A probe that reads what `set` says besides the snapshot.
    fn reading(set: impl FnOnce(&mut Probe)) -> Probe {
        let mut probe = Probe::default();
        set(&mut probe);
        probe
    }

    fn accessible() -> Probe {
        Probe::reading(|p| p.accessible = true)
    }
}

/// What a text assertion compares with: a string or a regular expression, as Playwright's
/// matchers take either. From `&str`, `String`, `&String`, [`Regex`](regex::Regex) or `&Regex`;
/// what a string means (the whole text, a part of it) each assertion says, and a regular
/// expression matches anywhere unless anchored (`^…$`).
#[derive(Debug, Clone)]
pub enum Pattern {
    /// A string.
    Text(String),
    /// A regular expression (the regex crate's syntax).
    Regex(regex::Regex),
}

impl Pattern {
    /// Whether `actual` is this string (leading and trailing whitespace aside), or matches this
    /// regular expression.
    fn is(&self, actual: &str) -> bool {
        match self {
            Pattern::Text(text) => actual.trim() == text.trim(),
            Pattern::Regex(re) => re.is_match(actual),
        }
    }

    /// Whether `actual` is this string exactly, or matches this regular expression.
    fn is_exactly(&self, actual: &str) -> bool {
        match self {
            Pattern::Text(text) => actual == text,
            Pattern::Regex(re) => re.is_match(actual),
        }
    }

    /// Whether `actual` contains this string, or matches this regular expression.
    fn is_in(&self, actual: &str) -> bool {
        match self {
            Pattern::Text(text) => actual.contains(text.as_str()),
            Pattern::Regex(re) => re.is_match(actual),
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Text(text) => write!(f, "{text:?}"),
            Pattern::Regex(re) => write!(f, "/{re}/"),
        }
    }
}

impl From<&str> for Pattern {
    fn from(text: &str) -> Pattern {
        Pattern::Text(text.to_owned())
    }
}

impl From<String> for Pattern {
    fn from(text: String) -> Pattern {
        Pattern::Text(text)
    }
}

impl From<&String> for Pattern {
    fn from(text: &String) -> Pattern {
        Pattern::Text(text.clone())
    }
}

impl From<regex::Regex> for Pattern {
    fn from(re: regex::Regex) -> Pattern {
        Pattern::Regex(re)
    }
}

impl From<&regex::Regex> for Pattern {
    fn from(re: &regex::Regex) -> Pattern {
        Pattern::Regex(re.clone())
    }
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
        if let Some(values) = &self.values {
            write!(f, ", selected {values:?}")?;
        }
        if let Some(share) = self.in_viewport
            && self.visible
            && share < 1.0
        {
            write!(f, ", {:.0}% in the viewport", share * 100.0)?;
        }
        if let Some(css) = &self.css {
            write!(f, ", the CSS property is {css:?}")?;
        }
        if let Some(property) = &self.property {
            write!(f, ", the property is {property}")?;
        }
        if let Some(role) = &self.role {
            write!(f, ", role {role:?}")?;
        }
        if let Some(name) = &self.accessible_name {
            write!(f, ", accessible name {name:?}")?;
        }
        if let Some(description) = &self.accessible_description {
            write!(f, ", accessible description {description:?}")?;
        }
        if self.count > 1 && !self.texts.is_empty() {
            let texts: Vec<String> = self.trimmed_texts().iter().map(|t| shortened(t)).collect();
            write!(f, "; the texts of all: {texts:?}")?;
        }
        if self.count > 1 && self.class_list.iter().any(|c| !c.trim().is_empty()) {
            let classes: Vec<String> = self.class_list.iter().map(|c| words(c).join(" ")).collect();
            write!(f, "; the classes of all: {classes:?}")?;
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
    /// Whether the read is to return the first match as a WebDriver element, for an action
    /// that WebDriver performs on it; else it goes over the tab's own socket where there is one.
    element: bool,
}

impl<'a> Expect<'a> {
    pub(crate) fn new(browser: &'a Browser, locator: Locator, timeout: Duration) -> Expect<'a> {
        Expect {
            browser,
            locator,
            timeout,
            negated: false,
            step: true,
            element: false,
        }
    }

    /// The state's read also returns the first match as a WebDriver element, for an action
    /// WebDriver performs on it (`ElementState::element`).
    pub(crate) fn for_element(mut self) -> Self {
        self.element = true;
        self
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

    /// The first match's visible text contains `text` (a string, or a [`Regex`](regex::Regex)
    /// found in it); returns its whole text.
    pub async fn to_contain_text(self, text: impl Into<Pattern>) -> Result<String, WaitError> {
        let text = text.into();
        self.until(&format!("contain the text {text}"), |s| {
            s.count > 0 && text.is_in(&s.text)
        })
        .await
        .map(|s| s.text)
    }

    /// The first match's visible text is `text`, leading and trailing whitespace aside, or
    /// matches it, a [`Regex`](regex::Regex).
    pub async fn to_have_text(self, text: impl Into<Pattern>) -> Result<(), WaitError> {
        let text = text.into();
        self.until(&format!("have the text {text}"), |s| {
            s.count > 0 && text.is(&s.text)
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

    /// The first match's `id` is `id` (or matches it).
    pub async fn to_have_id(self, id: impl Into<Pattern>) -> Result<(), WaitError> {
        let id = id.into();
        self.until(&format!("have the id {id}"), |s| {
            s.count > 0 && id.is(&s.id)
        })
        .await
        .map(drop)
    }

    /// The first match is at least partly inside the viewport (Playwright's `toBeInViewport`).
    pub async fn to_be_in_viewport(self) -> Result<(), WaitError> {
        self.until("be in the viewport", |s| {
            s.count > 0 && s.in_viewport.is_some_and(|share| share > 0.0)
        })
        .await
        .map(drop)
    }

    /// The first match's ARIA role, explicit or implied by its tag, is `role` (`"button"`,
    /// `"heading"`…).
    pub async fn to_have_role(self, role: &str) -> Result<(), WaitError> {
        self.until_reading(
            Probe::accessible(),
            &format!("have the role {role:?}"),
            |s| s.count > 0 && s.role.as_deref() == Some(role),
        )
        .await
        .map(drop)
    }

    /// The first match's accessible name (`aria-labelledby`, `aria-label`, its labels, its
    /// text, `alt`, `title`; whitespace collapsed) is `name`, or matches it.
    pub async fn to_have_accessible_name(self, name: impl Into<Pattern>) -> Result<(), WaitError> {
        let name = name.into();
        self.until_reading(
            Probe::accessible(),
            &format!("have the accessible name {name}"),
            |s| s.count > 0 && s.accessible_name.as_deref().is_some_and(|n| name.is(n)),
        )
        .await
        .map(drop)
    }

    /// The first match's accessible description (`aria-describedby`, `aria-description`, else a
    /// `title` that is not its name) is `description`, or matches it.
    pub async fn to_have_accessible_description(
        self,
        description: impl Into<Pattern>,
    ) -> Result<(), WaitError> {
        let description = description.into();
        self.until_reading(
            Probe::accessible(),
            &format!("have the accessible description {description}"),
            |s| {
                s.count > 0
                    && s.accessible_description
                        .as_deref()
                        .is_some_and(|d| description.is(d))
            },
        )
        .await
        .map(drop)
    }

    /// The first match's computed CSS property `name` is `value` (as the browser computes it:
    /// `"rgb(255, 0, 0)"`, `"16px"`), or matches it.
    pub async fn to_have_css(self, name: &str, value: impl Into<Pattern>) -> Result<(), WaitError> {
        let value = value.into();
        let probe = Probe::reading(|p| p.css = Some(name.to_owned()));
        self.until_reading(probe, &format!("have the CSS {name}: {value}"), |s| {
            s.count > 0 && s.css.as_deref().is_some_and(|c| value.is(c))
        })
        .await
        .map(drop)
    }

    /// The first match's JavaScript property `name` (`el[name]`: `"checked"`, `"scrollTop"`,
    /// `"dataset"`) equals `value` (Playwright's `toHaveJSProperty`).
    pub async fn to_have_js_property(
        self,
        name: &str,
        value: impl Into<Value>,
    ) -> Result<(), WaitError> {
        let value = value.into();
        let probe = Probe::reading(|p| p.property = Some(name.to_owned()));
        self.until_reading(probe, &format!("have the property {name} = {value}"), |s| {
            s.count > 0 && s.property.as_ref() == Some(&value)
        })
        .await
        .map(drop)
    }

    /// The first match is a `<select>` whose selected options have the values `values`, in order
    /// (Playwright's `toHaveValues`, for a multiple select).
    pub async fn to_have_values(self, values: &[&str]) -> Result<(), WaitError> {
        self.until(&format!("have the selected values {values:?}"), |s| {
            s.count > 0 && s.values.as_ref().is_some_and(|v| v == values)
        })
        .await
        .map(drop)
    }

    /// Every match, in order, has the class attribute of `classes` at its place (whole, as
    /// [`to_have_class`](Self::to_have_class) with a string), and there are as many matches:
    /// Playwright's `toHaveClass` with a list.
    pub async fn to_have_classes(self, classes: &[&str]) -> Result<(), WaitError> {
        self.until(&format!("have the class attributes {classes:?}"), |s| {
            s.class_list.len() == classes.len()
                && s.class_list
                    .iter()
                    .zip(classes)
                    .all(|(had, wanted)| words(had) == words(wanted))
        })
        .await
        .map(drop)
    }

    /// The first match's visible text matches the regular expression `pattern` (Playwright's
    /// `toHaveText(/…/)`; Rust's regex syntax; [`to_have_text`](Self::to_have_text) takes a
    /// `&Regex` too). Returns the text.
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
    ///
    /// A [`Regex`](regex::Regex) matches the class attribute as it is.
    pub async fn to_have_class(self, classes: impl Into<Pattern>) -> Result<(), WaitError> {
        let classes = classes.into();
        self.until(&format!("have the class attribute {classes}"), |s| {
            s.count > 0
                && match &classes {
                    Pattern::Text(text) => words(&s.classes) == words(text),
                    Pattern::Regex(re) => re.is_match(&s.classes),
                }
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

    /// The first match is a form control (input, textarea, select) whose value is `value`
    /// exactly, or matches it, a [`Regex`](regex::Regex).
    pub async fn to_have_value(self, value: impl Into<Pattern>) -> Result<(), WaitError> {
        let value = value.into();
        self.until(&format!("have the value {value}"), |s| {
            s.count > 0 && s.value.as_deref().is_some_and(|v| value.is_exactly(v))
        })
        .await
        .map(drop)
    }

    /// The first match has the attribute `name` with the value `value` exactly, or one that
    /// matches it, a [`Regex`](regex::Regex).
    pub async fn to_have_attribute(
        self,
        name: &str,
        value: impl Into<Pattern>,
    ) -> Result<(), WaitError> {
        let value = value.into();
        let probe = Probe::reading(|p| p.attribute = Some(name.to_owned()));
        self.until_reading(probe, &format!("have the attribute {name}={value}"), |s| {
            s.count > 0 && s.attribute.as_deref().is_some_and(|a| value.is_exactly(a))
        })
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

    /// The first match looks as its baseline does (Playwright's `toHaveScreenshot`): a
    /// screenshot of the element, compared pixel by pixel with
    /// `<test file>-snapshots/<name>-<browser>-<os>.png` beside the test's source, retried until
    /// it matches. A missing baseline is written from the page and fails the test (see
    /// `HARNESS_UPDATE_SNAPSHOTS`); a mismatch puts the baseline, the element and their
    /// difference in the failed test's report. Options (threshold, allowed pixels, masks) on the
    /// returned [`ToHaveScreenshot`]; await it.
    ///
    /// ```no_run
    /// # mod harness { pub use harness_browser as browser; } // the examples are written as users see them
    /// # async fn t(browser: &harness::browser::Browser) -> Result<(), harness::browser::WaitError> {
    /// browser
    ///     .expect("#chart")
    ///     .to_have_screenshot("sales-chart")
    ///     .mask("#chart .updated-at")
    ///     .max_diff_pixels(20)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[track_caller]
    pub fn to_have_screenshot(self, name: &str) -> ToHaveScreenshot<'a> {
        ToHaveScreenshot::new(
            self.browser,
            Some(self.locator),
            name,
            std::panic::Location::caller(),
            self.timeout,
            self.negated,
        )
    }

    /// The one element the locator matches has this accessibility tree, as Playwright's
    /// `toMatchAriaSnapshot` says it in YAML: each line a role, its accessible name (quoted, or a
    /// `/regex/`), its states (`[checked]`, `[level=2]`…) and after a `:` its text or, indented
    /// below, its children. The template matches partially: what it lists must be there, in that
    /// order, anywhere under the element; `- /children: equal` (or `deep-equal`) under a node
    /// asks for exactly its children (all the way down). [`Browser::aria_snapshot`] writes the
    /// page's tree in this form, to paste. Retried until it matches.
    ///
    /// ```no_run
    /// # mod harness { pub use harness_browser as browser; } // the examples are written as users see them
    /// # async fn t(browser: &harness::browser::Browser) -> Result<(), harness::browser::WaitError> {
    /// browser
    ///     .expect("main")
    ///     .to_match_aria_snapshot(
    ///         r#"
    ///         - heading "Todos" [level=1]
    ///         - list:
    ///           - listitem: buy milk
    ///           - listitem: /walk the \w+/
    ///         - link "About":
    ///           - /url: /about
    ///         "#,
    ///     )
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn to_match_aria_snapshot(self, template: &str) -> Result<(), WaitError> {
        self.browser
            .until_aria_snapshot(&self.locator, template, self.timeout, self.negated)
            .await
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

    /// [`until_actionable`](Self::until_actionable), and in the read that finds the one match
    /// actionable, `body` run on it (see [`snapshot_script_preparing`]): its value is the state's
    /// `prepared`. An action's own script without a round trip of its own.
    pub(crate) async fn until_actionable_preparing(
        mut self,
        body: &'static str,
        args: Vec<Value>,
    ) -> Result<ElementState, WaitError> {
        self.step = false;
        let probe = Probe {
            prepare: Some(body),
            args,
            ..Probe::default()
        };
        self.until_reading(probe, "be visible and enabled", |s| {
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

    async fn snapshot(&self, probe: &Probe) -> Result<ElementState, Unreadable> {
        let script = probe
            .prepare
            .map_or_else(snapshot_script, snapshot_script_preparing);
        let args = vec![json!(self.locator), json!(probe)];
        let value = if self.element {
            self.browser.client().execute(script, args).await
        } else {
            self.browser.script(script, args).await
        };
        let value = value.map_err(|e| match session_lost(&e) {
            Some(why) => Unreadable::SessionGone(format!("{why}: {e}")),
            None => Unreadable::ForNow(format!("the page could not be read: {e}")),
        })?;
        // The state as a string, parsed here (chromedriver's walk of a returned object, for
        // element references, costs more than the page's JSON.stringify), and the first match
        // as an element reference, for an action to use without finding it again.
        let (Some(Value::String(json)), Some(element)) = (value.get(0), value.get(1)) else {
            return Err(Unreadable::ForNow(format!("unexpected snapshot: {value}")));
        };
        let mut state: ElementState = serde_json::from_str(json)
            .map_err(|e| Unreadable::ForNow(format!("unexpected snapshot: {e}")))?;
        state.element = element
            .get(super::actions::ELEMENT_KEY)
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(state)
    }

    async fn until(
        self,
        expected: &str,
        holds: impl Fn(&ElementState) -> bool,
    ) -> Result<ElementState, WaitError> {
        self.until_reading(Probe::default(), expected, holds).await
    }

    async fn until_reading(
        self,
        probe: Probe,
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
            self.snapshot(&probe)
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
    ///
    /// A [`Regex`](regex::Regex) matches the whole URL as it is.
    pub async fn to_have_url(self, url: impl Into<Pattern>) -> Result<String, WaitError> {
        let wanted = url.into();
        self.inner
            .until(&format!("have the URL {wanted}"), |s| match &wanted {
                Pattern::Text(url) => url_is(&s.url, url),
                Pattern::Regex(re) => re.is_match(&s.url),
            })
            .await
            .map(|s| s.url)
    }

    /// The page's viewport looks as its baseline does: [`Expect::to_have_screenshot`] for the
    /// whole window.
    #[track_caller]
    pub fn to_have_screenshot(self, name: &str) -> ToHaveScreenshot<'a> {
        let Expect {
            browser,
            timeout,
            negated,
            ..
        } = self.inner;
        ToHaveScreenshot::new(
            browser,
            None,
            name,
            std::panic::Location::caller(),
            timeout,
            negated,
        )
    }

    /// The page's title is `title`, or matches it.
    pub async fn to_have_title(self, title: impl Into<Pattern>) -> Result<(), WaitError> {
        let title = title.into();
        self.inner
            .until(&format!("have the title {title}"), |s| title.is(&s.title))
            .await
            .map(drop)
    }
}

/// One try of a wait of [`Browser::retry`].
pub(crate) enum Attempt<T> {
    Done(T),
    /// Not yet: what was seen instead, in words.
    NotYet(String),
    /// The session is gone: nothing will come back.
    Gone(String),
}

impl Browser {
    /// Try `attempt` until it is done or `timeout` passes, backing off to [`MAX_INTERVAL`]; one
    /// step of the report, `{what} {expected}`.
    pub(crate) async fn retry<T>(
        &self,
        what: String,
        expected: String,
        timeout: Duration,
        on_page: bool,
        mut attempt: impl AsyncFnMut() -> Attempt<T>,
    ) -> Result<T, WaitError> {
        let started = Instant::now();
        let mut interval = Duration::from_millis(5);
        let result = loop {
            let last_seen = match attempt().await {
                Attempt::Done(value) => break Ok(value),
                Attempt::NotYet(seen) => seen,
                Attempt::Gone(reason) => {
                    break Err(WaitError::SessionGone {
                        locator: what.clone(),
                        expected: expected.clone(),
                        driver_url: self.webdriver_url().to_owned(),
                        reason,
                        waited: started.elapsed(),
                    });
                }
            };
            if started.elapsed() + interval > timeout && !on_page {
                break Err(WaitError::NotMet {
                    what: what.clone(),
                    expected: expected.clone(),
                    last: last_seen,
                    waited: started.elapsed(),
                });
            }
            if started.elapsed() + interval > timeout {
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

    /// Wait until the JavaScript `expression` is truthy in the page, and return its value
    /// (Playwright's `waitForFunction`): `"localStorage.getItem('todos') !== null"`, or a function
    /// to call, `"() => document.querySelectorAll('li').length === 3"`. Polled within the default
    /// timeout ([`Browser::set_default_timeout`]); a step of the report.
    pub async fn wait_for_function(&self, expression: &str) -> Result<Value, WaitError> {
        self.wait_for_script(expression, None).await
    }

    /// [`wait_for_function`](Self::wait_for_function) with an argument, as Playwright's
    /// `waitForFunction(fn, arg)`: the function is called with `arg` (as JSON) at each poll.
    ///
    /// ```no_run
    /// # mod harness { pub use harness_browser as browser; } // the examples are written as users see them
    /// # async fn t(browser: &harness::browser::Browser) -> Result<(), harness::browser::WaitError> {
    /// browser
    ///     .wait_for_function_with("(n) => JSON.parse(localStorage['todos']).length === n", 3)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_function_with(
        &self,
        function: &str,
        arg: impl serde::Serialize,
    ) -> Result<Value, WaitError> {
        self.wait_for_script(function, Some(json!(arg))).await
    }

    async fn wait_for_script(
        &self,
        expression: &str,
        arg: Option<Value>,
    ) -> Result<Value, WaitError> {
        let script = format!(
            "const harnessValue = ({expression}); \
             return typeof harnessValue === 'function' ? harnessValue(arguments[0]) : harnessValue;"
        );
        let what = match &arg {
            Some(arg) => format!("the script {expression:?} with {arg}"),
            None => format!("the script {expression:?}"),
        };
        let args = vec![arg.unwrap_or(Value::Null)];
        self.retry(
            what,
            "to be truthy".into(),
            self.default_timeout(),
            true,
            async || match self.script(&script, args.clone()).await {
                Ok(value) if truthy(&value) => Attempt::Done(value),
                Ok(value) => Attempt::NotYet(format!("{value}")),
                Err(e) => script_failed(&e, "an error"),
            },
        )
        .await
    }

    /// Poll a value of your own until it is what a test expects (Playwright's `expect.poll`):
    /// `probe` is called again and again, backing off, within the default timeout. `what` names
    /// it in the failure and the report.
    ///
    /// ```no_run
    /// # mod harness { pub use harness_browser as browser; } // the examples are written as users see them
    /// # async fn t(browser: &harness::browser::Browser, api: &str) -> Result<(), harness::browser::WaitError> {
    /// browser
    ///     .poll("the job's status", async || {
    ///         reqwest::get(format!("{api}/job")).await.map(|r| r.status().as_u16()).ok()
    ///     })
    ///     .to_equal(Some(200))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn poll<T, F>(&self, what: &str, probe: F) -> Poll<'_, F>
    where
        F: AsyncFnMut() -> T,
    {
        Poll {
            browser: self,
            what: what.to_owned(),
            probe,
            timeout: self.default_timeout(),
            negated: false,
        }
    }

    /// Run `block` again and again until it returns `Ok` (Playwright's `expect(…).toPass()`),
    /// within the default timeout, and return its value; the failure carries the last error.
    /// For a group of steps that only holds together (read, then act, then check), or an
    /// assertion of your own. Each try's own waits keep their timeouts.
    ///
    /// ```no_run
    /// # mod harness { pub use harness_browser as browser; } // the examples are written as users see them
    /// # async fn t(browser: &harness::browser::Browser) -> Result<(), harness::browser::WaitError> {
    /// browser
    ///     .to_pass("the counter reaches 3", async || -> Result<(), Box<dyn std::error::Error>> {
    ///         browser.click("#increment").await?;
    ///         let n: u32 = browser.text("#count").await?.trim().parse()?;
    ///         if n < 3 {
    ///             return Err(format!("the counter is at {n}").into());
    ///         }
    ///         Ok(())
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn to_pass<T, E: fmt::Display>(
        &self,
        what: &str,
        mut block: impl AsyncFnMut() -> Result<T, E>,
    ) -> Result<T, WaitError> {
        self.retry(
            what.to_owned(),
            "to pass".into(),
            self.default_timeout(),
            false,
            async || match block().await {
                Ok(value) => Attempt::Done(value),
                Err(e) => Attempt::NotYet(format!("an error: {e}")),
            },
        )
        .await
    }
}

/// A value of the test's own, polled until it is what the test expects; from [`Browser::poll`].
#[must_use = "a poll does nothing until one of its assertions is awaited"]
pub struct Poll<'a, F> {
    browser: &'a Browser,
    what: String,
    probe: F,
    timeout: Duration,
    negated: bool,
}

impl<F> fmt::Debug for Poll<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poll")
            .field("what", &self.what)
            .field("timeout", &self.timeout)
            .field("negated", &self.negated)
            .finish_non_exhaustive()
    }
}

impl<F> Poll<'_, F> {
    /// Poll up to `timeout` instead of the default.
    pub fn within(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Wait for the opposite of the assertion that follows.
    #[allow(clippy::should_implement_trait)]
    pub fn not(mut self) -> Self {
        self.negated = !self.negated;
        self
    }

    /// The value equals `expected`; returns it.
    pub async fn to_equal<T>(self, expected: T) -> Result<T, WaitError>
    where
        F: AsyncFnMut() -> T,
        T: PartialEq + fmt::Debug,
    {
        let words = format!("equal {expected:?}");
        self.to_satisfy(&words, |value| *value == expected).await
    }

    /// The value satisfies `holds`, `expected` saying how in words; returns it.
    pub async fn to_satisfy<T>(
        mut self,
        expected: &str,
        holds: impl Fn(&T) -> bool,
    ) -> Result<T, WaitError>
    where
        F: AsyncFnMut() -> T,
        T: fmt::Debug,
    {
        let negated = self.negated;
        let expected = format!("{}to {expected}", if negated { "not " } else { "" });
        let probe = &mut self.probe;
        self.browser
            .retry(self.what, expected, self.timeout, false, async || {
                let value = probe().await;
                if holds(&value) != negated {
                    Attempt::Done(value)
                } else {
                    Attempt::NotYet(format!("{value:?}"))
                }
            })
            .await
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

/// A script's failure as an attempt: the session gone ends the wait, anything else (`what` it
/// was) is tried again.
pub(crate) fn script_failed<T>(error: &fantoccini::error::CmdError, what: &str) -> Attempt<T> {
    match session_lost(error) {
        Some(why) => Attempt::Gone(format!("{why}: {error}")),
        None => Attempt::NotYet(format!("{what}: {error}")),
    }
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
