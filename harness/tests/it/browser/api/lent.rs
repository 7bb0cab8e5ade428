//! The run's browsers lent to one test at a time (the default, on Chrome and on Firefox): what a
//! test leaves in one is gone when the next test borrows it, and the steps' screenshots are taken
//! beside the test's session.

use harness::browser::Browser;

/// Whether this run lends its browsers (not with `HARNESS_BROWSER_POOL=0`, a shared browser or a
/// remote WebDriver).
fn lending() -> bool {
    std::env::var(harness::env::BROWSER_REUSE).as_deref() != Ok("1")
        && std::env::var(harness::env::BROWSER_POOL).as_deref() != Ok("0")
        && std::env::var_os(harness::env::WEBDRIVER_URL).is_none()
}

const LEAVE_BEHIND: &str = "document.cookie = 'left=behind; path=/'; \
     localStorage.setItem('left', 'behind'); \
     sessionStorage.setItem('left', 'behind'); \
     console.warn('left-behind-line'); \
     window.open(location.href + '#popup'); \
     history.pushState({}, '', '#moved');";

const READ_BACK: &str = "return [document.cookie, localStorage.getItem('left'), \
     sessionStorage.getItem('left')];";

/// A session after another in the same process, which likely borrows the same browser (the
/// first free slot): nothing of the first is seen, neither its data nor its tabs, windows,
/// history or console.
#[tokio::test]
async fn a_lent_browser_comes_back_clean_for_the_next_test() {
    let site = super::site().await;
    let url = format!("{}/form", site.base_url());
    let first = Browser::start().await.unwrap();
    assert_eq!(first.is_lent_browser(), lending(), "the mode asked for is the mode run");
    first.goto(&url).await.unwrap();
    first.execute(LEAVE_BEHIND, Vec::new()).await.unwrap();
    assert_eq!(
        first.execute(READ_BACK, Vec::new()).await.unwrap()[1],
        "behind",
        "the writes took"
    );
    let opened = first.client().windows().await.unwrap().len();
    first.close().await.unwrap();

    let second = Browser::start().await.unwrap();
    let tabs = second.client().windows().await.unwrap().len();
    assert_eq!(
        second.url().await.unwrap(),
        "about:blank",
        "a blank tab, not the last test's"
    );
    second.goto(&url).await.unwrap();
    let seen = second.execute(READ_BACK, Vec::new()).await.unwrap();
    assert_eq!(
        seen,
        serde_json::json!(["", null, null]),
        "no cookie or storage of the last test"
    );
    // A lent Chrome keeps the blank tab it started with beside the test's context; otherwise
    // there is the test's tab alone. The popup (Firefox lets a script open it; Chrome blocks it)
    // and the first test's tab are gone either way.
    let expected = if second.browser_name() == "chrome" && second.is_lent_browser() {
        2
    } else {
        1
    };
    assert_eq!(tabs, expected, "the first test had {opened}");
    let console = second.console_log().await.unwrap();
    assert!(
        console.iter().all(|e| !e.message.contains("left-behind-line")),
        "the last test's console is not this one's: {console:?}"
    );
    let (width, height) = second.client().get_window_size().await.unwrap();
    assert_eq!(
        (width as u32, height as u32),
        harness::browser::WINDOW_SIZE,
        "the window has the size every session starts with"
    );
    second.close().await.unwrap();
}

/// A failed test's report has its steps' screenshots, taken while the test went on (JPEG) in a
/// lent browser, at once (PNG) in a browser of the test's own.
#[tokio::test]
async fn a_failed_test_s_report_shows_its_steps() {
    let site = super::site().await;
    let url = format!("{}/form", site.base_url());
    let dir = crate::browser::report_of_a_dropped_browser(
        "browser::api::lent::shots_probe",
        async move |browser| {
            browser.goto(&url).await.unwrap();
            browser.click("#help").await.unwrap();
            browser
                .expect("#never")
                .within(std::time::Duration::from_millis(100))
                .to_be_visible()
                .await
                .unwrap_err();
        },
    )
    .await;
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let kind = if lending() { "jpeg" } else { "png" };
    assert!(
        report.contains(&format!("data:image/{kind};base64,")),
        "the steps' screenshots ({kind}) are in the report"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
