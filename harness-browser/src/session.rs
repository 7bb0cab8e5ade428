//! `Browser`: one test's browser session, closed when the test ends, with artifacts saved when it
//! fails.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::wd::WindowHandle;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::actions::command;
use super::artifacts::{self, ConsoleFile, FailureJob};
use super::devtools::{DevTools, IsolatedTab};
use super::driver::{self, ChromeState, DriverState, FirefoxState, Kind, Setup, WINDOW};
use super::error::{ActionError, BrowserError};
use super::locate;
use super::pool::Slot;
use super::profiler::Profiler;
use super::report::{Comparison, Shot, StepRecord};
use harness_core::config;
use harness_core::keeper::ResourceFiles;
use harness_core::{FixtureError, TestContext};
use harness_core::{Stage, Teardown, TeardownSlot, TestEnd};

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

/// The test's context in a browser of the run's: lent to this test alone (`pool.rs`), or shared
/// by every test (`HARNESS_BROWSER_REUSE=1`).
struct SharedContext {
    /// Held for the whole test: the context was created with `disposeOnDetach`, so it also
    /// disappears should this process die without closing it.
    devtools: tokio::sync::Mutex<DevTools>,
    websocket_url: String,
    tab: IsolatedTab,
    /// The slot of a lent browser: let go (by dropping) once the context is disposed of.
    slot: Option<Slot>,
}

