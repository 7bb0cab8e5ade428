//! `Browser`: one test's browser session, closed when the test ends, with artifacts saved when it
//! fails.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use fantoccini::wd::WindowHandle;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::artifacts::{self, FailureJob};
use super::devtools::{DevTools, IsolatedTab};
use super::driver::{self, Setup, WINDOW};
use super::error::{ActionError, BrowserError};
use super::locate;
use super::wait::Expect;
use crate::config;
use crate::keeper::ResourceFiles;
use crate::testing::Scope;
use crate::{FixtureError, TestContext};

/// The window size every session gets, in CSS pixels.
pub const WINDOW_SIZE: (u32, u32) = WINDOW;

/// One message of the browser's console (or a page error), as chromedriver reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConsoleEntry {
    /// `SEVERE`, `WARNING`, `INFO`, `DEBUG`.
    pub level: String,
    /// The text, prefixed by chromedriver with its source location.
    pub message: String,
    /// `console-api`, `javascript`, `network`, …
    #[serde(default)]
    pub source: String,
    /// Milliseconds since the Unix epoch.
    #[serde(default)]
    pub timestamp: i64,
}

/// The test's context in the run's shared browser.
struct SharedContext {
    /// Held for the whole test: the context was created with `disposeOnDetach`, so it also
    /// disappears should this process die without closing it.
    devtools: tokio::sync::Mutex<DevTools>,
    websocket_url: String,
    tab: IsolatedTab,
}

/// A headless browser session of one test: a fresh Chrome with a fresh profile, or with
/// `HARNESS_BROWSER_REUSE=1` a browser context of its own (cookies, storage, cache) in the run's
/// shared Chrome, or a session of the remote WebDriver named by `HARNESS_WEBDRIVER_URL`.
///
/// Under `#[harness::test]` the test's outcome decides its end: closed when it passes; when it
/// fails (panic, `Err`, timeout), a screenshot, the page's HTML, the browser console and the
/// service log are saved under `target/harness-artifacts/<test name>/` and the path printed.
///
/// Made by hand with [`Browser::start`], end a passing test with [`Browser::close`]: a `Browser`
/// dropped without it counts as failed, and saves the same artifacts.
pub struct Browser {
    client: Option<Client>,
    driver_url: String,
    session_id: String,
    context: Option<SharedContext>,
    /// The test's own Chrome (the default), stopped by its keeper once asked.
    own_chrome: Option<ResourceFiles>,
    test: String,
    console: std::sync::Mutex<Vec<ConsoleEntry>>,
    service_log: Option<Box<dyn Fn() -> String + Send + Sync>>,
    closed: bool,
    /// The `#[harness::test]` whose outcome decides what becomes of it.
    scope: Option<Arc<Scope>>,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("driver_url", &self.driver_url)
            .field("session_id", &self.session_id)
            .field("shared_browser", &self.context.is_some())
            .field("test", &self.test)
            .finish()
    }
}

fn capabilities(chrome_options: Value) -> serde_json::Map<String, Value> {
    let Value::Object(map) = json!({
        "browserName": "chrome",
        "goog:chromeOptions": chrome_options,
        // Lets `POST /session/{id}/se/log` return the console.
        "goog:loggingPrefs": {"browser": "ALL"},
    }) else {
        unreachable!("a JSON object literal")
    };
    map
}

async fn new_session(
    url: &str,
    chrome_options: Value,
    driver_version: &str,
) -> Result<Client, BrowserError> {
    let mut builder = ClientBuilder::new(HttpConnector::new());
    builder.capabilities(capabilities(chrome_options));
    builder.connect(url).await.map_err(|source| {
        if let fantoccini::error::NewSessionError::SessionNotCreated(refusal) = &source
            && let Some(mismatch) = locate::mismatch_in(&refusal.message, driver_version)
        {
            return mismatch;
        }
        BrowserError::Session {
            url: url.to_owned(),
            source,
        }
    })
}

fn setup_error(what: &str) -> impl FnOnce(fantoccini::error::CmdError) -> BrowserError {
    let what = what.to_owned();
    move |source| BrowserError::Setup { what, source }
}

/// Start (or find) the run's WebDriver server now, and its shared browser with
/// `HARNESS_BROWSER_REUSE=1`, so the first test does not pay for them; [`Browser::start`] does the
/// same when needed.
pub async fn warm_up() -> Result<(), BrowserError> {
    driver::setup().await.map(drop)
}

