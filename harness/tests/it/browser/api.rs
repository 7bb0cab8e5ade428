//! The browser API a login flow and a form need: locators, actions, reads, cookies, storage, and
//! every expectation, each with the failure message it gives.

use std::collections::HashMap;
use std::time::Duration;

use axum::Form;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use harness::InProcessService;
use harness::browser::{Browser, Cookie, Locator};

const LOGIN: &str = r#"<!doctype html>
<html><head><title>Sign in</title><link rel="icon" href="data:,"></head><body>
<form method="post" action="/login">
  <label for="email">Email</label> <input id="email" name="email" type="email">
  <label>Password <input name="password" type="password"></label>
  <button type="submit">Sign in</button>
</form>
</body></html>"#;

const FORM: &str = r#"<!doctype html>
<html><head><title>Settings</title><link rel="icon" href="data:,"></head><body>
<nav aria-label="Sections"><a href="/form">Settings</a> <a href="/login">Sign in</a></nav>
<h1>Settings</h1>
<label for="plan">Plan</label>
<select id="plan"><option value="free">Free</option><option value="pro">Pro plan</option></select>
<label><input type="checkbox" id="news" data-testid="news"> Newsletter</label>
<label><input type="radio" name="size" value="s" checked> Small</label>
<input id="note" aria-label="Note" value="first">
<input type="file" id="avatar" data-testid="avatar">
<button id="help" title="Help" aria-label="Help">?</button>
<p id="tip" hidden>Ask us anything</p>
<ul data-testid="items">
  <li>apple <button>Remove</button></li>
  <li>banana <button>Remove</button></li>
  <li>cherry <button>Remove</button></li>
</ul>
<p id="status" data-state="idle">Nothing chosen</p>
<p id="uploaded"></p>
<script>
  const status = document.getElementById('status');
  document.getElementById('plan').addEventListener('change', (e) => {
    status.textContent = 'Plan ' + e.target.value;
    status.dataset.state = 'chosen';
  });
  document.getElementById('help').addEventListener('mouseover', () => {
    document.getElementById('tip').hidden = false;
  });
  document.getElementById('avatar').addEventListener('change', (e) => {
    document.getElementById('uploaded').textContent = [...e.target.files].map((f) => f.name).join(',');
  });
  for (const b of document.querySelectorAll('[data-testid=items] button')) {
    b.addEventListener('click', () => b.closest('li').remove());
  }
  document.getElementById('note').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') status.textContent = 'Saved ' + e.target.value;
  });
</script>
</body></html>"#;

async fn login(Form(fields): Form<HashMap<String, String>>) -> Response {
    if fields.get("password").map(String::as_str) != Some("hunter2") {
        return Html("<!doctype html><title>Sign in</title><p>Wrong password</p>").into_response();
    }
    let email = fields.get("email").cloned().unwrap_or_default();
    (
        [(
            header::SET_COOKIE,
            format!("session=s-{email}; Path=/; HttpOnly"),
        )],
        Redirect::to("/home"),
    )
        .into_response()
}

async fn home(headers: axum::http::HeaderMap) -> Html<String> {
    let session = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("session=s-").map(str::to_owned));
    Html(match session {
        Some(email) => {
            format!("<!doctype html><title>Home</title><h1 id=\"welcome\">Welcome {email}</h1>")
        }
        None => "<!doctype html><title>Home</title><h1 id=\"welcome\">Signed out</h1>".into(),
    })
}

/// A to-do list in TodoMVC's manner: a to-do is added on Enter, edited on a double-click, and
/// the list saved in local storage a moment after each change. It counts the `input` and `change`
/// events of its field, so that a test sees which a fill fires.
const TODO: &str = r#"<!doctype html>
<html><head><title>Todos</title><link rel="icon" href="data:,"></head><body>
<input class="new-todo" placeholder="What needs to be done?" autofocus>
<ul class="todo-list"></ul>
<p id="events">input 0 change 0</p>
<script>
  const field = document.querySelector('.new-todo');
  const list = document.querySelector('.todo-list');
  const counts = {input: 0, change: 0};
  for (const kind of ['input', 'change']) {
    field.addEventListener(kind, () => {
      counts[kind] += 1;
      document.getElementById('events').textContent = `input ${counts.input} change ${counts.change}`;
    });
  }
  field.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || !field.value.trim()) return;
    const li = document.createElement('li');
    li.className = 'todo';
    const label = document.createElement('label');
    label.textContent = field.value.trim();
    label.addEventListener('dblclick', () => li.classList.add('editing'));
    li.append(label);
    list.append(li);
    field.value = '';
    setTimeout(() => localStorage.setItem('todos', JSON.stringify(
      [...list.querySelectorAll('label')].map((l) => l.textContent))), 150);
  });