/// A session in a fresh context of a running Chrome of the run's. `slot`: the browser is lent
/// to this test alone, so any other context in it is a dead test's, and goes first.
async fn in_context(
    driver: &DriverState,
    chrome: &ChromeState,
    slot: Option<Slot>,
) -> Result<Opened, BrowserError> {
    let _span = harness_core::timings::span(|| "browser: a context in a running Chrome".to_owned());
    let connecting = harness_core::timings::span(|| "browser: DevTools connected".to_owned());
    let mut devtools = DevTools::connect(&chrome.websocket_url).await?;
    drop(connecting);
    if slot.is_some() {
        let started = Instant::now();
        let contexts = devtools
            .call("Target.getBrowserContexts", json!({}))
            .await?;
        let leftovers: Vec<&str> = contexts["browserContextIds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| id.as_str())
            .collect();
        for id in &leftovers {
            devtools.dispose(id).await?;
        }
        harness_core::timings::record(started, || {
            format!("browser: {} leftover contexts disposed of", leftovers.len())
        });
    }
    // The tab first: chromedriver attaches a new session to the newest tab, and blocks until
    // that tab's pending navigation ends. Our own fresh tab has none.
    let making = harness_core::timings::span(|| "browser: its context and tab".to_owned());
    let tab = devtools.isolated_tab(WINDOW).await?;
    drop(making);
    let options = json!({"debuggerAddress": chrome.debugger_address});
    let attaching =
        harness_core::timings::span(|| "browser: chromedriver's session attached".to_owned());
    let client = new_session(&driver.url, chrome_capabilities(options), &driver.version).await?;
    drop(attaching);
    let handle =
        WindowHandle::try_from(tab.target_id.clone()).map_err(|_| BrowserError::DevTools {
            endpoint: chrome.websocket_url.clone(),
            what: "create a tab".into(),
            reason: format!("unusable target id {:?}", tab.target_id),
        })?;
    client
        .switch_to_window(handle)
        .await
        .map_err(setup_error("switch to the test's own tab"))?;
    let devtools_tab = Some((chrome.debugger_address.clone(), tab.target_id.clone()));
    let shots = Some(ShotSource::DevTools {
        websocket_url: chrome.websocket_url.clone(),
        tab: tab.target_id.clone(),
    });
    let context = SharedContext {
        devtools: tokio::sync::Mutex::new(devtools),
        websocket_url: chrome.websocket_url.clone(),
        tab,
        slot,
    };
    Ok(Opened {
        client,
        devtools_tab,
        driver_url: driver.url.clone(),
        context: Some(context),
        console_file: None,
        lease: None,
        shots,
    })
}

/// Clears a lent Firefox for its next test, in the browser's own (privileged) scope: a fresh tab,
/// every other tab and window closed (their pages' session storage and history with them, their
/// beforeunload handlers not asked), then every site's data cleared (cookies, storage, cache,
/// permissions), as a fresh profile has none. The tab keeps its initial blank document
/// (`skipLoad`): a load of `about:blank` still under way would end the test's first navigation
/// for Marionette before its page is there (measured: 2 in 30 without, none in 100 with).
const RESET_LENT_FIREFOX: &str = r#"
const done = arguments[arguments.length - 1];
const [main, ...others] = Services.wm.getEnumerator("navigator:browser");
for (const window of others) window.close();
const tabs = main.gBrowser;
const fresh = tabs.addTrustedTab("about:blank", { skipLoad: true });
tabs.selectedTab = fresh;
for (const tab of [...tabs.tabs]) {
  if (tab !== fresh) tabs.removeTab(tab, { animate: false, skipPermitUnload: true });
}
Services.clearData.deleteData(Ci.nsIClearDataService.CLEAR_ALL, () => done(null));
"#;

/// A session in a running Firefox of the run's, lent to this test alone, through a geckodriver of
/// the test's own; the browser is cleared of the previous test's tabs and data first.
async fn in_lent_firefox(
    geckodriver: &std::path::Path,
    firefox: &std::path::Path,
    lent: super::pool::Lent<FirefoxState>,
    own: &mut Option<ResourceFiles>,
) -> Result<Opened, BrowserError> {
    let _span = harness_core::timings::span(|| "browser: a session in a lent Firefox".to_owned());
    // From here on, the log is this test's.
    let console_file = ConsoleFile::from_now(lent.browser.log.clone());
    let (url, files, _) =
        driver::start_own_geckodriver(geckodriver, Some(lent.browser.marionette_port)).await?;
    *own = Some(files);
    let mut capabilities = firefox_capabilities(None, false);
    // The session's BiDi socket, for the steps' screenshots.
    capabilities.insert("webSocketUrl".into(), json!(true));
    let client = new_firefox_session(&url, capabilities, geckodriver, firefox).await?;
    let websocket_url = client
        .capabilities()
        .and_then(|c| c.get("webSocketUrl"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let session = format!(
        "{url}/session/{}",
        client
            .session_id()
            .await
            .map_err(setup_error("read the session id"))?
            .unwrap_or_default()
    );
    let reset = async {
        let switch = format!("{session}/moz/context");
        let context = |name: &str| {
            driver::http_json(
                reqwest::Method::POST,
                &switch,
                Some(json!({"context": name})),
            )
        };
        context("chrome").await?;
        let cleared = driver::http_json(
            reqwest::Method::POST,
            &format!("{session}/execute/async"),
            Some(json!({"script": RESET_LENT_FIREFOX, "args": []})),
        )
        .await;
        context("content").await?;
        match cleared?.get("value").and_then(|v| v.get("message")) {
            Some(message) => Err(message.to_string()),
            None => Ok(()),
        }
    };
    reset.await.map_err(|reason| BrowserError::LentFirefox {
        url: url.clone(),
        reason,
    })?;
    // The fresh tab is the only one left.
    let tabs = client
        .windows()
        .await
        .map_err(setup_error("list the tabs"))?;
    let tab = tabs
        .into_iter()
        .next()
        .ok_or_else(|| BrowserError::LentFirefox {
            url: url.clone(),
            reason: "no tab left".into(),
        })?;
    let shots = websocket_url.map(|websocket_url| ShotSource::Bidi {
        websocket_url,
        tab: String::from(tab.clone()),
    });
    client
        .switch_to_window(tab)
        .await
        .map_err(setup_error("switch to the test's own tab"))?;
    client
        .set_window_size(WINDOW.0, WINDOW.1)
        .await
        .map_err(setup_error("size the window"))?;
    Ok(Opened {
        client,
        devtools_tab: None,
        driver_url: url,
        context: None,
        console_file: Some(console_file),
        lease: Some(lent.slot),
        shots,
    })
}

/// A headless browser session of one test: by default a fresh browser context (its own cookies,
/// storage, cache and tab) in a running Chrome of the run's, lent to this test alone (a fresh
/// Chrome with a fresh profile with `HARNESS_BROWSER_POOL=0`, or when every one is lent); with
/// `HARNESS_BROWSER_REUSE=1` a context in the one Chrome every test shares; a fresh Firefox with
/// `HARNESS_BROWSER=firefox`; or a session of the remote WebDriver named by
/// `HARNESS_WEBDRIVER_URL`.
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
    /// The test's own Chrome (the default) or geckodriver and Firefox, stopped by its keeper once
    /// asked.
    own: Option<ResourceFiles>,
    /// Firefox writes the page's console here (geckodriver has no log endpoint).
    console_file: Option<ConsoleFile>,
    /// The pool's slot of a lent Firefox: let go once the session is deleted.
    lease: Option<Slot>,
    /// With `HARNESS_JS_COVERAGE`, on Chrome: the page's coverage, taken before navigations.
    profiler: Option<Profiler>,
    kind: Kind,
    test: String,
    console: std::sync::Mutex<Vec<ConsoleEntry>>,
    service_log: Option<Box<dyn Fn() -> String + Send + Sync>>,
    closed: bool,
    /// The `#[harness::test]` whose outcome decides what becomes of it.
    slot: Option<TeardownSlot>,
    pub(crate) default_timeout: std::sync::Mutex<Duration>,
    /// When the session started: steps are timed from here.
    started: Instant,
    /// Every step so far, for the failed test's report.
    steps: std::sync::Mutex<Vec<StepRecord>>,
    /// The names of the `Browser::step` groups running, outermost first.
    groups: std::sync::Mutex<Vec<String>>,
    /// Whether each step ends with a screenshot (`HARNESS_STEP_SCREENSHOTS`).
    step_screenshots: bool,
    /// The steps' screenshots still being taken in the background.
    shooting: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// Where visual baselines go, if the test said (else beside its source).
    snapshot_dir: std::sync::Mutex<Option<PathBuf>>,
    /// The visual comparisons that failed, for the report.
    comparisons: std::sync::Mutex<Vec<Comparison>>,
    /// Where they are taken in the background, if they can be.
    shots: Option<ShotSource>,
    /// Their connection to the test's tab, made by the first.
    shooter: std::sync::Arc<tokio::sync::Mutex<Option<TabSocket>>>,
    /// The harness's own connection to the tab, for its scripts and input (`script`), made by
    /// the first; `None` again after it failed, for the next to try afresh.
    scripts: tokio::sync::Mutex<Option<TabSocket>>,
}

/// Where the steps' screenshots can be taken beside the test's WebDriver session, which would
/// hold the test's next command until one is done.
#[derive(Debug, Clone)]
enum ShotSource {
    /// Chrome: the browser's DevTools, attached to the test's tab (a target id).
    DevTools { websocket_url: String, tab: String },
    /// Firefox: the session's own WebDriver BiDi socket, on the test's tab (a browsing context
    /// id, which is its WebDriver window handle).
    Bidi { websocket_url: String, tab: String },
}

/// How long the harness's own socket to a tab may take over a script or an input event before
/// WebDriver is asked instead: far more than any read takes, and what a page holding it with a
/// dialog costs once.
const SCRIPT_SOCKET_TIMEOUT: Duration = Duration::from_secs(2);

/// What came of a command over the tab's own socket (DevTools' or WebDriver BiDi's).
enum Answer {
    /// Its answer, `None` if it failed.
    Given(Option<Value>),
    /// Sent, and no answer in time: the page holds it.
    Held,
    /// There is no socket of the command's protocol (a browser of the test's own has none), or
    /// it could not be made: nothing was sent.
    NoSocket,
}

/// A connection to a [`ShotSource`]'s tab: one for the steps' screenshots, made by the first,
/// and one for the harness's own scripts and input (`Browser::script`), made by the first read.
struct TabSocket {
    socket: DevTools,
    /// DevTools: the session attached to the tab; BiDi: none.
    session: Option<String>,
    source: ShotSource,
}

impl TabSocket {
    async fn attach(source: ShotSource) -> Result<TabSocket, BrowserError> {
        let (ShotSource::DevTools { websocket_url, .. } | ShotSource::Bidi { websocket_url, .. }) =
            &source;
        let mut socket = DevTools::connect(websocket_url).await?;
        let session = match &source {
            ShotSource::DevTools { tab, .. } => {
                let attached = socket
                    .call(
                        "Target.attachToTarget",
                        json!({"targetId": tab, "flatten": true}),
                    )
                    .await?;
                let session =
                    attached["sessionId"]
                        .as_str()
                        .ok_or_else(|| BrowserError::DevTools {
                            endpoint: websocket_url.clone(),
                            what: "Target.attachToTarget".into(),
                            reason: format!("no sessionId in {attached}"),
                        })?;
                Some(session.to_owned())
            }
            ShotSource::Bidi { .. } => None,
        };
        Ok(TabSocket {
            socket,
            session,
            source,
        })
    }

    /// `script` (a function body: `arguments` are `args`, and it `return`s) run in the tab's page,
    /// its value through JSON (DOM nodes as `null`): `Ok(Err(..))` is the page's exception.
    /// Chrome's `Runtime.evaluate` or BiDi's `script.evaluate`: one message on a socket already
    /// open, where a WebDriver `executeScript` is an HTTP request that chromedriver turns into
    /// several DevTools calls (Playwright runs its reads this way too).
    async fn evaluate(
        &mut self,
        script: &str,
        args: &[Value],
    ) -> Result<Result<Value, String>, BrowserError> {
        // A promise is awaited, as WebDriver's `executeScript` awaits one.
        let expression = format!(
            "(() => {{ const json = (value) => JSON.stringify(value, (key, value) => \
               typeof Node === 'function' && value instanceof Node ? null : value); \
             const value = (function () {{ {script}\n}}).apply(null, {}); \
             return value && typeof value.then === 'function' ? value.then(json) : json(value); }})()",
            Value::from(args.to_vec())
        );
        let (method, params) = match &self.source {
            ShotSource::DevTools { .. } => (
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            ),
            ShotSource::Bidi { tab, .. } => (
                "script.evaluate",
                json!({
                    "expression": expression,
                    "target": {"context": tab},
                    "awaitPromise": true,
                    "resultOwnership": "none",
                }),
            ),
        };
        let answer = self
            .socket
            .call_in(self.session.as_deref(), method, params)
            .await?;
        // DevTools: `{result, exceptionDetails?}`; BiDi: `{type: success, result}` or
        // `{type: exception, exceptionDetails}`.
        if let Some(exception) = answer.get("exceptionDetails") {
            let text = exception["exception"]["description"]
                .as_str()
                .or_else(|| exception["text"].as_str())
                .unwrap_or("an exception");
            return Ok(Err(text.to_owned()));
        }
        Ok(Ok(match answer["result"]["value"].as_str() {
            Some(json) => serde_json::from_str(json).unwrap_or(Value::Null),
            // `undefined` (a script that returns nothing) has no JSON.
            None => Value::Null,
        }))
    }

    /// A command in the tab, DevTools' or BiDi's (whose `context` is set to the tab): its
    /// answer, `None` if it failed.
    async fn command(&mut self, method: &str, mut params: Value) -> Option<Value> {
        if let ShotSource::Bidi { tab, .. } = &self.source {
            params["context"] = json!(tab);
        }
        self.socket
            .call_in(self.session.as_deref(), method, params)
            .await
            .ok()
    }

    /// The tab as a JPEG: what a report's step shows, at a fraction of a PNG's cost to the
    /// browser (whose encoding would otherwise slow the test's next steps).
    async fn jpeg(&mut self) -> Option<Vec<u8>> {
        use base64::Engine as _;
        let (method, params) = match &self.source {
            ShotSource::DevTools { .. } => (
                "Page.captureScreenshot",
                json!({"format": "jpeg", "quality": 70, "optimizeForSpeed": true}),
            ),
            ShotSource::Bidi { tab, .. } => (
                "browsingContext.captureScreenshot",
                json!({"context": tab, "format": {"type": "image/jpeg", "quality": 0.7}}),
            ),
        };
        let answer = self
            .socket
            .call_in(self.session.as_deref(), method, params)
            .await
            .ok()?;
        base64::engine::general_purpose::STANDARD
            .decode(answer["data"].as_str()?)
            .ok()
    }
}

/// The runtime the steps' screenshots are taken on: the process's, not the test's, so that a
/// screenshot under way when a failing test's runtime ends still reaches its report. `None` if
/// it cannot be made: the screenshots are then taken at once.
fn background() -> Option<&'static tokio::runtime::Handle> {
    static RUNTIME: std::sync::OnceLock<Option<tokio::runtime::Runtime>> =
        std::sync::OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("harness-screenshots")
                .enable_all()
                .build()
                .ok()
        })
        .as_ref()
        .map(tokio::runtime::Runtime::handle)
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