impl Browser {
    /// A new session for the running test, its window [`WINDOW_SIZE`] on `about:blank`.
    ///
    /// A failure to get a browser is an error that says what to fix; so is `HARNESS_BROWSER=skip`:
    /// a test that needs a browser never passes without one (leave such tests out by name
    /// instead, and nextest lists them as skipped: see the README).
    pub async fn start() -> Result<Browser, BrowserError> {
        Browser::start_for(crate::database::current_test_name(), None).await
    }

    pub(crate) async fn start_for(
        test: String,
        scope: Option<Arc<Scope>>,
    ) -> Result<Browser, BrowserError> {
        match config::var(config::BROWSER) {
            Some(value) if value.eq_ignore_ascii_case("skip") => {
                return Err(BrowserError::Skipped {
                    variable: config::BROWSER,
                });
            }
            Some(value) if !value.eq_ignore_ascii_case("chrome") => {
                return Err(BrowserError::Config {
                    variable: config::BROWSER,
                    value,
                    expected: "skip, chrome or unset",
                });
            }
            _ => {}
        }
        artifacts::clear_earlier(&test);
        let setup = driver::setup().await?;
        let flags = driver::chrome_flags();
        let mut own_chrome = None;
        let started = Browser::open(setup, flags, &mut own_chrome).await;
        let (client, context) = match started {
            Ok(opened) => opened,
            Err(e) => {
                if let Some(files) = &own_chrome {
                    driver::stop_own_chrome(files);
                }
                return Err(e);
            }
        };
        let session_id = match client.session_id().await {
            Ok(id) => id.unwrap_or_default(),
            Err(source) => {
                if let Some(files) = &own_chrome {
                    driver::stop_own_chrome(files);
                }
                return Err(setup_error("read the session id")(source));
            }
        };
        Ok(Browser {
            client: Some(client),
            driver_url: setup.driver_url().to_owned(),
            session_id,
            context,
            own_chrome,
            test,
            console: std::sync::Mutex::new(Vec::new()),
            service_log: None,
            closed: false,
            scope,
        })
    }

    async fn open(
        setup: &Setup,
        flags: Vec<String>,
        own_chrome: &mut Option<ResourceFiles>,
    ) -> Result<(Client, Option<SharedContext>), BrowserError> {
        Ok(match setup {
            Setup::Remote { url } => (new_session(url, json!({"args": flags}), "").await?, None),
            Setup::Local {
                driver,
                chrome,
                shared: None,
            } => {
                let (own, files) = driver::start_own_chrome(chrome).await?;
                *own_chrome = Some(files);
                locate::check_versions(&driver.version, &own.version)?;
                let options = json!({"debuggerAddress": own.debugger_address});
                let client = new_session(&driver.url, options, &driver.version).await?;
                (client, None)
            }
            Setup::Local {
                driver,
                shared: Some(shared),
                ..
            } => {
                let mut devtools = DevTools::connect(&shared.websocket_url).await?;
                // The tab first: chromedriver attaches a new session to the newest tab, and
                // blocks until that tab's pending navigation ends. Our own fresh tab has none;
                // another test's tab might be waiting on a page that never loads.
                let tab = devtools.isolated_tab(WINDOW).await?;
                let options = json!({"debuggerAddress": shared.debugger_address});
                let client = new_session(&driver.url, options, &driver.version).await?;
                let handle = WindowHandle::try_from(tab.target_id.clone()).map_err(|_| {
                    BrowserError::DevTools {
                        endpoint: shared.websocket_url.clone(),
                        what: "create a tab".into(),
                        reason: format!("unusable target id {:?}", tab.target_id),
                    }
                })?;
                client
                    .switch_to_window(handle)
                    .await
                    .map_err(setup_error("switch to the test's own tab"))?;
                let context = SharedContext {
                    devtools: tokio::sync::Mutex::new(devtools),
                    websocket_url: shared.websocket_url.clone(),
                    tab,
                };
                (client, Some(context))
            }
        })
    }

    /// Where to read the service's log from should the test fail (e.g. `ChildService::log`, or a
    /// buffer the test's tracing writes into); saved as `service.log` with the other artifacts.
    pub fn attach_log(&mut self, source: impl Fn() -> String + Send + Sync + 'static) {
        self.service_log = Some(Box::new(source));
    }

    /// The fantoccini client, for anything this API lacks.
    pub fn client(&self) -> &Client {
        self.client
            .as_ref()
            .expect("the client lives until close() consumes the Browser")
    }

    /// The WebDriver server's URL (`http://127.0.0.1:<port>` for the harness's chromedriver).
    pub fn webdriver_url(&self) -> &str {
        &self.driver_url
    }