</script>
</body></html>"#;

async fn site() -> InProcessService {
    let router = axum::Router::new()
        .route("/login", get(|| async { Html(LOGIN) }).post(login))
        .route("/home", get(home))
        .route("/form", get(|| async { Html(FORM) }))
        .route("/todo", get(|| async { Html(TODO) }));
    InProcessService::serve(router).await.unwrap()
}

const SHORT: Duration = Duration::from_millis(300);

mod clicks;
mod lent;
mod matchers;
mod snapshots;

#[harness::test(migrations = false)]
async fn a_login_fills_the_form_presses_enter_waits_for_the_url_and_reads_the_cookie(
    browser: Browser,
) -> anyhow::Result<()> {
    let site = site().await;
    browser.goto(&format!("{}/login", site.base_url())).await?;
    browser
        .fill(Locator::label("Email"), "ada@example.com")
        .await?;
    browser.fill(Locator::label("Password"), "hunter2").await?;
    browser.press(Locator::label("Password"), "Enter").await?;
    // The navigation the key press started: waited for, not raced.
    let url = browser.expect_page().to_have_url("/home").await?;
    assert_eq!(url, format!("{}/home", site.base_url()));
    browser.expect_page().to_have_title("Home").await?;
    let session = browser.cookie("session").await?.expect("a session cookie");
    assert_eq!(session.value(), "s-ada@example.com");
    assert_eq!(session.http_only(), Some(true));
    browser
        .expect(Locator::role("heading").name("Welcome"))
        .to_have_text("Welcome ada@example.com")
        .await?;
    Ok(())
}

