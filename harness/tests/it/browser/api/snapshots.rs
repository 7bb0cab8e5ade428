//! Visual comparisons (`to_have_screenshot`): a missing baseline written and failing, a match, a
//! mismatch with its difference in the report, the threshold, masks, and baselines beside the
//! test's source.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::response::Html;
use axum::routing::get;
use harness::InProcessService;
use harness::browser::{Browser, WaitError};

use crate::browser::report_of_a_dropped_browser;
use crate::child::ScratchDir;

const PAGE: &str = r#"<!doctype html>
<html><head><title>Swatches</title><link rel="icon" href="data:,">
<style>
  body { margin: 0; background: white; }
  .swatch { width: 120px; height: 60px; display: inline-block; margin: 8px; }
  #swatch { background: rgb(30, 90, 200); }
  #clock { background: rgb(0, 0, 0); }
  #spinner { width: 20px; height: 20px; background: rgb(200, 0, 0); animation: spin 1s linear infinite; }
  @keyframes spin { from { transform: rotate(0deg); } to { transform: rotate(360deg); } }
</style></head><body>
<div id="panel"><div id="swatch" class="swatch"></div><div id="clock" class="swatch"></div></div>
<div id="spinner"></div>
<input id="field" value="typed">
<div style="height: 2000px"></div>
<p id="bottom">the end</p>
</body></html>"#;

async fn page(browser: &Browser) -> anyhow::Result<InProcessService> {
    let router = axum::Router::new().route("/swatches", get(|| async { Html(PAGE) }));
    let site = InProcessService::serve(router).await?;
    browser
        .goto(&format!("{}/swatches", site.base_url()))
        .await?;
    Ok(site)
}

const SHORT: Duration = Duration::from_millis(400);

async fn paint(browser: &Browser, id: &str, color: &str) -> anyhow::Result<()> {
    browser
        .execute(
            "document.getElementById(arguments[0]).style.background = arguments[1];",
            vec![id.into(), color.into()],
        )
        .await?;
    Ok(())
}

fn baseline(dir: &std::path::Path, browser: &Browser, name: &str) -> PathBuf {
    dir.join(format!(
        "{name}-{}-{}.png",
        browser.browser_name(),
        std::env::consts::OS
    ))
}

#[harness::test(migrations = false)]
async fn a_missing_baseline_is_written_and_fails_then_the_page_is_compared_with_it(
    browser: Browser,
) -> anyhow::Result<()> {
    let _site = page(&browser).await?;
    let dir = ScratchDir::new("snapshots");
    browser.set_snapshot_dir(&dir.0);

    let first = browser.expect("#panel").to_have_screenshot("panel").await;
    let message = first.expect_err("no baseline yet").to_string();
    let written = baseline(&dir.0, &browser, "panel");
    assert!(
        message.contains("there was no baseline") && message.contains(&written.display().to_string()),
        "{message}"
    );
    assert!(written.is_file(), "the page's screenshot became the baseline");

    // The same page matches; so does the whole viewport, once its own baseline is there.
    browser.expect("#panel").to_have_screenshot("panel").await?;
    let _ = browser.expect_page().to_have_screenshot("viewport").await;
    browser.expect_page().to_have_screenshot("viewport").await?;

    // A colour change: the comparison retries until the timeout, then says how much differs.
    paint(&browser, "swatch", "rgb(200, 60, 30)").await?;
    let mismatch = browser
        .expect("#panel")
        .to_have_screenshot("panel")
        .within(SHORT)
        .await
        .expect_err("another colour")
        .to_string();
    assert!(
        mismatch.contains("pixels differing") && mismatch.contains("0 allowed"),
        "{mismatch}"
    );
    assert!(mismatch.contains("HARNESS_UPDATE_SNAPSHOTS=all"), "{mismatch}");
    browser
        .expect("#panel")
        .not()
        .to_have_screenshot("panel")
        .within(SHORT)
        .await?;
    // Allowing as many pixels as the swatch has lets it pass; one fewer does not.
    browser
        .expect("#panel")
        .to_have_screenshot("panel")
        .max_diff_pixels(120 * 60)
        .await?;
    browser
        .expect("#panel")
        .to_have_screenshot("panel")
        .max_diff_pixels(120 * 60 - 1)
        .within(SHORT)
        .await
        .expect_err("one pixel too many");
    Ok(())
}

