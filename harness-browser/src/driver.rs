//! The run's WebDriver server (chromedriver, or a remote one) and, by default, the run's shared
//! headless Chrome; each started once per run under a keeper and shared by the test processes.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

use super::error::BrowserError;
use super::locate;
use harness_core::Probe;
use harness_core::keeper::{self, ChildSpec, KeeperSpec, ResourceFiles};
use harness_core::workdir::{Run, stable_hash};
use harness_core::{config, net, process, shared};

/// The window every session gets, so screenshots and layouts do not depend on the machine.
pub(crate) const WINDOW: (u32, u32) = (1280, 800);

/// A Firefox of the run's, lent to one test at a time (`pool.rs`): each test connects a
/// geckodriver of its own to its Marionette.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FirefoxState {
    /// The port its Marionette listens on, on 127.0.0.1.
    pub(crate) marionette_port: u16,
    /// Its output, where it writes the pages' console (`devtools.console.stdout.content`).
    pub(crate) log: PathBuf,
}

/// A running chromedriver, as recorded for the run's other test processes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DriverState {
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
    /// Its version, from `/status`.
    pub(crate) version: String,
}

/// The run's shared headless Chrome.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ChromeState {
    /// `127.0.0.1:<port>` of its DevTools endpoint, for `goog:chromeOptions.debuggerAddress`.
    pub(crate) debugger_address: String,
    /// The browser-wide DevTools WebSocket, for creating contexts.
    pub(crate) websocket_url: String,
    /// e.g. `Chrome/156.0.8078.108`.
    pub(crate) version: String,
}

/// Where this process's sessions come from.
#[derive(Debug, Clone)]
pub(crate) enum Setup {
    /// A WebDriver server the user runs (`HARNESS_WEBDRIVER_URL`): a fresh session per test.
    Remote { url: String },
    /// Firefox: a geckodriver of each test's own (geckodriver drives one session at a time),
    /// connected to a running Firefox of the run's lent to the test alone (`pool.rs`), or when
    /// none is free starting a fresh Firefox with a fresh profile.
    Firefox {
        geckodriver: PathBuf,
        firefox: PathBuf,
        /// Where the run's lent Firefoxes are listed (`pool.rs`): the directory of a keeper of
        /// its own, which outlives any one Firefox of the run's and goes once the run is over.
        pool: PathBuf,
    },
    /// The run's chromedriver; with `shared`, sessions attach to the run's Chrome, each in a
    /// context of its own; without, chromedriver starts a fresh Chrome per session.
    Local {
        driver: DriverState,
        chrome: PathBuf,
        shared: Option<ChromeState>,
        /// Where the run's Chromes lent to one test at a time are listed (`pool.rs`), in
        /// chromedriver's directory.
        pool: PathBuf,
    },
}

/// The flags every Chrome the harness starts gets: headless, quiet (no background traffic, no
/// first-run or keyring prompts), a fixed window, and `--no-sandbox` where it cannot work (root).
pub(crate) fn chrome_flags() -> Vec<String> {
    let mut flags: Vec<String> = [
        "--headless=new",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-dev-shm-usage",
        "--password-store=basic",
        "--use-mock-keychain",
        "--mute-audio",
        // Headless Chrome still builds the omnibox's popups as WebUI pages, in a renderer of their
        // own that no test sees: off, a Chrome's start costs about half the CPU (1.7 s → 0.85 s on
        // 2 cores, Chromium 156) and 55 MiB less. Names Chrome does not know are ignored.
        "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup",
    ]
    .map(String::from)
    .to_vec();
    flags.push(format!("--window-size={},{}", WINDOW.0, WINDOW.1));
    if process::is_root() {
        // Chrome's sandbox refuses to run as root.
        flags.push("--no-sandbox".into());
    }
    flags
}