/// A new session's parts, before it becomes a `Browser`.
struct Opened {
    client: Client,
    /// Chrome: `127.0.0.1:<port>` of its DevTools, and the tab's target id (for JS coverage).
    devtools_tab: Option<(String, String)>,
    driver_url: String,
    context: Option<SharedContext>,
    /// Firefox: the log its console is written to.
    console_file: Option<ConsoleFile>,
    /// A lent Firefox's slot.
    lease: Option<Slot>,
    shots: Option<ShotSource>,
}

fn object(value: Value) -> serde_json::Map<String, Value> {
    let Value::Object(map) = value else {
        unreachable!("a JSON object literal")
    };
    map
}

fn chrome_capabilities(chrome_options: Value) -> serde_json::Map<String, Value> {
    object(json!({
        "browserName": "chrome",
        "goog:chromeOptions": chrome_options,
        // Lets `POST /session/{id}/se/log` return the console.
        "goog:loggingPrefs": {"browser": "ALL"},
    }))
}

/// A Firefox's capabilities: started by geckodriver (from `binary`, or its own choice), or
/// already running (`start: false`: the options a start takes are refused then).
fn firefox_capabilities(
    binary: Option<&std::path::Path>,
    start: bool,
) -> serde_json::Map<String, Value> {
    let mut capabilities = json!({"browserName": "firefox"});
    if start {
        let mut options = json!({
            "args": ["-headless", "-no-remote"],
            "prefs": driver::firefox_prefs(),
        });
        if let Some(binary) = binary {
            options["binary"] = json!(binary);
        }
        capabilities["moz:firefoxOptions"] = options;
    }
    object(capabilities)
}