#[harness::test(migrations = false)]
async fn the_threshold_masks_caret_and_animations_decide_what_counts(
    browser: Browser,
) -> anyhow::Result<()> {
    let _site = page(&browser).await?;
    let dir = ScratchDir::new("snapshots");
    browser.set_snapshot_dir(&dir.0);
    let _ = browser.expect("#panel").to_have_screenshot("panel").await;

    // A shade the eye barely tells apart passes at the default threshold, not at 0.
    paint(&browser, "swatch", "rgb(33, 92, 203)").await?;
    browser.expect("#panel").to_have_screenshot("panel").await?;
    browser
        .expect("#panel")
        .to_have_screenshot("panel")
        .threshold(0.0)
        .within(SHORT)
        .await
        .expect_err("every pixel of the swatch differs at threshold 0");

    // What changes from run to run (a clock) is masked: painted the same in the baseline and
    // in every later screenshot.
    let _ = browser
        .expect("#panel")
        .to_have_screenshot("masked")
        .mask("#clock")
        .await;
    paint(&browser, "clock", "rgb(250, 250, 0)").await?;
    browser
        .expect("#panel")
        .to_have_screenshot("masked")
        .mask("#clock")
        .await?;
    let unmasked = browser
        .expect("#panel")
        .to_have_screenshot("masked")
        .within(SHORT)
        .await;
    assert!(unmasked.is_err(), "without the mask the clock's change shows");
    // The masks are gone from the page afterwards.
    browser
        .expect("[data-harness-mask]")
        .to_have_count(0)
        .await?;

    // An endless animation and a focused field's blinking caret do not make the page unstable.
    browser.focus("#field").await?;
    let _ = browser.expect_page().to_have_screenshot("animated").await;
    browser
        .expect_page()
        .to_have_screenshot("animated")
        .within(Duration::from_secs(3))
        .await?;
    Ok(())
}

/// `full_page()` takes the whole page, below the fold too.
/// `Browser::screenshot`: the viewport as the page shows it now, as a PNG of its size.
#[harness::test(migrations = false)]
async fn a_screenshot_is_the_viewport_as_it_is_now(browser: Browser) -> anyhow::Result<()> {
    let _site = page(&browser).await?;
    let viewport = browser
        .execute("return [innerWidth, innerHeight];", Vec::new())
        .await?;
    let mut colors = Vec::new();
    for color in ["rgb(30, 90, 200)", "rgb(10, 200, 40)"] {
        paint(&browser, "swatch", color).await?;
        let png = browser.screenshot().await?;
        let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info()?;
        let info = reader.info();
        assert_eq!(
            serde_json::json!([info.width, info.height]),
            viewport,
            "the viewport's size"
        );
        let (width, channels) = (info.width as usize, info.color_type.samples());
        let mut pixels = vec![0; reader.output_buffer_size().unwrap_or_default()];
        reader.next_frame(&mut pixels)?;
        // The swatch's middle: 8 px of margin, then 120 by 60.
        let at = (38 * width + 68) * channels;
        colors.push(pixels[at..at + 3].to_vec());
    }
    assert_eq!(colors, [vec![30, 90, 200], vec![10, 200, 40]], "what the page showed");
    Ok(())
}

#[harness::test(migrations = false)]
async fn a_full_page_screenshot_takes_what_is_below_the_fold(browser: Browser) -> anyhow::Result<()> {
    let _site = page(&browser).await?;
    let dir = ScratchDir::new("snapshots");
    browser.set_snapshot_dir(&dir.0);
    let _ = browser.expect_page().to_have_screenshot("whole").full_page().await;
    let png = std::fs::read(baseline(&dir.0, &browser, "whole"))?;
    let decoder = png::Decoder::new(std::io::Cursor::new(png)).read_info()?;
    let (_, window_height) = harness::browser::WINDOW_SIZE;
    assert!(
        decoder.info().height > window_height + 1000,
        "the page is {} pixels high, the window {window_height}",
        decoder.info().height
    );
    browser.expect_page().to_have_screenshot("whole").full_page().await?;
    let refused = browser
        .expect("#panel")
        .to_have_screenshot("panel")
        .full_page()
        .await;
    assert!(
        matches!(&refused, Err(WaitError::Snapshot { problem, .. }) if problem.contains("not of an element")),
        "{refused:?}"
    );
    Ok(())
}

