//! Clicks as a user's: trusted events where the element is (scrolled into view first), a double
//! click, a click refused where another element covers the target, a link's navigation waited
//! for, and a dialog a click opens left for the next command to meet, without hanging the test.

use std::time::{Duration, Instant};

use axum::response::Html;
use axum::routing::get;
use harness::InProcessService;
use harness::browser::{Browser, Locator};

const PAGE: &str = r#"<!doctype html>
<html><head><title>Clicks</title><link rel="icon" href="data:,">
<style>
  #under, #cover { position: absolute; left: 10px; top: 300px; width: 100px; height: 40px; }
  #cover { background: white; }
</style></head><body>
<button id="near">Near</button> <p id="log">nothing</p>
<button id="twice">Twice</button>
<button id="under">Under</button><div id="cover">cover</div>
<button id="alert">Alert</button>
<a id="next" href="/next">Next page</a>
<div style="height: 3000px"></div>
<button id="far">Far</button>
<script>
  const log = (text) => { document.getElementById('log').textContent = text; };
  for (const id of ['near', 'far', 'under']) {
    document.getElementById(id).addEventListener('click', (e) =>
      log(`${id} clicked, trusted: ${e.isTrusted}, at ${e.clientX > 0 && e.clientY > 0}, scrolled: ${scrollY > 0}`));
  }
  document.getElementById('twice').addEventListener('dblclick', (e) =>
    log(`double-clicked, trusted: ${e.isTrusted}, detail: ${e.detail}`));
  document.getElementById('alert').addEventListener('click', () => { alert('hello'); log('alerted'); });
</script>
</body></html>"#;

const NEXT: &str = r#"<!doctype html>
<html><head><title>Next</title><link rel="icon" href="data:,">
<script>for (const t = Date.now(); Date.now() - t < 300;) {}</script></head>
<body><h1 id="log">the next page</h1></body></html>"#;

async fn page(browser: &Browser) -> anyhow::Result<InProcessService> {
    let router = axum::Router::new()
        .route("/clicks", get(|| async { Html(PAGE) }))
        .route("/next", get(|| async { Html(NEXT) }));
    let site = InProcessService::serve(router).await?;
    browser
        .goto(&format!("{}/clicks", site.base_url()))
        .await?;
    Ok(site)
}

#[harness::test(migrations = false)]
async fn a_click_is_a_user_s_where_the_element_is(browser: Browser) -> anyhow::Result<()> {
    let _site = page(&browser).await?;
    browser.click("#near").await?;
    browser
        .expect("#log")
        .to_have_text("near clicked, trusted: true, at true, scrolled: false")
        .await?;
    browser.click("#far").await?;
    browser
        .expect("#log")
        .to_have_text("far clicked, trusted: true, at true, scrolled: true")
        .await?;
    browser.dblclick("#twice").await?;
    browser
        .expect("#log")
        .to_have_text("double-clicked, trusted: true, detail: 2")
        .await?;
    Ok(())
}

#[harness::test(migrations = false)]
async fn a_covered_element_is_not_clicked_and_the_cover_is_named(
    browser: Browser,
) -> anyhow::Result<()> {
    let _site = page(&browser).await?;
    let refused = browser
        .click("#under")
        .await
        .expect_err("the click should be refused");
    let message = harness::error_chain(&refused);
    // chromedriver names it by its text, geckodriver by its id.
    assert!(message.contains("cover"), "{message}");
    browser.expect("#log").to_have_text("nothing").await?;
    Ok(())
}

#[harness::test(migrations = false)]
async fn a_link_s_click_waits_for_its_page(browser: Browser) -> anyhow::Result<()> {
    let site = page(&browser).await?;
    browser.click(Locator::role("link").name("Next page")).await?;
    // Read at once, not waited for: the page is the next one already, as after WebDriver's click.
    assert_eq!(browser.url().await?, format!("{}/next", site.base_url()));
    assert_eq!(browser.text("#log").await?, "the next page");
    Ok(())
}

#[harness::test(migrations = false)]
async fn a_dialog_a_click_opens_does_not_hold_the_test(browser: Browser) -> anyhow::Result<()> {
    let _site = page(&browser).await?;
    let started = Instant::now();
    browser.click("#alert").await?;
    browser.expect("#log").to_have_text("alerted").await?;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "the dialog held the test for {:?}",
        started.elapsed()
    );
    Ok(())
}