#[harness::test(migrations = false)]
async fn a_cookie_set_over_the_api_signs_the_browser_in(browser: Browser) -> anyhow::Result<()> {
    let site = site().await;
    // Cookies belong to a site: on about:blank, setting one is refused with what to do.
    let err = browser
        .set_cookie(Cookie::new("session", "s-x"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("open a page of the site"), "{err}");
    browser.goto(&format!("{}/home", site.base_url())).await?;
    browser
        .expect("#welcome")
        .to_have_text("Signed out")
        .await?;
    let mut cookie = Cookie::new("session", "s-grace@example.com");
    cookie.set_path("/");
    browser.set_cookie(cookie).await?;
    browser.reload().await?;
    browser
        .expect("#welcome")
        .to_have_text("Welcome grace@example.com")
        .await?;
    browser.clear_cookies().await?;
    assert!(browser.cookies().await?.is_empty());
    Ok(())
}

#[harness::test(migrations = false)]
async fn locators_find_by_test_id_text_role_label_and_narrow(
    browser: Browser,
) -> anyhow::Result<()> {
    let site = site().await;
    browser.goto(&format!("{}/form", site.base_url())).await?;
    let items = Locator::test_id("items").locate("li");
    assert_eq!(browser.count(&items).await?, 3);
    assert_eq!(browser.text(items.clone().nth(1)).await?, "banana Remove");
    assert_eq!(browser.text(items.clone().last()).await?, "cherry Remove");
    assert_eq!(browser.count(items.clone().filter_text("an")).await?, 1);
    assert_eq!(browser.count(items.clone().filter_no_text("an")).await?, 2);
    // Text: the innermost element, case-insensitive unless exact.
    assert_eq!(
        browser.text(Locator::text("NOTHING chosen")).await?,
        "Nothing chosen"
    );
    assert_eq!(
        browser.count(Locator::text_exact("nothing chosen")).await?,
        0
    );
    // Roles, implicit and by name.
    assert_eq!(browser.count(Locator::role("listitem")).await?, 3);
    assert_eq!(browser.count(Locator::role("link")).await?, 2);
    assert_eq!(browser.count(Locator::role("link").name("sign")).await?, 1);
    assert_eq!(
        browser
            .count(Locator::role("link").name("sign").exact())
            .await?,
        0
    );
    assert_eq!(
        browser
            .count(Locator::role("navigation").name("Sections"))
            .await?,
        1
    );
    assert_eq!(
        browser
            .count(Locator::role("checkbox").name("Newsletter"))
            .await?,
        1
    );
    assert_eq!(
        browser
            .count(Locator::role("combobox").name("Plan"))
            .await?,
        1
    );
    assert_eq!(
        browser.count(Locator::role("button").name("Help")).await?,
        1
    );
    // Hidden elements have no role.
    assert_eq!(
        browser
            .count(Locator::role("paragraph").name("Ask us"))
            .await?,
        0
    );
    assert_eq!(browser.value(Locator::label("Note")).await?, "first");
    // Within: the Remove button of the banana row only.
    browser
        .click(
            items
                .clone()
                .filter_text("banana")
                .locate(Locator::role("button")),
        )
        .await?;
    browser.expect(&items).to_have_count(2).await?;
    browser
        .expect(Locator::test_id("items"))
        .not()
        .to_contain_text("banana")
        .await?;
    Ok(())
}

#[harness::test(migrations = false)]
async fn form_controls_are_selected_checked_typed_hovered_and_uploaded(
    browser: Browser,
) -> anyhow::Result<()> {
    let site = site().await;
    browser.goto(&format!("{}/form", site.base_url())).await?;

    // By label, and by value.
    assert_eq!(browser.select_option("#plan", "Pro plan").await?, "pro");
    browser.expect("#plan").to_have_value("pro").await?;
    browser.expect("#status").to_have_text("Plan pro").await?;
    browser
        .expect("#status")
        .to_have_attribute("data-state", "chosen")
        .await?;
    assert_eq!(browser.select_option("#plan", "free").await?, "free");
    let err = browser.select_option("#plan", "gold").await.unwrap_err();
    assert!(err.to_string().contains("[\"Free\",\"Pro plan\"]"), "{err}");
    let err = browser.select_option("#note", "x").await.unwrap_err();
    assert!(
        err.to_string().contains("not a <select> but a <input>"),
        "{err}"
    );

    let news = Locator::test_id("news");
    browser.expect(&news).not().to_be_checked().await?;
    browser.check(&news).await?;
    browser.expect(&news).to_be_checked().await?;
    browser.check(&news).await?; // already checked: nothing changes
    assert!(browser.is_checked(&news).await?);
    browser.uncheck(&news).await?;
    assert!(!browser.is_checked(&news).await?);
    let err = browser.uncheck(Locator::role("radio")).await.unwrap_err();
    assert!(
        err.to_string().contains("did not change its state"),
        "{err}"
    );

    browser.expect("#tip").to_be_hidden().await?;
    browser.hover(Locator::role("button").name("Help")).await?;
    browser.expect("#tip").to_be_visible().await?;

    browser.fill(Locator::label("Note"), "draft").await?;
    browser.type_text(Locator::label("Note"), " two").await?;
    browser.press(Locator::label("Note"), "Enter").await?;
    browser
        .expect("#status")
        .to_have_text("Saved draft two")
        .await?;
    browser.press(Locator::label("Note"), "Control+a").await?;
    browser.press(Locator::label("Note"), "Backspace").await?;
    browser
        .expect(Locator::label("Note"))
        .to_have_value("")
        .await?;
    assert_eq!(
        browser.attribute("#help", "title").await?.as_deref(),
        Some("Help")
    );
    assert_eq!(browser.attribute("#help", "data-none").await?, None);

    let scratch = std::env::temp_dir().join(format!("harness-upload-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let (a, b) = (scratch.join("a.txt"), scratch.join("b.png"));
    std::fs::write(&a, "a")?;
    std::fs::write(&b, "b")?;
    browser
        .set_input_files(Locator::test_id("avatar"), &[&a])
        .await?;
    browser.expect("#uploaded").to_have_text("a.txt").await?;
    let missing = scratch.join("missing.txt");
    let err = browser
        .set_input_files(Locator::test_id("avatar"), &[&missing])
        .await
        .unwrap_err();
    assert!(
        harness::error_chain(&err).contains("no such file to upload"),
        "{err}"
    );
    std::fs::remove_dir_all(&scratch)?;

    browser.local_storage_set("theme", "dark").await?;
    assert_eq!(
        browser.local_storage_get("theme").await?.as_deref(),
        Some("dark")
    );
    assert_eq!(browser.local_storage_get("absent").await?, None);
    assert_eq!(
        browser
            .local_storage()
            .await?
            .get("theme")
            .map(String::as_str),
        Some("dark")
    );
    Ok(())
}

/// Each expectation's failure names the locator, what was expected and what the page showed.
#[harness::test(migrations = false)]
async fn each_expectation_fails_saying_what_it_waited_for(browser: Browser) -> anyhow::Result<()> {
    let site = site().await;
    browser.goto(&format!("{}/form", site.base_url())).await?;
    browser.set_default_timeout(SHORT);
    assert_eq!(browser.default_timeout(), SHORT);
    let failure = |result: Result<(), harness::browser::WaitError>| result.unwrap_err().to_string();

    let text = browser
        .expect_page()
        .to_have_url("/elsewhere")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("for css \"html\" to have the URL \"/elsewhere\""),
        "{text}"
    );
    assert!(
        text.contains(&format!("(page {}/form)", site.base_url())),
        "{text}"
    );
    let text = failure(browser.expect_page().to_have_title("Other").await);
    assert!(text.contains("to have the title \"Other\""), "{text}");
    let text = failure(
        browser
            .expect(Locator::label("Note"))
            .to_have_value("second")
            .await,
    );
    assert!(
        text.contains("label \"Note\" to have the value \"second\""),
        "{text}"
    );
    assert!(text.contains("value \"first\""), "{text}");
    let text = failure(
        browser
            .expect("#status")
            .to_have_attribute("data-state", "done")
            .await,
    );
    assert!(
        text.contains("to have the attribute data-state=\"done\""),
        "{text}"
    );
    assert!(text.contains("the attribute is \"idle\""), "{text}");
    let text = failure(browser.expect("h1").to_be_hidden().await);
    assert!(
        text.contains(
            "css \"h1\" to be hidden; the page showed last: 1 match; the first is visible"
        ),
        "{text}"
    );
    let text = failure(
        browser
            .expect(Locator::test_id("news"))
            .to_be_checked()
            .await,
    );
    assert!(text.contains("test id \"news\" to be checked"), "{text}");
    let text = failure(browser.expect("h1").not().to_be_visible().await);
    assert!(text.contains("css \"h1\" not to be visible"), "{text}");
    let text = failure(browser.expect("#status").to_have_text("Nothing").await);
    assert!(text.contains("to have the text \"Nothing\""), "{text}");
    let err = browser
        .expect(Locator::role("listitem"))
        .within(Duration::from_millis(150))
        .to_satisfy("list at least 5 items", |s| s.count >= 5)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("role listitem to list at least 5 items"),
        "{text}"
    );
    assert!(text.contains("3 matches"), "{text}");
    match err {
        harness::browser::WaitError::Timeout { waited, .. } => {
            assert!(
                waited < SHORT,
                "the call's own timeout, not the browser's: {waited:?}"
            )
        }
        other => panic!("not a timeout: {other}"),
    }

    // And each passes when the page agrees.
    let state = browser
        .expect(Locator::role("listitem"))
        .to_satisfy("list 3 items", |s| s.count == 3)
        .await?;
    assert_eq!(state.count, 3);
    browser
        .expect_page()
        .not()
        .to_have_url("/elsewhere")
        .await?;
    browser
        .expect_page()
        .to_have_url(&format!("{}/form", site.base_url()))
        .await?;
    browser.expect("h1").not().to_be_hidden().await?;
    browser.expect("#missing").to_be_hidden().await?;
    browser
        .expect(Locator::role("radio"))
        .to_be_checked()
        .await?;
    browser
        .expect("#status")
        .to_have_attribute("data-state", "idle")
        .await?;
    Ok(())
}

/// Playwright's to-do tests as they stand: `getByPlaceholder`, a `fill` that fires `input` and
/// never `change` (so Enter, not the fill, adds the to-do), `dblclick`, a class matched whole,
/// a list of texts checked at once, a wait on local storage, and the history.
#[harness::test(migrations = false)]
async fn a_todo_list_is_tested_as_playwright_tests_it(browser: Browser) -> anyhow::Result<()> {
    let site = site().await;
    let todo = format!("{}/todo", site.base_url());
    browser.goto(&todo).await?;
    let field = Locator::placeholder("What needs to be done?");
    browser.fill(&field, "buy some cheese").await?;
    browser.fill(&field, "feed the cat").await?;
    browser.expect(&field).to_have_value("feed the cat").await?;
    // No change made up: the page has added nothing yet.
    // One insertion per fill, as Playwright's, on either browser.
    assert_eq!(browser.text("#events").await?, "input 2 change 0");
    browser.expect(".todo-list li").to_have_count(0).await?;
    browser.press(&field, "Enter").await?;
    browser.fill(&field, "book a doctors appointment").await?;
    browser.press(&field, "Enter").await?;
    browser
        .expect(".todo-list li")
        .to_have_texts(&["feed the cat", "book a doctors appointment"])
        .await?;
    // An empty fill clears the field, as input too.
    browser.fill(&field, "draft").await?;
    browser.fill(&field, "").await?;
    browser.expect(&field).to_have_value("").await?;

    let saved = browser
        .wait_for_function("() => JSON.parse(localStorage.getItem('todos') || '[]').length === 2")
        .await?;
    assert_eq!(saved, serde_json::json!(true));

    let first = Locator::css(".todo-list li").first();
    browser.expect(&first).to_have_class("todo").await?;
    browser.dblclick(first.clone().locate("label")).await?;
    browser.expect(&first).to_have_class("todo editing").await?;
    browser.expect(&first).to_contain_class("editing").await?;
    browser.expect(&first).not().to_have_class("editing").await?;

    browser.goto(&format!("{}/form", site.base_url())).await?;
    browser.go_back().await?;
    browser.expect_page().to_have_url("/todo").await?;
    browser.go_forward().await?;
    browser.expect_page().to_have_url("/form").await?;
    Ok(())
}

/// The new assertions' failures: the whole list against the one expected, the class attribute
/// the element had, and the last value a page function gave.
#[harness::test(migrations = false)]
async fn list_class_and_function_waits_fail_saying_what_the_page_had(
    browser: Browser,
) -> anyhow::Result<()> {
    let site = site().await;
    browser.goto(&format!("{}/form", site.base_url())).await?;
    browser.set_default_timeout(SHORT);
    let text = browser
        .expect("[data-testid=items] li")
        .to_have_texts(&["apple Remove", "cherry Remove"])
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("to have the texts [\"apple Remove\", \"cherry Remove\"]"),
        "{text}"
    );
    assert!(
        text.contains("the texts of all: [\"apple Remove\", \"banana Remove\", \"cherry Remove\"]"),
        "{text}"
    );
    // Strict, as Playwright's actions: an ambiguous locator is refused, naming its matches.
    let text = browser
        .click("[data-testid=items] button")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("css \"[data-testid=items] button\" matches 3 elements, and an action needs one"),
        "{text}"
    );
    assert!(text.contains("button \"Remove\", button \"Remove\""), "{text}");
    browser.expect("[data-testid=items] li").to_have_count(3).await?;
    browser.click(Locator::css("[data-testid=items] button").first()).await?;
    browser.expect("[data-testid=items] li").to_have_count(2).await?;
    browser.execute("document.getElementById('tip').className = 'tip shown'", vec![]).await?;
    let text = browser
        .expect("#tip")
        .to_have_class("tip")
        .await
        .unwrap_err()
        .to_string();
    assert!(text.contains("to have the class attribute \"tip\""), "{text}");
    assert!(text.contains("class \"tip shown\""), "{text}");
    let text = browser
        .wait_for_function("document.title === 'Never'")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("for the script \"document.title === 'Never'\" to be truthy; the page showed last: false"),
        "{text}"
    );
    Ok(())
}