#[harness::test(migrations = false)]
async fn bad_names_and_unreadable_baselines_are_refused_clearly(
    browser: Browser,
) -> anyhow::Result<()> {
    let _site = page(&browser).await?;
    let dir = ScratchDir::new("snapshots");
    browser.set_snapshot_dir(&dir.0);
    let refused = browser.expect("#panel").to_have_screenshot("///").await;
    assert!(
        matches!(&refused, Err(WaitError::Snapshot { problem, .. }) if problem.contains("needs a name")),
        "{refused:?}"
    );
    let garbled = baseline(&dir.0, &browser, "garbled");
    std::fs::write(&garbled, b"not a png")?;
    let unreadable = browser
        .expect("#panel")
        .to_have_screenshot("garbled")
        .await
        .expect_err("not a PNG")
        .to_string();
    assert!(unreadable.contains("not a PNG"), "{unreadable}");
    assert_eq!(
        std::fs::read(&garbled)?,
        b"not a png",
        "a baseline that cannot be read is left as it is"
    );
    // An element that never shows: the comparison gives up when it was told to, not after the
    // element's own wait took the default timeout.
    browser.set_default_timeout(Duration::from_secs(10));
    let asked = Instant::now();
    let missing = browser
        .expect("#never")
        .within(SHORT)
        .to_have_screenshot("never")
        .await
        .expect_err("no such element")
        .to_string();
    assert!(missing.contains("#never"), "{missing}");
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "gave up after {:?}, asked for {SHORT:?}",
        asked.elapsed()
    );
    Ok(())
}

/// By default a baseline goes beside the test's source, in `<file>-snapshots/`, named for the
/// browser and the OS, as Playwright's do.
#[harness::test(migrations = false)]
async fn baselines_go_beside_the_test_s_source_by_default(browser: Browser) -> anyhow::Result<()> {
    let _site = page(&browser).await?;
    let name = format!("beside-{}", std::process::id());
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/browser/api/snapshots.rs-snapshots");
    let expected = baseline(&dir, &browser, &name);
    struct Remove(PathBuf);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
            if let Some(dir) = self.0.parent() {
                // Only if empty: baselines someone committed stay.
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
    let _remove = Remove(expected.clone());
    let written = browser.expect("#swatch").to_have_screenshot(&name).await;
    assert!(
        matches!(&written, Err(WaitError::Snapshot { baseline, .. }) if *baseline == expected),
        "{written:?}"
    );
    assert!(expected.is_file());
    browser.expect("#swatch").to_have_screenshot(&name).await?;
    Ok(())
}

/// `HARNESS_UPDATE_SNAPSHOTS=all` takes the page as the new baseline where the old one differs,
/// and passes; `none` writes no missing baseline, and fails saying so.
#[test]
fn the_update_switch_decides_which_baselines_a_run_writes() {
    let scratch = ScratchDir::new("snapshots-update");
    let snapshots = scratch.0.join("snapshots");
    std::fs::create_dir_all(&snapshots).unwrap();
    let run = |mode: &str, name: &str| {
        let mut command = crate::child::helper("helper_screenshot_compare");
        command
            .env("HARNESS_DIR", &scratch.0)
            .env(harness::env::UPDATE_SNAPSHOTS, mode)
            .env("HELPER_SNAPSHOT_DIR", &snapshots)
            .env("HELPER_SNAPSHOT", name);
        let (stdout, stderr) = crate::child::output_of(command);
        let result = stdout
            .lines()
            .find_map(|l| l.strip_prefix("RESULT "))
            .unwrap_or_else(|| panic!("no result: {stdout}{stderr}"))
            .to_owned();
        (result, stderr)
    };
    let browser = std::env::var(harness::env::BROWSER).unwrap_or_else(|_| "chrome".into());
    let stale = snapshots.join(format!("title-{browser}-{}.png", std::env::consts::OS));
    // A baseline of another size: nothing like the heading.
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, 1, 1);
        encoder.set_color(png::ColorType::Rgba);
        encoder
            .write_header()
            .unwrap()
            .write_image_data(&[0, 0, 0, 255])
            .unwrap();
    }
    std::fs::write(&stale, &png).unwrap();
    let (result, stderr) = run("all", "title");
    assert_eq!(result, "OK", "{stderr}");
    let rewritten = std::fs::read(&stale).unwrap();
    assert_ne!(rewritten, png, "the baseline is the page's now");
    assert!(stderr.contains("HARNESS_UPDATE_SNAPSHOTS=all wrote the page there"), "{stderr}");
    let (result, _) = run("none", "missing");
    assert!(result.starts_with("ERR") && result.contains("writes none"), "{result}");
    assert!(
        std::fs::read_dir(&snapshots).unwrap().count() == 1,
        "no baseline was written for the missing one"
    );
}

