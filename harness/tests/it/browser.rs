//! The harness's browser: sessions in the run's shared Chrome, auto-waiting assertions, artifacts
//! of a failed test, isolation between tests, and the errors a newcomer meets.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axum::response::Html;
use axum::routing::get;
use harness::InProcessService;
use harness::browser::Browser;

use crate::child::{ScratchDir, output_of};

mod api;

/// A page that changes after a while, logs to the console, and reads and writes its cookies and
/// storage.
const PAGE: &str = r#"<!doctype html>
<html><head><title>Harness page</title><link rel="icon" href="data:,"></head><body>
<h1 id="title">Harness page</h1>
<button id="arm">Arm</button>
<button id="later" disabled>Later</button>
<p id="out"></p>
<p id="hidden" style="visibility: hidden">hidden text</p>
<script>
  // Enabled 300 ms after Arm is clicked: the test decides when the wait starts, so a slow
  // page load cannot enable it before the test has seen it disabled.
  document.getElementById('arm').addEventListener('click', () => {
    setTimeout(() => { document.getElementById('later').disabled = false; }, 300);
  });
  document.getElementById('later').addEventListener('click', () => {
    setTimeout(() => {
      document.getElementById('out').textContent = 'clicked';
      console.error('clicked-error');
    }, 200);
  });
  console.warn('page-loaded');
</script>
</body></html>"#;

async fn page() -> InProcessService {
    let router = axum::Router::new().route("/", get(|| async { Html(PAGE) }));
    InProcessService::serve(router).await.unwrap()
}

#[tokio::test]
async fn a_page_is_driven_with_auto_waiting_actions_and_its_console_is_read() {
    let browser = Browser::start().await.unwrap();
    let site = page().await;
    browser.goto(site.base_url()).await.unwrap();
    browser
        .expect("h1")
        .to_contain_text("Harness")
        .await
        .unwrap();
    browser.expect("#later").to_be_disabled().await.unwrap();
    browser.click("#arm").await.unwrap();
    // The button is enabled 300 ms after Arm: the click waits for it.
    browser.click("#later").await.unwrap();
    let text = browser
        .expect("#out")
        .to_contain_text("clicked")
        .await
        .unwrap();
    assert_eq!(text, "clicked");
    browser.expect("p").to_have_count(2).await.unwrap();
    let console = browser.console_log().await.unwrap();
    let messages: Vec<&str> = console.iter().map(|e| e.message.as_str()).collect();
    assert!(
        console
            .iter()
            .any(|e| e.level == "SEVERE" && e.message.contains("clicked-error")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("page-loaded")),
        "{messages:?}"
    );
    // Entries are kept: a second read still has them.
    assert!(browser.console_log().await.unwrap().len() >= console.len());
    let (width, height) = browser.client().get_window_size().await.unwrap();
    assert_eq!(
        (width as u32, height as u32),
        harness::browser::WINDOW_SIZE,
        "every session gets the same window"
    );
    browser.close().await.unwrap();
}

#[tokio::test]
async fn a_failed_wait_says_what_was_expected_and_what_the_page_showed() {
    let browser = Browser::start().await.unwrap();
    let site = page().await;
    browser.goto(site.base_url()).await.unwrap();
    let started = Instant::now();
    let err = browser
        .expect("h1")
        .within(Duration::from_millis(400))
        .to_contain_text("Goodbye")
        .await
        .unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(300), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("css \"h1\" to contain the text \"Goodbye\""),
        "{text}"
    );
    assert!(text.contains("text \"Harness page\""), "{text}");
    assert!(text.contains(site.base_url()), "{text}");

    let err = browser
        .expect("#hidden")
        .within(Duration::from_millis(200))
        .to_be_visible()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("the first is hidden"), "{err}");
    let err = browser
        .expect(".missing")
        .within(Duration::from_millis(200))
        .to_have_count(1)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no element matches"), "{err}");
    browser.close().await.unwrap();
}