/// This process's setup, made once (the shared servers are started by the first process that
/// asks, and only found by the others).
pub(crate) async fn setup() -> Result<&'static Setup, BrowserError> {
    static SETUP: OnceCell<Setup> = OnceCell::const_new();
    SETUP.get_or_try_init(make_setup).await
}

/// The process's settings; a bad value of any variable is this browser's error too.
pub(crate) fn settings() -> Result<&'static config::Settings, BrowserError> {
    config::settings().map_err(|bad| BrowserError::Settings(bad.clone()))
}

fn reuse() -> Result<bool, BrowserError> {
    Ok(settings()?.browser_reuse)
}

/// The browser the run's tests drive (`HARNESS_BROWSER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Chrome,
    Firefox,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Chrome => "chrome",
            Kind::Firefox => "firefox",
        }
    }
}

/// `HARNESS_BROWSER`: `None` for `skip`.
pub(crate) fn kind() -> Result<Option<Kind>, BrowserError> {
    Ok(match settings()?.browser {
        config::BrowserChoice::Skip => None,
        config::BrowserChoice::Firefox => Some(Kind::Firefox),
        _ => Some(Kind::Chrome),
    })
}

async fn make_setup() -> Result<Setup, BrowserError> {
    let kind = kind()?.unwrap_or(Kind::Chrome);
    if let Some(url) = settings()?.webdriver_url.clone() {
        return Ok(Setup::Remote {
            url: url.trim_end_matches('/').to_owned(),
        });
    }
    if kind == Kind::Firefox {
        if reuse()? {
            return Err(BrowserError::Config {
                variable: config::BROWSER_REUSE,
                value: "1".into(),
                expected: "0 or unset with HARNESS_BROWSER=firefox: each Firefox test has a browser of its own",
            });
        }
        let firefox = locate::firefox()?;
        let pool_key = format!("firefox-pool-{:08x}", path_hash(&firefox));
        let pool = shared::acquire(&pool_key, |files| async move {
            let spec = KeeperSpec::of_dir(Run::current().runner, files.clone());
            keeper::spawn(&spec, config::startup_timeout()).map_err(|source| {
                BrowserError::Keeper {
                    what: "the Firefox pool".into(),
                    source,
                }
            })?;
            Ok::<_, BrowserError>(files.dir())
        })
        .await?;
        return Ok(Setup::Firefox {
            geckodriver: locate::geckodriver()?,
            firefox,
            pool,
        });
    }
    let driver_program = locate::chromedriver()?;
    let chrome = locate::chrome()?;
    let reuse = reuse()?;
    let driver_key = format!("chromedriver-{:08x}", path_hash(&driver_program));
    let driver = shared::acquire(&driver_key, |files| {
        start_driver(driver_program.clone(), files)
    });
    let (driver, shared) = if reuse {
        let chrome_key = format!("chrome-{:08x}", path_hash(&chrome));
        let browser = shared::acquire(&chrome_key, |files| start_chrome(chrome.clone(), files));
        // Started side by side: the first test of a run waits for the slower of the two only.
        let (driver, browser) = tokio::try_join!(driver, browser)?;
        (driver, Some(browser))
    } else {
        (driver.await?, None)
    };
    if let Some(browser) = &shared {
        locate::check_versions(&driver.version, &browser.version)?;
    }
    let pool = ResourceFiles::new(Run::current().dir(), &driver_key)
        .dir()
        .join(format!("chrome-pool-{:08x}", path_hash(&chrome)));
    Ok(Setup::Local {
        driver,
        chrome,
        shared,
        pool,
    })
}

pub(crate) fn path_hash(path: &Path) -> u32 {
    stable_hash(&[path.to_string_lossy().as_bytes()]) as u32
}

fn not_ready(program: &Path, reason: String, log: &Path) -> BrowserError {
    BrowserError::NotReady {
        program: program.display().to_string(),
        reason,
        log_path: log.display().to_string(),
        log: keeper::log_tail(log, 30),
    }
}