/// A failed comparison leaves the baseline, the page and their difference in the report, and
/// beside it as files.
#[tokio::test]
async fn a_mismatch_puts_the_baseline_the_page_and_their_difference_in_the_report() {
    let site = InProcessService::serve(
        axum::Router::new().route("/swatches", get(|| async { Html(PAGE) })),
    )
    .await
    .unwrap();
    let url = format!("{}/swatches", site.base_url());
    let scratch = ScratchDir::new("snapshots");
    let snapshots = scratch.0.clone();
    let dir = report_of_a_dropped_browser("browser::visual_probe", async move |browser| {
        browser.set_snapshot_dir(&snapshots);
        browser.goto(&url).await.unwrap();
        let _ = browser.expect("#swatch").to_have_screenshot("swatch").await;
        paint(browser, "swatch", "rgb(0, 160, 0)").await.unwrap();
        let failed = browser
            .expect("#swatch")
            .to_have_screenshot("swatch")
            .within(SHORT)
            .await;
        assert!(failed.is_err());
    })
    .await;
    let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let section = report
        .find("Screenshot <code>swatch</code>: not as its baseline")
        .unwrap_or_else(|| panic!("the comparison's section: {report}"));
    assert!(report[section..].contains("7200 of 7200 pixels differing"), "{report}");
    for file in ["swatch-expected.png", "swatch-actual.png", "swatch-diff.png"] {
        let png = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(png.starts_with(b"\x89PNG"), "{file} is a PNG");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

const TODOS: &str = r#"<!doctype html>
<html><head><title>Todos</title><link rel="icon" href="data:,"></head><body>
<main>
  <h1>Todos</h1>
  <ul id="list">
    <li>buy milk</li>
    <li><label><input type="checkbox" checked> done</label></li>
    <li>walk the <b>dog</b></li>
  </ul>
  <button id="add">Add</button>
  <a href="/about">About</a>
  <input aria-label="New todo" value="feed the cat">
  <p hidden>not shown</p>
  <div aria-hidden="true">not read out</div>
</main>
<script>
  document.getElementById('add').addEventListener('click', () => setTimeout(() => {
    const li = document.createElement('li');
    li.textContent = document.querySelector('input[aria-label]').value;
    document.getElementById('list').append(li);
  }, 200));
</script>
</body></html>"#;

async fn todos(browser: &Browser) -> anyhow::Result<InProcessService> {
    let router = axum::Router::new().route("/todos", get(|| async { Html(TODOS) }));
    let site = InProcessService::serve(router).await?;
    browser.goto(&format!("{}/todos", site.base_url())).await?;
    Ok(site)
}

/// The accessibility tree in Playwright's YAML form, the same on every browser.
const TREE: &str = r#"- main:
  - heading "Todos" [level=1]
  - list:
    - listitem: buy milk
    - listitem:
      - checkbox "done" [checked]
      - text: done
    - listitem: walk the dog
  - button "Add"
  - link "About":
    - /url: /about
  - textbox "New todo": feed the cat
"#;

#[harness::test(migrations = false)]
async fn the_accessibility_tree_is_written_and_matched_as_playwright_s_aria_snapshots(
    browser: Browser,
) -> anyhow::Result<()> {
    let _site = todos(&browser).await?;
    assert_eq!(browser.aria_snapshot("main").await?, TREE);
    // What it writes matches exactly, and a part of it matches.
    browser
        .expect("main")
        .to_match_aria_snapshot(&format!("- /children: deep-equal\n{TREE}"))
        .await?;
    browser
        .expect("main")
        .to_match_aria_snapshot(
            r#"
            - heading /^Todo/
            - list:
              - listitem: /walk the \w+/
            - link "About"
            "#,
        )
        .await?;
    // Waited for: the list gains an item after the click.
    browser.click("#add").await?;
    browser
        .expect("#list")
        .to_match_aria_snapshot(
            "- list:\n  - listitem: walk the dog\n  - listitem: feed the cat",
        )
        .await?;
    let failure = browser
        .expect("main")
        .within(SHORT)
        .to_match_aria_snapshot("- heading \"Done\" [level=1]")
        .await
        .expect_err("no such heading")
        .to_string();
    assert!(
        failure.contains("to match the ARIA snapshot")
            && failure.contains("  - heading \"Todos\" [level=1]\n"),
        "the failure shows the page's tree: {failure}"
    );
    browser
        .expect("main")
        .not()
        .to_match_aria_snapshot("- checkbox \"done\" [checked=false]")
        .await?;
    let bad = browser
        .expect("main")
        .to_match_aria_snapshot("- heading \"Todos\" [levle=1]")
        .await;
    assert!(
        matches!(&bad, Err(WaitError::AriaTemplate { line: 1, .. })),
        "{bad:?}"
    );
    let ambiguous = browser
        .expect("li")
        .within(SHORT)
        .to_match_aria_snapshot("- listitem")
        .await
        .expect_err("four items")
        .to_string();
    assert!(ambiguous.contains("4 elements matching"), "{ambiguous}");
    Ok(())
}