/// Focus, blur, a dispatched event, scrolling, and the state assertions Playwright users reach
/// for: attached, focused, editable, empty, an id, a text by pattern.
#[harness::test(migrations = false)]
async fn focus_blur_events_and_state_assertions(browser: Browser) -> anyhow::Result<()> {
    let site = site().await;
    browser.goto(&format!("{}/todo", site.base_url())).await?;
    let field = Locator::placeholder("What needs to be done?");
    browser.expect(&field).to_be_attached().await?;
    browser.expect(&field).to_be_editable().await?;
    browser.expect(&field).to_be_empty().await?;
    browser.focus(&field).await?;
    browser.expect(&field).to_be_focused().await?;
    browser.blur(&field).await?;
    browser.expect(&field).not().to_be_focused().await?;
    // A dispatched `change` is counted as the page's own listener sees it.
    browser.dispatch_event(&field, "change").await?;
    browser.expect("#events").to_have_text("input 0 change 1").await?;
    browser.scroll_into_view("#events").await?;
    browser.expect("#events").to_have_id("events").await?;
    let regex = harness::browser::Regex::new(r"^input \d+ change \d+$")?;
    let text = browser.expect("#events").to_match_text(&regex).await?;
    assert_eq!(text, "input 0 change 1");
    browser.set_default_timeout(SHORT);
    let failure = browser
        .expect("#events")
        .to_match_text(&harness::browser::Regex::new("^never$")?)
        .await
        .unwrap_err()
        .to_string();
    assert!(failure.contains("to have a text matching /^never$/"), "{failure}");
    let failure = browser.expect("#events").to_be_focused().await.unwrap_err().to_string();
    assert!(failure.contains("to be focused"), "{failure}");
    assert!(
        browser.focus("li").await.unwrap_err().to_string().contains("css \"li\" to exist"),
        "an action on nothing says what it waited for"
    );
    Ok(())
}