/// Cookies and storage written by one session are seen by neither a session running at the same
/// time nor a later one on the same origin.
#[tokio::test]
async fn sessions_keep_cookies_storage_and_pages_apart() {
    let first = Browser::start().await.unwrap();
    let second = Browser::start().await.unwrap();
    let reuse = std::env::var("HARNESS_BROWSER_REUSE").as_deref() == Ok("1");
    assert_eq!(
        first.is_shared_browser(),
        reuse,
        "the mode asked for is the mode run"
    );
    assert_eq!(second.is_shared_browser(), reuse);
    let lent = !reuse && std::env::var(harness::env::BROWSER_POOL).as_deref() != Ok("0");
    assert_eq!(
        (first.is_lent_browser(), second.is_lent_browser()),
        (lent, lent),
        "by default, each a context in a Chrome lent to it alone"
    );
    let site = page().await;
    let origin = site.base_url().to_owned();
    first.goto(&origin).await.unwrap();
    second.goto(&origin).await.unwrap();
    const WRITE: &str = "document.cookie = 'who=first; path=/'; \
                         localStorage.setItem('who', 'first'); \
                         sessionStorage.setItem('who', 'first');";
    const READ: &str = "return [document.cookie, localStorage.getItem('who'), \
                        sessionStorage.getItem('who')];";
    first.execute(WRITE, vec![]).await.unwrap();
    assert_eq!(
        first.execute(READ, vec![]).await.unwrap(),
        serde_json::json!(["who=first", "first", "first"]),
        "the writes took"
    );
    assert_eq!(
        second.execute(READ, vec![]).await.unwrap(),
        serde_json::json!(["", null, null]),
        "a concurrent session sees nothing of the first"
    );
    // Each session drives its own tab, whatever the other does.
    first.goto(&format!("{origin}/#elsewhere")).await.unwrap();
    assert_eq!(second.url().await.unwrap(), format!("{origin}/"));
    first.close().await.unwrap();
    second.close().await.unwrap();

    let third = Browser::start().await.unwrap();
    third.goto(&origin).await.unwrap();
    assert_eq!(
        third.execute(READ, vec![]).await.unwrap(),
        serde_json::json!(["", null, null]),
        "a later session starts clean"
    );
    third.close().await.unwrap();
}

#[tokio::test]
async fn a_failing_test_leaves_artifacts_and_its_session_closed() {
    let site = page().await;
    let url = site.base_url().to_owned();
    let (tx, rx) = std::sync::mpsc::channel();
    let page_url = url.clone();
    // The failing "test" runs on a thread of its own, named like a test, with its own runtime.
    let failing = std::thread::Builder::new()
        .name("browser::failing_probe".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let mut browser = Browser::start().await.unwrap();
                browser.attach_log(|| "GET / 200\nthe service's own line\n".to_owned());
                browser.goto(&page_url).await.unwrap();
                tx.send((
                    browser.webdriver_url().to_owned(),
                    browser.session_id().to_owned(),
                ))
                .unwrap();
                browser
                    .expect("#never")
                    .within(Duration::from_millis(100))
                    .to_be_visible()
                    .await
                    .unwrap();
            })
        })
        .unwrap();
    // Joined off the runtime's thread: this runtime serves the page the probe is loading.
    let joined = tokio::task::spawn_blocking(move || failing.join())
        .await
        .unwrap();
    assert!(joined.is_err(), "the probe was meant to fail");
    let (driver, session) = rx.recv().unwrap();

    let dir = harness::browser::artifacts_root().join("browser__failing_probe");
    let png = std::fs::read(dir.join("screenshot.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let html = std::fs::read_to_string(dir.join("page.html")).unwrap();
    assert!(
        html.contains("<h1 id=\"title\">Harness page</h1>"),
        "{html}"
    );
    let console = std::fs::read_to_string(dir.join("console.log")).unwrap();
    assert!(console.contains("page-loaded"), "{console}");
    let service = std::fs::read_to_string(dir.join("service.log")).unwrap();
    assert!(service.contains("the service's own line"));
    let summary = std::fs::read_to_string(dir.join("failure.txt")).unwrap();
    // Made by hand, the browser leads with its failed step, the likelier cause than the panic.
    assert!(
        summary.contains("expect css \"#never\" to be visible failed: waited"),
        "{summary}"
    );
    assert!(summary.contains(&url), "{summary}");

    // The session is gone: chromedriver no longer knows it.
    let answer: serde_json::Value = reqwest::get(format!("{driver}/session/{session}/url"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["value"]["error"], "invalid session id", "{answer}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Run `body` with a browser made by hand on a thread named `thread`, and drop the browser
/// without `close()`, as a failed test's would be: the directory of the report that leaves.
pub(crate) async fn report_of_a_dropped_browser(
    thread: &str,
    body: impl AsyncFnOnce(&Browser) + Send + 'static,
) -> std::path::PathBuf {
    let probe = std::thread::Builder::new()
        .name(thread.to_owned())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let browser = Browser::start().await.unwrap();
                body(&browser).await;
                drop(browser);
            })
        })
        .unwrap();
    let joined = tokio::task::spawn_blocking(move || probe.join())
        .await
        .unwrap();
    assert!(joined.is_ok(), "the probe ends by its own drop");
    harness::browser::artifacts_root().join(thread.replace("::", "__"))
}