/// Start chromedriver on a reserved 127.0.0.1 port (it listens on loopback only by default; no
/// `--allowed-ips`, which would open it to every interface) and wait for `/status`.
async fn start_driver(program: PathBuf, files: ResourceFiles) -> Result<DriverState, BrowserError> {
    let port = net::free_loopback_port()?;
    let log = files.dir().join("chromedriver.log");
    let spec = KeeperSpec::of_child(
        Run::current().runner,
        false,
        files.clone(),
        ChildSpec::new(
            program.clone(),
            vec![format!("--port={}", port.port())],
            Vec::new(),
            log.clone(),
        ),
    );
    let url = spawn_driver(&spec, "chromedriver", &program, port, &log).await?;
    let status = format!("{url}/status");
    let body: serde_json::Value = http_json(reqwest::Method::GET, &status, None)
        .await
        .map_err(|reason| not_ready(&program, reason, &log))?;
    let version = body["value"]["build"]["version"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Ok(DriverState { url, version })
}

/// Start a WebDriver server (the child of `spec`, told to listen on `port`) under its keeper, and
/// wait until its `/status` answers; returns its URL.
async fn spawn_driver(
    spec: &KeeperSpec,
    name: &str,
    program: &Path,
    port: net::PortReservation,
    log: &Path,
) -> Result<String, BrowserError> {
    let timeout = config::startup_timeout();
    let report = keeper::spawn(spec, timeout).map_err(|source| BrowserError::Keeper {
        what: name.into(),
        source,
    })?;
    let pid = report
        .child_pid
        .expect("a keeper with a child reports its pid");
    let url = format!("http://{}", port.addr());
    Probe::Http(format!("{url}/status"))
        .wait_unless(timeout, || {
            (!process::is_alive(pid)).then(|| format!("{name} exited"))
        })
        .await
        .map_err(|probe| not_ready(program, harness_core::error_chain(&probe), log))?;
    // Held until now so that no other test process was handed the port meanwhile.
    drop(port);
    Ok(url)
}

/// Start the run's headless Chrome with a profile of its own and DevTools on a port it picks
/// itself (`--remote-debugging-port=0`, read back from `DevToolsActivePort`: no port to race for).
pub(crate) async fn start_chrome(
    program: PathBuf,
    files: ResourceFiles,
) -> Result<ChromeState, BrowserError> {
    start_chrome_for(Run::current().runner, false, program, files).await
}

/// A Chrome of this test's own, under a keeper whose "runner" is this test process: it is
/// stopped when [`stop_own`] asks, or when this process ends, however it ends (a Chrome
/// that chromedriver starts itself outlives a test killed before it deleted its session).
pub(crate) async fn start_own_chrome(
    program: &Path,
) -> Result<(ChromeState, ResourceFiles), BrowserError> {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let files = ResourceFiles::new(
        Run::current().dir(),
        &format!("chrome-test-{}-{n}", std::process::id()),
    );
    std::fs::create_dir_all(files.dir()).map_err(io_error(files.dir()))?;
    let state = start_chrome_for(
        Some(std::process::id()),
        true,
        program.to_path_buf(),
        files.clone(),
    )
    .await
    .inspect_err(|_| stop_own(&files))?;
    Ok((state, files))
}

/// A geckodriver of this test's own on a reserved 127.0.0.1 port, under a keeper whose runner
/// is this test process, so that it goes with the test however the test ends. Connected to the
/// Marionette on `marionette` (a lent Firefox, which goes on running), or else starting a Firefox
/// of its own: that one is its child, in the keeper's process group, and goes with it, its profile
/// made under the keeper's directory, which it removes. Returns the driver's URL and the log where
/// a Firefox of its own writes the page's console (`devtools.console.stdout.content`).
pub(crate) async fn start_own_geckodriver(
    program: &Path,
    marionette: Option<u16>,
) -> Result<(String, ResourceFiles, PathBuf), BrowserError> {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let files = ResourceFiles::new(
        Run::current().dir(),
        &format!("firefox-test-{}-{n}", std::process::id()),
    );
    std::fs::create_dir_all(files.dir()).map_err(io_error(files.dir()))?;
    let port = net::free_loopback_port()?;
    let log = files.dir().join("geckodriver.log");
    let mut args = vec![
        "--host".into(),
        net::LOOPBACK.to_string(),
        "--port".into(),
        port.port().to_string(),
    ];
    let mut env = Vec::new();
    match marionette {
        Some(marionette) => args.extend([
            "--connect-existing".into(),
            "--marionette-port".into(),
            marionette.to_string(),
        ]),
        None => {
            let profiles = files.dir().join("profiles");
            std::fs::create_dir_all(&profiles).map_err(io_error(profiles.clone()))?;
            args.extend(["--profile-root".into(), profiles.display().to_string()]);
            env = firefox_env(&files)?;
        }
    }
    let child = ChildSpec::new(program.to_path_buf(), args, env, log.clone());
    let spec = KeeperSpec::of_child(Some(std::process::id()), true, files.clone(), child);
    let url = spawn_driver(&spec, "geckodriver", program, port, &log)
        .await
        .inspect_err(|_| stop_own(&files))?;
    Ok((url, files, log))
}

/// A file of the harness's at `path` that could not be used.
fn io_error(path: PathBuf) -> impl FnOnce(std::io::Error) -> BrowserError {
    move |source| BrowserError::Shared(shared::SharedError::Io { path, source })
}

/// A Firefox's environment: its own temporary files in a directory that goes with its keeper,
/// and no crash reporter (whose helper would run in a process group of its own).
fn firefox_env(files: &ResourceFiles) -> Result<Vec<(String, String)>, BrowserError> {
    let temp = files.dir().join("tmp");
    std::fs::create_dir_all(&temp).map_err(io_error(temp.clone()))?;
    Ok(vec![
        ("TMPDIR".into(), temp.display().to_string()),
        ("MOZ_CRASHREPORTER_DISABLE".into(), "1".into()),
    ])
}

/// Start a Firefox of the run's, to be lent to one test at a time: headless, with a profile of
/// its own whose `user.js` holds [`firefox_prefs`] and the reserved port its Marionette listens
/// on.
///
/// `--remote-allow-system-access` lets a test's geckodriver run the privileged script that
/// clears the previous test's data (`session.rs`'s `RESET_LENT_FIREFOX`); the Firefoxes that know no such flag
/// allow it anyway.
pub(crate) async fn start_firefox(
    program: PathBuf,
    files: ResourceFiles,
) -> Result<FirefoxState, BrowserError> {
    let profile = files.dir().join("profile");
    std::fs::create_dir_all(&profile).map_err(io_error(profile.clone()))?;
    let port = net::free_loopback_port()?;
    let mut prefs = firefox_prefs();
    prefs["marionette.port"] = port.port().into();
    let user_js = profile.join("user.js");
    std::fs::write(&user_js, user_js_of(&prefs)).map_err(io_error(user_js))?;
    let log = files.dir().join("firefox.log");
    let args = [
        "--marionette",
        // WebDriver BiDi on a port it picks itself, for the steps' screenshots (`session.rs`).
        "--remote-debugging-port=0",
        "--remote-allow-system-access",
        "--headless",
        "--no-remote",
        "--profile",
    ]
    .map(String::from)
    .into_iter()
    .chain([profile.display().to_string()])
    .collect();
    let spec = KeeperSpec::of_child(
        Run::current().runner,
        false,
        files.clone(),
        ChildSpec::new(program.clone(), args, firefox_env(&files)?, log.clone()),
    );
    let timeout = config::startup_timeout();
    let pid = spawn_browser(&spec, "firefox", timeout)?;
    Probe::Tcp(port.addr())
        .wait_unless(timeout, || {
            (!process::is_alive(pid)).then(|| "the browser exited".to_owned())
        })
        .await
        .map_err(|probe| not_ready(&program, harness_core::error_chain(&probe), &log))?;
    // Held until now so that no other test process was handed the port meanwhile.
    let marionette_port = port.port();
    drop(port);
    Ok(FirefoxState {
        marionette_port,
        log,
    })
}

/// Start a browser under its keeper (`spec`'s child); returns the browser's pid.
fn spawn_browser(spec: &KeeperSpec, what: &str, timeout: Duration) -> Result<u32, BrowserError> {
    let report = keeper::spawn(spec, timeout).map_err(|source| BrowserError::Keeper {
        what: what.into(),
        source,
    })?;
    Ok(report
        .child_pid
        .expect("a keeper with a child reports its pid"))
}

/// Preferences as a profile's `user.js` (one `user_pref(name, value);` a line; JSON's strings,
/// numbers and booleans are JavaScript's).
fn user_js_of(prefs: &serde_json::Value) -> String {
    prefs
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, value)| {
            format!(
                "user_pref({}, {value});\n",
                serde_json::Value::from(name.as_str())
            )
        })
        .collect()
}