    /// The WebDriver session id.
    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Whether this session is a context in the run's shared browser (rather than a browser of
    /// its own).
    pub fn is_shared_browser(&self) -> bool {
        self.context.is_some()
    }

    /// Auto-waiting assertions on the elements matching a CSS selector.
    pub fn expect(&self, selector: &str) -> Expect<'_> {
        Expect::new(self, selector)
    }

    /// Navigate and wait for the page's load event.
    pub async fn goto(&self, url: &str) -> Result<(), ActionError> {
        self.client()
            .goto(url)
            .await
            .map_err(command(format!("open {url}")))
    }

    /// The current page's URL.
    pub async fn url(&self) -> Result<String, ActionError> {
        self.client()
            .current_url()
            .await
            .map(String::from)
            .map_err(command("read the page's URL".into()))
    }

    /// The first element matching `selector`, now (callers wait for it first).
    async fn find(&self, selector: &str) -> Result<fantoccini::elements::Element, ActionError> {
        self.client()
            .find(Locator::Css(selector))
            .await
            .map_err(command(format!("find `{selector}`")))
    }

    /// Click the first element matching `selector` once it is visible and enabled.
    pub async fn click(&self, selector: &str) -> Result<(), ActionError> {
        self.expect(selector).until_actionable().await?;
        let element = self.find(selector).await?;
        element
            .click()
            .await
            .map_err(command(format!("click `{selector}`")))
    }

    /// Replace the value of a text field, as Playwright's `fill` does: focus, set the value, and
    /// fire `input` and `change` (typing a long text key by key would only cost time).
    pub async fn fill(&self, selector: &str, text: &str) -> Result<(), ActionError> {
        self.expect(selector).until_actionable().await?;
        const FILL: &str = "const el = document.querySelector(arguments[0]); el.focus(); \
             el.value = arguments[1]; \
             el.dispatchEvent(new Event('input', {bubbles: true})); \
             el.dispatchEvent(new Event('change', {bubbles: true}));";
        self.client()
            .execute(FILL, vec![json!(selector), json!(text)])
            .await
            .map(drop)
            .map_err(command(format!("fill `{selector}`")))
    }

    /// Type into an element key by key (real key events), after what it already holds.
    pub async fn type_text(&self, selector: &str, text: &str) -> Result<(), ActionError> {
        self.expect(selector).until_actionable().await?;
        let element = self.find(selector).await?;
        element
            .send_keys(text)
            .await
            .map_err(command(format!("type into `{selector}`")))
    }

    /// The visible text of the first element matching `selector`, once there is one.
    pub async fn text(&self, selector: &str) -> Result<String, ActionError> {
        self.expect(selector).to_be_visible().await?;
        let element = self.find(selector).await?;
        element
            .text()
            .await
            .map_err(command(format!("read the text of `{selector}`")))
    }

    /// Run a script in the page (`arguments[i]` are `args`) and return its result.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value, ActionError> {
        self.client()
            .execute(script, args)
            .await
            .map_err(command("run a script in the page".into()))
    }

    /// Every console message of this session so far (chromedriver hands each out once; the
    /// harness keeps them, so later calls and the artifacts still have them).
    pub async fn console_log(&self) -> Result<Vec<ConsoleEntry>, ActionError> {
        let fresh = artifacts::read_console(&self.driver_url, &self.session_id)
            .await
            .map_err(|reason| ActionError::Io {
                path: PathBuf::from(format!(
                    "{}/session/{}/se/log",
                    self.driver_url, self.session_id
                )),
                source: std::io::Error::other(reason),
            })?;
        let mut console = self.console.lock().unwrap_or_else(|e| e.into_inner());
        console.extend(fresh);
        Ok(console.clone())
    }

    /// Save the artifacts now (screenshot, HTML, console, service log) and return their directory.
    pub async fn save_artifacts(&self, reason: &str) -> Result<PathBuf, ActionError> {
        let job = self.failure_job(reason);
        artifacts::save(&job).await
    }

    fn failure_job(&self, reason: &str) -> FailureJob {
        let service_log = match self.service_log.as_ref() {
            Some(source) => Some(
                // A panic in the source must not become a panic in Drop (an abort while unwinding).
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(source))
                    .unwrap_or_else(|_| "(the service log source panicked)".into()),
            ),
            // An in-process service logs into this process: what the harness captured of it.
            None => Some(crate::capture::since(0)).filter(|log| !log.trim().is_empty()),
        };
        FailureJob {
            test: self.test.clone(),
            reason: reason.to_owned(),
            driver_url: self.driver_url.clone(),
            session_id: self.session_id.clone(),
            console: self
                .console
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            service_log,
        }
    }

    /// End the session of a passing test: the WebDriver session is deleted and the test's context
    /// (or its browser) removed.
    pub async fn close(mut self) -> Result<(), ActionError> {
        self.closed = true;
        let client = self.client.take().expect("close runs once");
        let ended = client
            .close()
            .await
            .map_err(command("end the browser session".into()));
        if let Some(context) = self.context.take() {
            // Waited for, so the tab is gone when close returns; dropping the connection would
            // dispose of the context too, a moment later.
            let _ = context
                .devtools
                .into_inner()
                .dispose(&context.tab.context_id)
                .await;
        }
        if let Some(files) = self.own_chrome.take() {
            driver::stop_own_chrome(&files);
        }
        ended
    }
}