/// `browser.step("name", …)` groups the steps it takes in the report, the group listed first with
/// its outcome, each of its steps under its name.
#[tokio::test]
async fn a_named_step_groups_its_steps_in_the_report() {
    let site = page().await;
    let page_url = site.base_url().to_owned();
    let dir = report_of_a_dropped_browser("browser::grouped_probe", async move |browser| {
        browser.goto(&page_url).await.unwrap();
        let grouped = browser
            .step("open the panel", async {
                browser.expect("h1").to_be_visible().await?;
                browser
                    .expect("#never")
                    .within(Duration::from_millis(100))
                    .to_be_visible()
                    .await
            })
            .await;
        assert!(grouped.is_err());
    })
    .await;
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
    // The steps' rows: the group's, then each of its steps under its name.
    let group = report.find(">open the panel<").expect("the group's row");
    let rows = &report[group..];
    let first = rows
        .find("open the panel › expect css &quot;h1&quot; to be visible")
        .unwrap_or_else(|| panic!("its first step, under its name: {report}"));
    let failed = rows
        .find("open the panel › expect css &quot;#never&quot; to be visible")
        .unwrap_or_else(|| panic!("its failed step, under its name: {report}"));
    assert!(first < failed, "in the order taken");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A page that never finishes loading in one session stalls neither the start nor the commands
/// of another session in the same browser.
#[tokio::test]
async fn a_hanging_page_in_one_session_does_not_stall_another() {
    let stuck = Browser::start().await.unwrap();
    if stuck.is_shared_browser() {
        eprintln!(
            "SKIPPED: with HARNESS_BROWSER_REUSE=1 a hanging page holds up other sessions (the known limit)"
        );
        return;
    }
    // Accepts connections and never answers them.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}/", silent.local_addr().unwrap());
    let (under_way, navigating) = tokio::sync::oneshot::channel();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        let mut under_way = Some(under_way);
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
            if let Some(signal) = under_way.take() {
                let _ = signal.send(());
            }
        }
    });
    let loading = tokio::spawn(async move {
        let _ = stuck.goto(&silent_url).await;
        stuck
    });
    // The stuck session's navigation has reached the silent server: it is now pending.
    tokio::time::timeout(Duration::from_secs(10), navigating)
        .await
        .expect("the navigation never reached the silent server")
        .unwrap();
    let started = Instant::now();
    let other = Browser::start().await.unwrap();
    let site = page().await;
    other.goto(site.base_url()).await.unwrap();
    other.expect("h1").to_contain_text("Harness").await.unwrap();
    other.close().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the other session took {:?}",
        started.elapsed()
    );
    // Closing the silent server's connections ends the stuck navigation (with an error page).
    held.abort();
    let stuck = loading.await.unwrap();
    stuck.close().await.unwrap();
}

/// A borrower killed while its page hangs leaves the lent Chrome clean and free: the next test of
/// the run gets it within seconds (chromedriver would wait on the dead test's pending load were
/// its context still there), and sees none of its cookies, storage or tabs.
#[cfg(target_os = "linux")]
#[test]
fn a_killed_borrower_leaves_its_lent_chrome_clean_for_the_next_test() {
    // Two tabs: its own and the blank one Chrome starts with; the dead test's went with its
    // context (it would make three).
    a_killed_borrower_leaves_its_lent_browser_clean("chrome", 2);
}

/// The same of a lent Firefox: the dead test's geckodriver goes with it, which gives the
/// Firefox's one session back, and its tab and data go before the next test's first step.
#[cfg(target_os = "linux")]
#[test]
fn a_killed_borrower_leaves_its_lent_firefox_clean_for_the_next_test() {
    a_killed_borrower_leaves_its_lent_browser_clean("firefox", 1);
}