/// Preferences that keep a test's Firefox off the network and quiet: no updates, telemetry,
/// studies, remote settings, safe browsing lists, captive-portal or connectivity checks, DNS
/// prefetch or DNS over HTTPS; the page's console written to stdout for the harness to read.
/// (geckodriver's own recommended preferences cover part of this; these do not depend on it.)
pub(crate) fn firefox_prefs() -> serde_json::Value {
    serde_json::json!({
        "app.update.auto": false,
        "app.update.disabledForTesting": true,
        "app.normandy.enabled": false,
        "app.shield.optoutstudies.enabled": false,
        "browser.discovery.enabled": false,
        "browser.newtabpage.enabled": false,
        "browser.ping-centre.telemetry": false,
        "browser.region.network.url": "",
        "browser.safebrowsing.blockedURIs.enabled": false,
        "browser.safebrowsing.downloads.enabled": false,
        "browser.safebrowsing.malware.enabled": false,
        "browser.safebrowsing.phishing.enabled": false,
        "browser.search.update": false,
        "browser.shell.checkDefaultBrowser": false,
        "browser.startup.homepage": "about:blank",
        "browser.startup.page": 0,
        "browser.topsites.contile.enabled": false,
        "datareporting.healthreport.uploadEnabled": false,
        "datareporting.policy.dataSubmissionEnabled": false,
        "devtools.console.stdout.content": true,
        "dom.push.connection.enabled": false,
        "extensions.blocklist.enabled": false,
        "extensions.getAddons.cache.enabled": false,
        "extensions.systemAddon.update.enabled": false,
        "extensions.update.enabled": false,
        "geo.provider.network.url": "",
        "media.gmp-manager.url": "",
        "messaging-system.rsexperimentloader.enabled": false,
        "network.captive-portal-service.enabled": false,
        "network.connectivity-service.enabled": false,
        "network.dns.disablePrefetch": true,
        "network.http.speculative-parallel-limit": 0,
        "network.prefetch-next": false,
        "network.trr.mode": 5,
        "security.OCSP.enabled": 0,
        "services.settings.server": "http://127.0.0.1:9/",
        "toolkit.telemetry.enabled": false,
        "toolkit.telemetry.server": "",
        "toolkit.telemetry.unified": false,
    })
}