/// A geckodriver's new session, its refusal explained when the versions of geckodriver and
/// Firefox are the cause.
async fn new_firefox_session(
    url: &str,
    capabilities: serde_json::Map<String, Value>,
    geckodriver: &std::path::Path,
    firefox: &std::path::Path,
) -> Result<Client, BrowserError> {
    new_session(url, capabilities, "")
        .await
        .map_err(|e| match &e {
            BrowserError::Session {
                source: fantoccini::error::NewSessionError::SessionNotCreated(refusal),
                ..
            } => locate::firefox_refusal(
                &refusal.message,
                &driver::version_line(geckodriver),
                &driver::version_line(firefox),
            )
            .unwrap_or(e),
            _ => e,
        })
}

async fn new_session(
    url: &str,
    capabilities: serde_json::Map<String, Value>,
    driver_version: &str,
) -> Result<Client, BrowserError> {
    let mut builder = ClientBuilder::new(HttpConnector::new());
    builder.capabilities(capabilities);
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
        Browser::start_for(harness_core::current_test_name(), None).await
    }

    pub(crate) async fn start_for(
        test: String,
        slot: Option<TeardownSlot>,
    ) -> Result<Browser, BrowserError> {
        let Some(kind) = driver::kind()? else {
            return Err(BrowserError::Skipped {
                variable: config::BROWSER,
            });
        };
        let default_timeout = driver::settings()?.expect_timeout;
        // A failed test's report goes into its artifacts directory (and its kept databases'
        // dumps with it); an earlier run's files of the test go now.
        match &slot {
            Some(slot) => drop(slot.artifacts_dir()),
            None => harness_core::artifacts::clear_earlier(&test),
        }
        let finding =
            harness_core::timings::span(|| "browser: the run's WebDriver server".to_owned());
        let setup = driver::setup().await?;
        drop(finding);
        let mut own = None;
        let opening = harness_core::timings::span(|| "browser: a session".to_owned());
        let started = Browser::open(setup, kind, &mut own).await;
        drop(opening);
        let stop = |own: &Option<ResourceFiles>| {
            if let Some(files) = own {
                driver::stop_own(files);
            }
        };
        let opened = match started {
            Ok(opened) => opened,
            Err(e) => {
                stop(&own);
                return Err(e);
            }
        };
        let session_id = match opened.client.session_id().await {
            Ok(id) => id.unwrap_or_default(),
            Err(source) => {
                stop(&own);
                return Err(setup_error("read the session id")(source));
            }
        };
        let profiler = match &opened.devtools_tab {
            Some((address, target)) => match Profiler::start_if_asked(address, target).await {
                Ok(profiler) => profiler,
                Err(e) => {
                    stop(&own);
                    return Err(e);
                }
            },
            None => None,
        };
        Ok(Browser {
            client: Some(opened.client),
            driver_url: opened.driver_url,
            session_id,
            context: opened.context,
            own,
            console_file: opened.console_file,
            lease: opened.lease,
            profiler,
            kind,
            test,
            console: std::sync::Mutex::new(Vec::new()),
            service_log: None,
            closed: false,
            slot,
            default_timeout: std::sync::Mutex::new(default_timeout),
            started: Instant::now(),
            steps: std::sync::Mutex::new(Vec::new()),
            groups: std::sync::Mutex::new(Vec::new()),
            step_screenshots: config::current().step_screenshots,
            shooting: std::sync::Mutex::new(Vec::new()),
            shots: opened.shots,
            shooter: std::sync::Arc::new(tokio::sync::Mutex::new(None)),
            scripts: tokio::sync::Mutex::new(None),
            snapshot_dir: std::sync::Mutex::new(None),
            comparisons: std::sync::Mutex::new(Vec::new()),
        })
    }

    async fn open(
        setup: &Setup,
        kind: Kind,
        own: &mut Option<ResourceFiles>,
    ) -> Result<Opened, BrowserError> {
        let opened = |client, driver_url: &str| Opened {
            client,
            devtools_tab: None,
            driver_url: driver_url.to_owned(),
            context: None,
            console_file: None,
            lease: None,
            shots: None,
        };
        Ok(match setup {
            Setup::Remote { url } => {
                let capabilities = match kind {
                    Kind::Chrome => chrome_capabilities(json!({"args": driver::chrome_flags()})),
                    Kind::Firefox => firefox_capabilities(None, true),
                };
                opened(new_session(url, capabilities, "").await?, url)
            }
            Setup::Firefox {
                geckodriver,
                firefox,
                pool,
            } => {
                // A running Firefox of the run's, lent to this test alone; a Firefox of the
                // test's own when every one is lent.
                let key = super::pool::firefox_key(firefox);
                let start = |files| driver::start_firefox(firefox.clone(), files);
                if let Some(lent) = super::pool::borrow(pool, &key, true, start).await? {
                    return in_lent_firefox(geckodriver, firefox, lent, own).await;
                }
                let (url, files, log) = driver::start_own_geckodriver(geckodriver, None).await?;
                *own = Some(files);
                let client = new_firefox_session(
                    &url,
                    firefox_capabilities(Some(firefox), true),
                    geckodriver,
                    firefox,
                )
                .await?;
                client
                    .set_window_size(WINDOW.0, WINDOW.1)
                    .await
                    .map_err(setup_error("size the window"))?;
                Opened {
                    console_file: Some(ConsoleFile::from_now(log)),
                    ..opened(client, &url)
                }
            }
            Setup::Local {
                driver,
                chrome,
                shared: None,
                pool,
            } => {
                // A running Chrome of the run's, lent to this test alone, and a fresh context in
                // it; a Chrome of the test's own when every one is lent.
                let key = super::pool::chrome_key(chrome);
                let start = |files| driver::start_chrome(chrome.clone(), files);
                if let Some(lent) = super::pool::borrow(pool, &key, false, start).await? {
                    locate::check_versions(&driver.version, &lent.browser.version)?;
                    return in_context(driver, &lent.browser, Some(lent.slot)).await;
                }
                let starting = harness_core::timings::span(|| {
                    "browser: a Chrome of the test's own".to_owned()
                });
                let (chrome_state, files) = driver::start_own_chrome(chrome).await?;
                drop(starting);
                *own = Some(files);
                locate::check_versions(&driver.version, &chrome_state.version)?;
                let options = json!({"debuggerAddress": chrome_state.debugger_address});
                let client =
                    new_session(&driver.url, chrome_capabilities(options), &driver.version).await?;
                // chromedriver's window handles are DevTools target ids.
                let tab = client
                    .window()
                    .await
                    .map_err(setup_error("read the tab's handle"))?;
                Opened {
                    devtools_tab: Some((chrome_state.debugger_address, String::from(tab))),
                    ..opened(client, &driver.url)
                }
            }
            Setup::Local {
                driver,
                shared: Some(shared),
                ..
            } => in_context(driver, shared, None).await?,
        })
    }

    /// Which browser this is: `chrome` or `firefox`.
    pub fn browser_name(&self) -> &'static str {
        self.kind.name()
    }

    /// Where to read the service's log from should the test fail (e.g. `ChildService::log`, or a
    /// buffer the test's tracing writes into); saved as `service.log` with the other artifacts.
    pub fn attach_log(&mut self, source: impl Fn() -> String + Send + Sync + 'static) {
        self.service_log = Some(Box::new(source));
    }

    /// Run one of the harness's scripts in the page (a function body: `arguments` are `args`;
    /// none may be an element reference): over the tab's own socket where there is one (the
    /// run's browsers, lent or shared), else through WebDriver. The socket's page is the tab's
    /// top document, as WebDriver's is until a test switches frames through
    /// [`client`](Self::client). A page's exception is a WebDriver `javascript error`, so that
    /// either way reads the same to the caller.
    pub(crate) async fn script(
        &self,
        script: &str,
        args: Vec<Value>,
    ) -> Result<Value, fantoccini::error::CmdError> {
        if let Some(source) = &self.shots {
            let mut socket = self.tab_socket(source).await;
            if let Some(tab) = socket.as_mut() {
                match tokio::time::timeout(SCRIPT_SOCKET_TIMEOUT, tab.evaluate(script, &args)).await
                {
                    Ok(Ok(Ok(value))) => return Ok(value),
                    Ok(Ok(Err(exception))) => {
                        return Err(fantoccini::error::CmdError::Standard(
                            fantoccini::error::WebDriver::new(
                                fantoccini::error::ErrorStatus::JavascriptError,
                                exception,
                            ),
                        ));
                    }
                    // The socket failed or the page did not answer (a dialog open holds it):
                    // this read goes through WebDriver, which reports a dead browser or handles
                    // the dialog as a session does, and the next tries a fresh socket.
                    Ok(Err(_)) | Err(_) => *socket = None,
                }
            }
        }
        self.client().execute(script, args).await
    }

    /// The harness's own socket to the test's tab, made if there is none yet; `None` in the
    /// guard if it cannot be made now (the next call tries again).
    async fn tab_socket(
        &self,
        source: &ShotSource,
    ) -> tokio::sync::MutexGuard<'_, Option<TabSocket>> {
        let mut socket = self.scripts.lock().await;
        if socket.is_none() {
            let _span = harness_core::timings::span(|| {
                "browser: a socket to the tab of its own".to_owned()
            });
            *socket =
                tokio::time::timeout(SCRIPT_SOCKET_TIMEOUT, TabSocket::attach(source.clone()))
                    .await
                    .ok()
                    .and_then(Result::ok);
        }
        socket
    }

    /// Whether the test's tab has a DevTools socket of the harness's own (Chrome, a browser of
    /// the run's) for [`devtools_command`](Self::devtools_command) to take.
    pub(crate) fn has_devtools_socket(&self) -> bool {
        matches!(self.shots, Some(ShotSource::DevTools { .. }))
    }

    /// A DevTools command in the test's tab (Chrome's `Input` events): over the tab's own socket
    /// where there is one, else through chromedriver's DevTools endpoint (`goog/cdp/execute`).
    /// `false` if it failed or there is neither (a remote WebDriver), for the caller to fall
    /// back to WebDriver's own commands.
    pub(crate) async fn devtools_command(&self, method: &str, params: Value) -> bool {
        match self.devtools_answer(method, params.clone()).await {
            Answer::Given(answer) => answer.is_some(),
            // Sent, and the page holds it (a dialog its handler opened): the input was given,
            // and is not given twice. The next command finds the dialog.
            Answer::Held => true,
            Answer::NoSocket => driver::http_json(
                reqwest::Method::POST,
                &format!(
                    "{}/session/{}/goog/cdp/execute",
                    self.webdriver_url(),
                    self.session_id()
                ),
                Some(json!({"cmd": method, "params": params})),
            )
            .await
            .is_ok_and(|answer| answer["value"].get("error").is_none()),
        }
    }

    /// Whether the test's tab has a WebDriver BiDi socket of the harness's own (a lent
    /// Firefox) for [`bidi_command`](Self::bidi_command) to take.
    pub(crate) fn has_bidi_socket(&self) -> bool {
        matches!(self.shots, Some(ShotSource::Bidi { .. }))
    }

    /// A WebDriver BiDi command in the test's tab (`params` without its `context`): whether it
    /// was given (sent and answered, or held by the page).
    pub(crate) async fn bidi_command(&self, method: &str, params: Value) -> bool {
        if !self.has_bidi_socket() {
            return false;
        }
        match self.tab_answer(method, params).await {
            Answer::Given(answer) => answer.is_some(),
            Answer::Held => true,
            Answer::NoSocket => false,
        }
    }

    /// A DevTools command over the tab's own socket (Chrome, a browser of the run's).
    async fn devtools_answer(&self, method: &str, params: Value) -> Answer {
        if !self.has_devtools_socket() {
            return Answer::NoSocket;
        }
        self.tab_answer(method, params).await
    }

    /// A command over the tab's own socket, made by the first. A socket that failed is dropped,
    /// for the next command to make a fresh one.
    async fn tab_answer(&self, method: &str, params: Value) -> Answer {
        let Some(source) = &self.shots else {
            return Answer::NoSocket;
        };
        let mut socket = self.tab_socket(source).await;
        let Some(tab) = socket.as_mut() else {
            return Answer::NoSocket;
        };
        match tokio::time::timeout(SCRIPT_SOCKET_TIMEOUT, tab.command(method, params)).await {
            Ok(answer) => {
                if answer.is_none() {
                    *socket = None;
                }
                Answer::Given(answer)
            }
            Err(_) => {
                *socket = None;
                Answer::Held
            }
        }
    }

    /// The page's viewport as a PNG, as the test sees it now (Playwright's `page.screenshot()`):
    /// on Chrome over the tab's own DevTools socket (`Page.captureScreenshot`), else WebDriver's
    /// screenshot.
    pub async fn screenshot(&self) -> Result<Vec<u8>, ActionError> {
        use base64::Engine as _;
        let started = Instant::now();
        let png = match self
            .devtools_answer(
                "Page.captureScreenshot",
                json!({"format": "png", "optimizeForSpeed": true}),
            )
            .await
        {
            Answer::Given(Some(answer)) => answer["data"]
                .as_str()
                .and_then(|data| base64::engine::general_purpose::STANDARD.decode(data).ok()),
            _ => None,
        };
        let png = match png {
            Some(png) => Ok(png),
            None => self
                .client()
                .screenshot()
                .await
                .map_err(command("take a screenshot".to_owned())),
        };
        // A step of the report, without a screenshot of its own.
        self.record_step(
            "take a screenshot".to_owned(),
            started,
            png.as_ref()
                .map(drop)
                .map_err(|e| harness_core::error_chain(e)),
            false,
        )
        .await;
        png
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

    /// Whether this session is a context in the browser every test of the run shares at once
    /// (`HARNESS_BROWSER_REUSE=1`).
    pub fn is_shared_browser(&self) -> bool {
        self.context.as_ref().is_some_and(|c| c.slot.is_none())
    }

    /// Whether this session is in one of the run's browsers, lent to this test alone (the
    /// default; `HARNESS_BROWSER_POOL`): a fresh context in a Chrome, or a cleared Firefox.
    pub fn is_lent_browser(&self) -> bool {
        self.lease.is_some() || self.context.as_ref().is_some_and(|c| c.slot.is_some())
    }

    /// Record a finished step, and after an action a screenshot of the page (unless turned off):
    /// an assertion changes nothing on the page, and the failure's own screenshot shows the page
    /// an assertion gave up on.
    pub(crate) async fn record_step(
        &self,
        description: String,
        started: Instant,
        outcome: Result<(), String>,
        action: bool,
    ) {
        let took = started.elapsed();
        let description = {
            let groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
            if groups.is_empty() {
                description
            } else {
                format!("{} › {description}", groups.join(" › "))
            }
        };
        harness_core::timings::record(started, || format!("step: {description}"));
        let screenshot = Shot::default();
        if action && self.step_screenshots && !self.shoot_in_background(&screenshot).await {
            let shooting = Instant::now();
            if let Ok(png) = self.client().screenshot().await {
                let _ = screenshot.set(png);
                harness_core::timings::record(shooting, || "step: its screenshot".to_owned());
            }
        }
        self.steps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(StepRecord {
                description,
                at: started.saturating_duration_since(self.started),
                took,
                outcome,
                screenshot,
            });
    }

    /// In a browser of the run's, a step's screenshot is taken over a connection of its own
    /// (Chrome's DevTools, Firefox's WebDriver BiDi) while the test goes on: the page as the next
    /// step starts, a moment after this one. `false` where there is no such connection, for the
    /// caller to take it at once.
    async fn shoot_in_background(&self, into: &Shot) -> bool {
        let (Some(source), Some(background)) = (&self.shots, background()) else {
            return false;
        };
        let (source, shooter, into) = (source.clone(), self.shooter.clone(), into.clone());
        let shot = background.spawn(async move {
            // One screenshot at a time, and none queued behind it: a step that comes while the
            // last one's is being taken goes without (the next step's shows the page), so that a
            // quick run of actions never has the browser encoding screenshots all along it.
            let Ok(mut shooter) = shooter.try_lock() else {
                return;
            };
            if shooter.is_none() {
                *shooter = TabSocket::attach(source).await.ok();
            }
            if let Some(jpeg) = match shooter.as_mut() {
                Some(shooter) => shooter.jpeg().await,
                None => None,
            } {
                let _ = into.set(jpeg);
            }
        });
        let mut shooting = self.shooting.lock().unwrap_or_else(|e| e.into_inner());
        shooting.retain(|underway| !underway.is_finished());
        shooting.push(shot);
        true
    }

    /// The screenshots still being taken, taken out of the session.
    fn screenshots_underway(&self) -> Vec<tokio::task::JoinHandle<()>> {
        std::mem::take(&mut *self.shooting.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Run `body` as one named step of the report (Playwright's `test.step`): the steps it takes
    /// are listed under `name`, and the group itself with its whole time and outcome.
    ///
    /// ```no_run
    /// # mod harness { pub use harness_browser as browser; } // the examples are written as users see them
    /// # async fn t(browser: &harness::browser::Browser) -> Result<(), harness::browser::ActionError> {
    /// browser
    ///     .step("sign in", async {
    ///         browser.fill("#email", "ada@example.com").await?;
    ///         browser.press("#email", "Enter").await
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn step<T, E: std::fmt::Display>(
        &self,
        name: &str,
        body: impl std::future::Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let started = Instant::now();
        let at = self.steps.lock().unwrap_or_else(|e| e.into_inner()).len();
        self.groups
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(name.to_owned());
        let result = body.await;
        self.groups.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let outcome = result.as_ref().map(drop).map_err(ToString::to_string);
        self.record_step(name.to_owned(), started, outcome, false)
            .await;
        // Listed before the steps it holds.
        let mut steps = self.steps.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(group) = steps.pop() {
            let at = at.min(steps.len());
            steps.insert(at, group);
        }
        result
    }

    /// The steps so far.
    fn steps_taken(&self) -> Vec<StepRecord> {
        self.steps.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Gather the page's JavaScript coverage so far (with `HARNESS_JS_COVERAGE`), before a
    /// navigation replaces its scripts.
    pub(crate) async fn collect_coverage(&self) {
        if let Some(profiler) = &self.profiler {
            profiler.take().await;
        }
    }

    /// Every console message of this session so far (chromedriver hands each out once; the
    /// harness keeps them, so later calls and the artifacts still have them).
    pub async fn console_log(&self) -> Result<Vec<ConsoleEntry>, ActionError> {
        if let Some(file) = &self.console_file {
            // Firefox writes the console into its log: this session's part, read whole each time.
            return file.read().map_err(|source| ActionError::Io {
                path: file.path.clone(),
                source,
            });
        }
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
        settle(self.screenshots_underway()).await;
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
            None => Some(harness_core::capture::since(0)).filter(|log| !log.trim().is_empty()),
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
            steps: self.steps_taken(),
            console_file: self.console_file.clone(),
            comparisons: self
                .comparisons
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }

    /// Keep this browser's visual baselines ([`Expect::to_have_screenshot`]) in `dir`, as
    /// `<name>-<browser>-<os>.png`, instead of in `<test file>-snapshots/` beside the test's
    /// source (Playwright's `snapshotDir`): a directory shared by a suite, or one of the test's
    /// own.
    ///
    /// [`Expect::to_have_screenshot`]: crate::Expect::to_have_screenshot
    pub fn set_snapshot_dir(&self, dir: impl Into<PathBuf>) {
        *self.snapshot_dir.lock().unwrap_or_else(|e| e.into_inner()) = Some(dir.into());
    }

    pub(crate) fn snapshot_dir(&self) -> Option<PathBuf> {
        self.snapshot_dir
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) fn record_comparison(&self, comparison: Comparison) {
        self.comparisons
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(comparison);
    }

    /// End the session of a passing test: the WebDriver session is deleted and the test's context
    /// (or its browser) removed.
    pub async fn close(mut self) -> Result<(), ActionError> {
        self.closed = true;
        // A passing test's report is never written.
        for shot in self.screenshots_underway() {
            shot.abort();
        }
        self.collect_coverage().await;
        let client = self.client.take().expect("close runs once");
        let ended = if self.quit_by_keeper() {
            // Nothing to tell a Firefox whose keeper is about to stop it with its geckodriver;
            // marked so that dropping the client does not try either.
            let _ = client.persist().await;
            Ok(())
        } else {
            client
                .close()
                .await
                .map_err(command("end the browser session".into()))
        };
        if let Some(context) = self.context.take() {
            // Waited for, so the tab is gone when close returns; dropping the connection would
            // dispose of the context too, a moment later.
            let _ = context
                .devtools
                .into_inner()
                .dispose(&context.tab.context_id)
                .await;
        }
        if let Some(files) = self.own.take() {
            driver::stop_own(&files);
        }
        // Its session deleted, a lent Firefox is free for the next test.
        if let Some(slot) = self.lease.take() {
            slot.release(ended.is_ok());
        }
        ended
    }
}

impl harness_core::Fixture for Browser {
    async fn setup(test: &TestContext) -> Result<Self, FixtureError> {
        Ok(test.browser().await?)
    }
}

/// `test.browser()`: the `Browser` fixture, for a fixture of yours that takes the test's context.
pub trait TestContextExt {
    /// A browser session of the test's own, cleaned up by the test's outcome (closed, or its
    /// artifacts and report saved first).
    fn browser(&self) -> impl std::future::Future<Output = Result<Browser, BrowserError>> + Send;
}

impl TestContextExt for TestContext {
    async fn browser(&self) -> Result<Browser, BrowserError> {
        Browser::start_for(self.name().to_owned(), Some(self.teardown_slot())).await
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
    own: Option<ResourceFiles>,
    /// A lent Firefox's slot, let go once its session is deleted.
    lease: Option<Slot>,
    profiler: Option<Profiler>,
    /// The steps' screenshots still being taken: the report waits for them.
    screenshots: Vec<tokio::task::JoinHandle<()>>,
    /// See [`Browser::quit_by_keeper`].
    quit_by_keeper: bool,
}

/// Wait for the steps' screenshots still being taken, a while at most: a report without one is
/// better than none.
async fn settle(shots: Vec<tokio::task::JoinHandle<()>>) {
    let all = futures_util::future::join_all(shots);
    let _ = tokio::time::timeout(Duration::from_secs(5), all).await;
}

impl Teardown for Leftover {
    // Its report lists the files the test's other fixtures saved (a kept database's dump).
    const STAGE: Stage = Stage::Report;

    async fn teardown(self, end: &TestEnd<'_>) {
        self.end(end.outcome().failure().map(|failure| failure.message()))
            .await
    }
}

impl Leftover {
    /// Save the artifacts if the test failed (`failure` says why), then end the session and
    /// whatever browser or context it had.
    pub(crate) async fn end(mut self, failure: Option<&str>) {
        if let Some(profiler) = self.profiler.take() {
            profiler.take().await;
        }
        let saved = match failure {
            Some(reason) => {
                self.job.reason = reason.to_owned();
                settle(std::mem::take(&mut self.screenshots)).await;
                Some(artifacts::save(&self.job).await)
            }
            None => None,
        };
        // A lent Firefox's session ends at once, unless Marionette is held by a command that
        // never ends (a page that never loads): then the next borrower starts a fresh Firefox
        // rather than this test waiting on it.
        let patience = if self.lease.is_some() {
            Duration::from_secs(2)
        } else {
            Duration::from_secs(10)
        };
        let ended = self.quit_by_keeper
            || tokio::time::timeout(
                patience,
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
        if let Some(files) = &self.own {
            driver::stop_own(files);
        }
        if let Some(slot) = self.lease.take() {
            slot.release(ended);
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
            // The path first, on a line of its own, and not the reason: the test's own failure
            // prints that (an `Err` with its backtrace may run to a hundred lines), and the report
            // has it.
            Some(Ok(dir)) => eprintln!(
                "harness: browser test failed; its report: {} (screenshot, page HTML, browser \
                 console and service log beside it)",
                dir.join("report.html").display()
            ),
            Some(Err(e)) => eprintln!(
                "harness: cannot save the failed browser test's artifacts: {}",
                harness_core::error_chain(&e)
            ),
            None => {}
        }
    }
}

impl Browser {
    /// What is left to end of this session, taken out of it.
    fn leftover(&mut self, reason: &str) -> Leftover {
        let quit_by_keeper = self.quit_by_keeper();
        Leftover {
            quit_by_keeper,
            job: self.failure_job(reason),
            client: self.client.take(),
            shared: self.context.take(),
            own: self.own.take(),
            lease: self.lease.take(),
            profiler: self.profiler.take(),
            screenshots: self.screenshots_underway(),
        }
    }

    /// A Firefox of the test's own ends with its keeper, which stops its geckodriver and it (a
    /// process group, a profile in the keeper's directory): asking geckodriver to end the session
    /// first would only wait ~0.4 s for Firefox to shut down cleanly, for a profile that goes.
    /// (A lent Firefox goes on: its session is deleted, for the next test to start one.)
    fn quit_by_keeper(&self) -> bool {
        self.kind == Kind::Firefox && self.own.is_some() && self.lease.is_none()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        // Made by hand, a browser knows of its test's failure only by a panic or by being
        // dropped unclosed: its last failed step, if any, is the likelier cause to lead with.
        let last_failure = self
            .steps
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .rev()
            .find_map(|step| {
                step.outcome
                    .as_ref()
                    .err()
                    .map(|e| format!("{} failed: {e}", step.description))
            });
        let reason = match (std::thread::panicking(), last_failure) {
            (_, Some(step)) => step,
            (true, None) => "the test panicked".to_owned(),
            (false, None) => "the Browser was dropped without Browser::close(): the test returned \
                              early, most likely with an error"
                .to_owned(),
        };
        if let Some(slot) = self.slot.take()
            && slot.defer(|| self.leftover(&reason))
        {
            return;
        }
        // Drop cannot await, and the test's runtime may be a current-thread one that this thread
        // is blocking: the work runs on a thread of its own, over HTTP connections of its own.
        let leftover = self.leftover(&reason);
        let ended = std::thread::spawn(move || match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(leftover.end(Some(&reason))),
            Err(e) => eprintln!("harness: cannot save the failed browser test's artifacts: {e}"),
        })
        .join();
        if ended.is_err() {
            eprintln!("harness: saving the failed browser test's artifacts panicked");
        }
    }
}
