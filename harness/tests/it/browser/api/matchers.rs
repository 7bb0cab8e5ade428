//! The rest of Playwright's matchers, locators and waits: role, accessible name and description,
//! CSS, JavaScript properties, selected values, the viewport, class lists, patterns, `has`
//! filters, `alt`/`title` locators, a drag, and polls of the test's own values. Each passes when
//! the page agrees and fails saying what the page had.

use std::time::Duration;

use axum::response::Html;
use axum::routing::get;
use harness::InProcessService;
use harness::browser::{Browser, Locator, Regex, WaitError};

const PAGE: &str = r#"<!doctype html>
<html><head><title>Matchers</title><link rel="icon" href="data:,">
<style>
  .box { width: 80px; height: 80px; display: inline-block; }
  #target { background-color: rgb(0, 128, 0); }
  #spacer { height: 3000px; }
</style></head><body>
<h1>Matchers</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="Company logo" width="10" height="10">
<button id="save" aria-describedby="save-help">Save</button>
<p id="save-help">Saves without publishing</p>
<input id="name" aria-label="Full name" title="As on your passport">
<select id="tags" multiple>
  <option value="a" selected>A</option><option value="b">B</option><option value="c" selected>C</option>
</select>
<ul id="cards">
  <li class="card"><span>one</span> <button>Open</button></li>
  <li class="card done"><span>two</span></li>
  <li class="card"><span>three</span> <button>Open</button></li>
</ul>
<div id="source" class="box" style="background-color: blue">drag me</div>
<div id="target" class="box">drop here</div>
<p id="dropped">nothing dropped</p>
<div id="card" draggable="true" class="box">card</div> <div id="column" class="box">column</div>
<p id="moved">not moved</p>
<button id="more">More</button> <span id="count">0</span>
<div id="spacer"></div>
<p id="bottom">the end</p>
<script>
  // A drag made of mouse events, as drag libraries make one: pressed on the source, moved,
  // released over the target.
  const source = document.getElementById('source');
  const target = document.getElementById('target');
  let moves = 0, dragging = false;
  source.addEventListener('mousedown', () => { dragging = true; moves = 0; });
  document.addEventListener('mousemove', () => { if (dragging) moves += 1; });
  document.addEventListener('mouseup', (e) => {
    if (dragging && target.contains(document.elementFromPoint(e.clientX, e.clientY))) {
      document.getElementById('dropped').textContent = `dropped on the target after ${moves} moves`;
    }
    dragging = false;
  });
  // An HTML5 drag: dragstart on a draggable, drop on a zone that allows it.
  document.getElementById('card').addEventListener('dragstart', (e) => e.dataTransfer.setData('text/plain', 'card'));
  const column = document.getElementById('column');
  column.addEventListener('dragover', (e) => e.preventDefault());
  column.addEventListener('drop', (e) => {
    e.preventDefault();
    document.getElementById('moved').textContent = 'moved ' + e.dataTransfer.getData('text/plain');
  });
  document.getElementById('more').addEventListener('click', () => {
    const count = document.getElementById('count');
    count.textContent = String(Number(count.textContent) + 1);
  });
</script>
</body></html>"#;

async fn page(browser: &Browser) -> anyhow::Result<InProcessService> {
    let router = axum::Router::new().route("/matchers", get(|| async { Html(PAGE) }));
    let site = InProcessService::serve(router).await?;
    browser
        .goto(&format!("{}/matchers", site.base_url()))
        .await?;
    Ok(site)
}

const SHORT: Duration = Duration::from_millis(300);

fn failure(result: Result<(), WaitError>) -> String {
    result.expect_err("the assertion should fail").to_string()
}