#[cfg(target_os = "linux")]
fn a_killed_borrower_leaves_its_lent_browser_clean(browser: &str, tabs: usize) {
    use crate::child::spawn_ready;
    // Accepts connections and never answers them.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}/", silent.local_addr().unwrap());
    let run_id = uuid::Uuid::new_v4().to_string();
    let helper = |name: &str| {
        let mut command = crate::child::helper(name);
        command
            // Both helpers are one run, whose runner is this process: the Chrome outlives the
            // first, as it would between two tests of a nextest run, and goes after this test.
            .env("NEXTEST_RUN_ID", &run_id)
            .env(harness::env::BROWSER_POOL, "1")
            .env("HELPER_URL", &silent_url)
            .env(harness::env::BROWSER, browser)
            .env_remove(harness::env::BROWSER_REUSE)
            .env_remove(harness::env::WEBDRIVER_URL);
        command
    };
    let (mut first, _out, _) = spawn_ready(helper("helper_lent_browser_hangs"));
    // Its navigation has reached the silent server: the page is pending.
    let (held, _) = silent.accept().unwrap();
    first.kill().unwrap();
    first.wait().unwrap();
    let started = Instant::now();
    let out = helper("helper_lent_browser_after").output().unwrap();
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("LENT "))
        .unwrap_or_else(|| panic!("no result: {text}{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(line, format!(r#"true "" "none" {tabs}"#), "{text}");
    assert!(
        took < Duration::from_secs(20),
        "the next borrower took {took:?}"
    );
    drop(held);
}

/// This test binary, running one of the `#[ignore]`d helpers below in a run of its own.
fn helper(name: &str, dir: &ScratchDir) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            &format!("browser::{name}"),
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_remove("NEXTEST_RUN_ID")
        .env(harness::env::DIR, &dir.0)
        .stdin(Stdio::null());
    for variable in [
        harness::env::BROWSER,
        harness::env::BROWSER_REUSE,
        harness::env::CHROME,
        harness::env::CHROMEDRIVER,
        harness::env::WEBDRIVER_URL,
    ] {
        command.env_remove(variable);
    }
    command
}

#[tokio::test]
#[ignore = "run by the tests below in a child process"]
async fn start_helper() {
    match Browser::start().await {
        Ok(browser) => {
            println!("STARTED {}", browser.session_id());
            browser.close().await.unwrap();
        }
        Err(e) => println!("ERROR {}", harness::error_chain(&e)),
    }
}

#[test]
fn no_chromedriver_is_a_clear_error() {
    let dir = ScratchDir::new("no-driver");
    let mut command = helper("start_helper", &dir);
    command.env(harness::env::CHROMEDRIVER, "/nonexistent/chromedriver");
    let (out, err) = output_of(command);
    assert!(
        out.contains(
            "ERROR no chromedriver found; looked in HARNESS_CHROMEDRIVER=/nonexistent/chromedriver only"
        ),
        "{out}{err}"
    );
    assert!(out.contains("hint: "), "{out}");
}

#[cfg(unix)]
#[test]
fn a_driver_that_does_not_come_up_is_reported_with_its_log() {
    use std::os::unix::fs::PermissionsExt;
    let dir = ScratchDir::new("dead-driver");
    let fake = dir.0.join("chromedriver");
    std::fs::write(
        &fake,
        "#!/bin/sh\necho 'fake driver: cannot start' >&2\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut command = helper("start_helper", &dir);
    command.env(harness::env::CHROMEDRIVER, &fake);
    let started = Instant::now();
    let (out, err) = output_of(command);
    assert!(out.contains("did not come up"), "{out}{err}");
    assert!(out.contains("chromedriver exited"), "{out}");
    assert!(out.contains("fake driver: cannot start"), "{out}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "it failed fast"
    );
}

/// A test that needs a browser never passes without one: `skip` is an error that says how to
/// leave browser tests out so that nextest lists them as skipped.
#[test]
fn skip_fails_the_test_and_says_how_to_leave_it_out() {
    let dir = ScratchDir::new("skip");
    let mut command = helper("start_helper", &dir);
    command
        .env(harness::env::BROWSER, "skip")
        // Decided before looking for a browser: the error is the same with none at all.
        .env(harness::env::CHROMEDRIVER, "/nonexistent/chromedriver");
    let (out, err) = output_of(command);
    assert!(
        out.contains("ERROR HARNESS_BROWSER=skip, and this test needs a browser"),
        "{out}{err}"
    );
    assert!(out.contains("not test(/(^|::)(e2e|browser)::/)"), "{out}");

    let mut command = helper("start_helper", &dir);
    command.env(harness::env::BROWSER, "firefox-please");
    let (out, _) = output_of(command);
    assert!(
        out.contains(
            "HARNESS_BROWSER=\"firefox-please\" is not accepted: expected chrome, firefox or skip"
        ),
        "{out}"
    );
}

/// The isolation test again, with one shared Chrome and a DevTools context per session.
#[test]
fn shared_browser_mode_keeps_sessions_apart_too() {
    let scratch = ScratchDir::new("reuse");
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "browser::sessions_keep_cookies_storage_and_pages_apart",
            "--nocapture",
        ])
        .env("HARNESS_BROWSER_REUSE", "1")
        .env("HARNESS_DIR", &scratch.0)
        .env_remove("NEXTEST_RUN_ID")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
}