/// The first line a program prints for `--version`, if it runs (for error messages only: it costs
/// a process start).
pub(crate) fn version_line(program: &Path) -> String {
    std::process::Command::new(program)
        .arg("--version")
        .stdin(std::process::Stdio::null())
        .output()
        .ok()
        .and_then(|out| {
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .next()
                .map(|l| l.trim().to_owned())
        })
        .unwrap_or_else(|| format!("{} (version unknown)", program.display()))
}

/// Ask the keeper of a test's own Chrome (or geckodriver and Firefox) to stop it and remove its
/// profile (it polls every 25 ms; nothing waits for it).
pub(crate) fn stop_own(files: &ResourceFiles) {
    let _ = std::fs::write(files.quit(), b"");
}

async fn start_chrome_for(
    runner: Option<u32>,
    private: bool,
    program: PathBuf,
    files: ResourceFiles,
) -> Result<ChromeState, BrowserError> {
    let profile = files.dir().join("profile");
    let log = files.dir().join("chrome.log");
    let mut args = chrome_flags();
    args.push("--remote-debugging-port=0".into());
    args.push(format!("--user-data-dir={}", profile.display()));
    args.push("about:blank".into());
    let mut spec = KeeperSpec::of_child(
        runner,
        private,
        files.clone(),
        ChildSpec::new(program.clone(), args, Vec::new(), log.clone()),
    );
    // Chrome puts its singleton socket in a directory of its own under TMPDIR and leaves it there
    // when it is stopped: give it a temp dir the keeper removes. Short, for the socket path's
    // length limit (about 100 bytes).
    let temp = std::env::temp_dir().join(format!(
        "harness-chrome-{:08x}",
        stable_hash(&[files.dir().to_string_lossy().as_bytes()]) as u32
    ));
    std::fs::create_dir_all(&temp).map_err(io_error(temp.clone()))?;
    if let Some(child) = spec.child.as_mut() {
        child
            .env
            .push(("TMPDIR".into(), temp.display().to_string()));
    }
    spec.remove.push(temp);
    let timeout = config::startup_timeout();
    let pid = spawn_browser(&spec, "chrome", timeout)?;
    let started = Instant::now();
    let port = loop {
        if let Some(port) = std::fs::read_to_string(profile.join("DevToolsActivePort"))
            .ok()
            .and_then(|text| text.lines().next()?.trim().parse::<u16>().ok())
        {
            break port;
        }
        if !process::is_alive(pid) {
            return Err(not_ready(&program, "the browser exited".into(), &log));
        }
        if started.elapsed() > timeout {
            return Err(not_ready(
                &program,
                format!("no DevToolsActivePort after {:.1?}", started.elapsed()),
                &log,
            ));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let debugger_address = format!("{}:{port}", net::LOOPBACK);
    let version_url = format!("http://{debugger_address}/json/version");
    Probe::Http(version_url.clone())
        .wait_unless(timeout, || {
            (!process::is_alive(pid)).then(|| "the browser exited".to_owned())
        })
        .await
        .map_err(|probe| not_ready(&program, harness_core::error_chain(&probe), &log))?;
    let body = http_json(reqwest::Method::GET, &version_url, None)
        .await
        .map_err(|reason| not_ready(&program, reason, &log))?;
    let websocket_url = body["webSocketDebuggerUrl"]
        .as_str()
        .ok_or_else(|| {
            not_ready(
                &program,
                format!("{version_url} gave no WebSocket: {body}"),
                &log,
            )
        })?
        .to_owned();
    Ok(ChromeState {
        debugger_address,
        websocket_url,
        version: body["Browser"].as_str().unwrap_or_default().to_owned(),
    })
}

/// One JSON request to chromedriver or DevTools, with a deadline; the body of any answer, or why
/// there was none.
pub(crate) async fn http_json(
    method: reqwest::Method,
    url: &str,
    body: Option<serde_json::Value>,
) -> Result<serde_json::Value, String> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .map_err(|e| harness_core::error_chain(&e))?;
    response
        .json()
        .await
        .map_err(|e| harness_core::error_chain(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferences_become_a_user_js() {
        let prefs = serde_json::json!({
            "marionette.port": 2828,
            "browser.startup.homepage": "about:blank",
            "app.update.auto": false,
        });
        assert_eq!(
            user_js_of(&prefs),
            "user_pref(\"app.update.auto\", false);\n\
             user_pref(\"browser.startup.homepage\", \"about:blank\");\n\
             user_pref(\"marionette.port\", 2828);\n"
        );
    }
}