#[harness::test(migrations = false)]
async fn role_names_descriptions_css_properties_values_and_the_viewport(
    browser: Browser,
) -> anyhow::Result<()> {
    let _site = page(&browser).await?;
    let save = Locator::css("#save");
    browser.expect(&save).to_have_role("button").await?;
    browser.expect(&save).to_have_accessible_name("Save").await?;
    browser
        .expect(&save)
        .to_have_accessible_description("Saves without publishing")
        .await?;
    browser
        .expect("#name")
        .to_have_accessible_name("Full name")
        .await?;
    browser
        .expect("#name")
        .to_have_accessible_description(Regex::new("passport$")?)
        .await?;
    browser
        .expect("#target")
        .to_have_css("background-color", "rgb(0, 128, 0)")
        .await?;
    browser
        .expect("#tags")
        .to_have_js_property("multiple", true)
        .await?;
    browser
        .expect("#tags")
        .to_have_js_property("tagName", "SELECT")
        .await?;
    browser.expect("#tags").to_have_values(&["a", "c"]).await?;
    browser.expect("h1").to_be_in_viewport().await?;
    browser.expect("#bottom").not().to_be_in_viewport().await?;
    browser.scroll_into_view("#bottom").await?;
    browser.expect("#bottom").to_be_in_viewport().await?;
    browser
        .expect("#cards li")
        .to_have_classes(&["card", "card done", "card"])
        .await?;
    // Patterns where Playwright takes a regular expression.
    browser
        .expect("#save-help")
        .to_have_text(Regex::new(r"^Saves \w+ publishing$")?)
        .await?;
    browser
        .expect("#save-help")
        .to_contain_text(Regex::new("with(out)?")?)
        .await?;
    browser
        .expect("#cards li.done")
        .to_have_class(Regex::new(r"\bdone\b")?)
        .await?;
    browser
        .expect("#name")
        .to_have_attribute("title", Regex::new("^As on")?)
        .await?;
    browser
        .expect_page()
        .to_have_title(Regex::new("^Match")?)
        .await?;
    browser
        .expect_page()
        .to_have_url(Regex::new("/matchers$")?)
        .await?;

    // And each fails saying what the page had.
    browser.set_default_timeout(SHORT);
    let text = failure(browser.expect(&save).to_have_role("link").await);
    assert!(text.contains("to have the role \"link\""), "{text}");
    assert!(text.contains("role \"button\""), "{text}");
    let text = failure(browser.expect(&save).to_have_accessible_name("Send").await);
    assert!(text.contains("to have the accessible name \"Send\""), "{text}");
    assert!(text.contains("accessible name \"Save\""), "{text}");
    let text = failure(
        browser
            .expect(&save)
            .to_have_accessible_description("Publishes")
            .await,
    );
    assert!(
        text.contains("accessible description \"Saves without publishing\""),
        "{text}"
    );
    let text = failure(
        browser
            .expect("#target")
            .to_have_css("background-color", "rgb(255, 0, 0)")
            .await,
    );
    assert!(
        text.contains("to have the CSS background-color: \"rgb(255, 0, 0)\""),
        "{text}"
    );
    assert!(
        text.contains("the CSS property is \"rgb(0, 128, 0)\""),
        "{text}"
    );
    let text = failure(
        browser
            .expect("#tags")
            .to_have_js_property("multiple", false)
            .await,
    );
    assert!(text.contains("to have the property multiple = false"), "{text}");
    assert!(text.contains("the property is true"), "{text}");
    let text = failure(browser.expect("#tags").to_have_values(&["b"]).await);
    assert!(text.contains("to have the selected values [\"b\"]"), "{text}");
    assert!(text.contains("selected [\"a\", \"c\"]"), "{text}");
    let text = failure(browser.expect("h1").to_be_in_viewport().await);
    assert!(text.contains("css \"h1\" to be in the viewport"), "{text}");
    assert!(text.contains("0% in the viewport"), "{text}");
    let text = failure(
        browser
            .expect("#cards li")
            .to_have_classes(&["card", "card", "card"])
            .await,
    );
    assert!(
        text.contains("to have the class attributes [\"card\", \"card\", \"card\"]"),
        "{text}"
    );
    assert!(
        text.contains("the classes of all: [\"card\", \"card done\", \"card\"]"),
        "{text}"
    );
    let text = failure(
        browser
            .expect("#save-help")
            .to_have_text(Regex::new("^Publishes")?)
            .await,
    );
    assert!(text.contains("to have the text /^Publishes/"), "{text}");
    Ok(())
}

#[harness::test(migrations = false)]
async fn alt_text_title_and_has_filters_locate_as_playwright_does(
    browser: Browser,
) -> anyhow::Result<()> {
    let _site = page(&browser).await?;
    browser
        .expect(Locator::alt_text("logo"))
        .to_have_attribute("width", "10")
        .await?;
    browser
        .expect(Locator::alt_text("logo").exact())
        .to_have_count(0)
        .await?;
    browser
        .expect(Locator::title("passport"))
        .to_have_id("name")
        .await?;
    let cards = Locator::css("#cards li");
    let with_open = cards.clone().has(Locator::role("button").name("Open"));
    browser.expect(&with_open).to_have_count(2).await?;
    browser
        .expect(cards.clone().has_not(Locator::role("button")))
        .to_have_text("two")
        .await?;
    // A filter that is itself narrowed: the cards whose span says "three".
    browser
        .expect(cards.has(Locator::css("span").filter_text("three")))
        .to_have_texts(&["three Open"])
        .await?;
    // Strict actions count what the filter leaves: two cards, so one must be chosen.
    browser.set_default_timeout(SHORT);
    let text = browser
        .click(with_open.clone().locate("button"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("has (role button named \"Open\") >> css \"button\" matches 2 elements"),
        "{text}"
    );
    Ok(())
}

#[harness::test(migrations = false)]
async fn a_drag_a_poll_and_a_block_retried_until_it_passes(
    browser: Browser,
) -> anyhow::Result<()> {
    let _site = page(&browser).await?;
    browser.drag_to("#source", "#target").await?;
    browser
        .expect("#dropped")
        .to_have_text(Regex::new(r"^dropped on the target after \d+ moves$")?)
        .await?;

    // An HTML5 drag, its data carried from `dragstart` to `drop`.
    browser.drag_to("#card", "#column").await?;
    browser.expect("#moved").to_have_text("moved card").await?;

    // A value of the test's own, polled: the third call gives 3.
    let mut calls = 0;
    let got = browser
        .poll("the calls", async || {
            calls += 1;
            calls
        })
        .to_equal(3)
        .await?;
    assert_eq!(got, 3);

    // A block retried until it holds: one click per try until the count reaches 3.
    let clicks = browser
        .to_pass("the count reaches 3", async || -> anyhow::Result<u32> {
            browser.click("#more").await?;
            let count: u32 = browser.text("#count").await?.trim().parse()?;
            anyhow::ensure!(count >= 3, "the count is {count}");
            Ok(count)
        })
        .await?;
    assert_eq!(clicks, 3);

    // Their failures: a drag to nothing, the last value, the last error.
    browser.set_default_timeout(SHORT);
    let text = browser
        .drag_to("#source", "#nowhere")
        .await
        .unwrap_err()
        .to_string();
    assert!(text.contains("css \"#nowhere\" to be visible"), "{text}");
    let text = browser
        .poll("the calls", async || 0)
        .within(SHORT)
        .to_equal(1)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("for the calls to equal 1; the last try gave: 0"),
        "{text}"
    );
    let text = browser
        .to_pass("nothing", async || -> Result<(), String> {
            Err("not this time".into())
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("for nothing to pass; the last try gave: an error: not this time"),
        "{text}"
    );
    Ok(())
}