/// A failed browser test's `service.log` holds what the in-process service logged through
/// `tracing`, with nothing attached by the test.
#[tokio::test]
async fn an_in_process_services_log_is_saved_with_the_artifacts_unwired() {
    let browser = Browser::start().await.unwrap();
    let router = axum::Router::new().route(
        "/",
        get(|| async {
            tracing::info!(page = "home", "served the home page");
            Html(PAGE)
        }),
    );
    let site = InProcessService::serve(router).await.unwrap();
    browser.goto(site.base_url()).await.unwrap();
    browser
        .expect("h1")
        .to_contain_text("Harness")
        .await
        .unwrap();
    let dir = browser
        .save_artifacts("checking the captured service log")
        .await
        .unwrap();
    let log = std::fs::read_to_string(dir.join("service.log")).unwrap();
    assert!(log.contains("served the home page"), "{log}");
    assert!(log.contains("page=\"home\""), "{log}");
    browser.close().await.unwrap();
    site.stop().await;
    std::fs::remove_dir_all(dir).unwrap();
}

/// Firefox, next to Chrome: a geckodriver and a Firefox of the test's own that go with it even
/// when it is killed, and a failed test's report with Firefox's console in it. Run whichever
/// browser the run drives (each in a helper set to Firefox).
#[cfg(target_os = "linux")]
mod firefox {
    use std::io::Write;
    use std::time::Duration;

    use crate::child::{
        ScratchDir, eventually, files_under, helper, nothing_runs_under, processes_mentioning,
        spawn_ready,
    };

    fn firefox_helper(name: &str, scratch: &ScratchDir) -> std::process::Command {
        let mut command = helper(name);
        command
            .env(harness::env::BROWSER, "firefox")
            .env("HARNESS_DIR", &scratch.0)
            .env_remove(harness::env::BROWSER_REUSE)
            .env_remove(harness::env::WEBDRIVER_URL);
        command
    }

    #[test]
    fn a_killed_test_takes_its_geckodriver_and_firefox_with_it() {
        let scratch = ScratchDir::new("firefox-kill");
        let (mut child, out, driver) =
            spawn_ready(firefox_helper("helper_browser_loses_its_chrome", &scratch));
        assert!(driver.starts_with("http://127.0.0.1:"), "{driver}");
        let running = processes_mentioning(&scratch.0);
        for program in ["geckodriver", "firefox"] {
            assert!(
                running.iter().any(|p| p.contains(program)),
                "{program} runs while its test does: {running:?}"
            );
        }
        child.kill().unwrap();
        let _ = child.wait();
        drop(out);
        eventually(Duration::from_secs(20), || nothing_runs_under(&scratch.0));
        eventually(Duration::from_secs(20), || {
            let port = driver.rsplit(':').next().unwrap().parse::<u16>().unwrap();
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Err(format!("geckodriver still listens on {port}"));
            }
            let left: Vec<_> = files_under(&scratch.0.join("runs"))
                .into_iter()
                .filter(|f| f.to_string_lossy().contains("firefox-test-"))
                .collect();
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "the test's Firefox files are still there: {left:?}"
                ))
            }
        });
    }

    #[test]
    fn a_failed_firefox_test_leaves_its_report_with_the_console() {
        let scratch = ScratchDir::new("firefox-fails");
        let mut command = firefox_helper("helper_firefox_test_fails", &scratch);
        command.stdin(std::process::Stdio::null());
        let (stdout, stderr) = crate::child::output_of(command);
        let dir = harness::browser::artifacts_root().join("child__helper_firefox_test_fails");
        let report = std::fs::read_to_string(dir.join("report.html"))
            .unwrap_or_else(|e| panic!("no report ({e}): {stdout}{stderr}"));
        assert!(report.contains("Steps (4)"), "{report}");
        assert!(
            report.contains("expect css &quot;#never&quot; to be visible"),
            "{report}"
        );
        assert!(
            report.contains("logged-by-the-page"),
            "Firefox's console: {report}"
        );
        let png = std::fs::read(dir.join("screenshot.png")).unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a screenshot");
        let summary = std::fs::read_to_string(dir.join("failure.txt")).unwrap();
        assert!(summary.contains("the test panicked"), "{summary}");
        let _ = std::fs::remove_dir_all(&dir);
        eventually(Duration::from_secs(20), || nothing_runs_under(&scratch.0));
        let _ = std::io::stdout().flush();
    }
}