fn command(action: String) -> impl FnOnce(fantoccini::error::CmdError) -> ActionError {
    move |source| match super::wait::session_lost(&source) {
        Some(reason) => ActionError::SessionGone {
            action,
            reason,
            source: Box::new(source),
        },
        None => ActionError::Command { action, source },
    }
}

impl crate::Fixture for Browser {
    async fn setup(test: &TestContext) -> Result<Self, FixtureError> {
        Ok(test.browser().await?)
    }
}

/// What a `Browser` leaves to end once it is known whether its test failed.
pub(crate) struct Leftover {
    job: FailureJob,
    /// Kept, unused, until the end: fantoccini's client runs on the test's runtime, which may be
    /// gone or blocked by then (the session is ended over HTTP), and dropping it first could end
    /// the session.
    client: Option<Client>,
    /// The test's context in the shared browser. Its connection is kept open until the artifacts
    /// are saved: the context was created to be disposed of when it closes, and its tab with it.
    shared: Option<SharedContext>,
    own_chrome: Option<ResourceFiles>,
}

impl Leftover {
    /// Save the artifacts if the test failed (`failure` says why), then end the session and
    /// whatever browser or context it had.
    pub(crate) async fn end(mut self, failure: Option<&str>) {
        let saved = match failure {
            Some(reason) => {
                self.job.reason = reason.to_owned();
                Some(artifacts::save(&self.job).await)
            }
            None => None,
        };
        let ended = tokio::time::timeout(
            Duration::from_secs(10),
            driver::http_json(
                reqwest::Method::DELETE,
                &format!("{}/session/{}", self.job.driver_url, self.job.session_id),
                None,
            ),
        )
        .await
        .is_ok_and(|deleted| deleted.is_ok());
        // Over a connection of its own: the context's own may be bound to a runtime that is gone.
        if let Some(shared) = &self.shared
            && let Ok(mut devtools) = DevTools::connect(&shared.websocket_url).await
        {
            let _ = devtools.dispose(&shared.tab.context_id).await;
        }
        if let Some(files) = &self.own_chrome {
            driver::stop_own_chrome(files);
        }
        drop(self.shared.take());
        drop(self.client.take());
        if !ended {
            eprintln!(
                "harness: the browser session {} may not have closed",
                self.job.session_id
            );
        }
        match saved {
            Some(Ok(dir)) => eprintln!(
                "harness: browser test failed ({}); screenshot, page HTML, browser console and \
                 service log saved in {}",
                self.job.reason,
                dir.display()
            ),
            Some(Err(e)) => eprintln!(
                "harness: cannot save the failed browser test's artifacts: {}",
                crate::error_chain(&e)
            ),
            None => {}
        }
    }
}

impl Browser {
    /// What is left to end of this session, taken out of it.
    fn leftover(&mut self, reason: &str) -> Leftover {
        Leftover {
            job: self.failure_job(reason),
            client: self.client.take(),
            shared: self.context.take(),
            own_chrome: self.own_chrome.take(),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        let reason = if std::thread::panicking() {
            "the test panicked"
        } else {
            "the Browser was dropped without Browser::close(): the test returned early, most \
             likely with an error"
        };
        if let Some(scope) = self.scope.take()
            && scope.defer(|| crate::testing::Leftover::Browser(Box::new(self.leftover(reason))))
        {
            return;
        }
        // Drop cannot await, and the test's runtime may be a current-thread one that this thread
        // is blocking: the work runs on a thread of its own, over HTTP connections of its own.
        let leftover = self.leftover(reason);
        let ended = std::thread::spawn(move || match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(leftover.end(Some(reason))),
            Err(e) => eprintln!("harness: cannot save the failed browser test's artifacts: {e}"),
        })
        .join();
        if ended.is_err() {
            eprintln!("harness: saving the failed browser test's artifacts panicked");
        }
    }
}
