//! The paths a user can reach in the page besides the happy one: bad input, a trace the API
//! refuses, RediAI down, buttons that must not be pressed yet, and what Fetch shows against the
//! database itself.

use harness::sqlx_0_8::TestDatabaseExt as _;
use std::time::Duration;

use harness::TestContext;
use serde_json::Value;
use tunix_rt::Config;
use tunix_rt::rediai::{RediAiConfig, RediAiMode};

use super::{
    API_STATUS, ERROR, FETCH, LOAD_EXAMPLE, PageTest, REDI_STATUS, SUCCESS, TEXTAREA, UPLOAD,
};
use crate::test_app::example_trace;

#[harness::test]
async fn text_that_is_not_json_is_refused_by_the_page(t: PageTest) -> anyhow::Result<()> {
    t.browser.fill(TEXTAREA, "{\"prompt\": oops").await?;
    t.browser.click(UPLOAD).await?;
    let message = t.browser.expect(ERROR).to_contain_text("Error:").await?;
    assert_eq!(message, "Error: Invalid JSON format");
    // Refused before any request: nothing reached the database, and Fetch stays off.
    assert_eq!(t.stored_traces().await?, 0);
    t.browser.expect(FETCH).to_be_disabled().await?;
    Ok(())
}

#[harness::test]
async fn a_trace_the_schema_refuses_shows_the_422(t: PageTest) -> anyhow::Result<()> {
    let mut trace = example_trace();
    trace["prompt"] = Value::from("");
    t.browser.fill(TEXTAREA, &trace.to_string()).await?;
    t.browser.click(UPLOAD).await?;
    let message = t.browser.expect(ERROR).to_contain_text("(422)").await?;
    assert_eq!(
        message,
        "Error: Upload failed: prompt: String should have at least 1 character (422)"
    );
    assert_eq!(t.stored_traces().await?, 0);
    t.browser.expect(SUCCESS).to_have_count(0).await?;
    t.browser.expect(FETCH).to_be_disabled().await?;
    Ok(())
}

/// The page of a service whose RediAI is in real mode, at a port where nothing listens.
async fn dead_rediai_page(test: &TestContext) -> anyhow::Result<PageTest> {
    // A port that was just free: bound, then released, so nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let config = Config {
        rediai: RediAiConfig {
            mode: RediAiMode::Real,
            base_url: format!("http://127.0.0.1:{port}"),
            health_path: "/health".into(),
            timeout: Duration::from_secs(5),
            cache_ttl: Duration::ZERO,
        },
        ..Config::default()
    };
    PageTest::setup_with(test, config).await
}

#[harness::test]
async fn rediai_in_real_mode_against_a_dead_port_is_shown_down(
    test: TestContext,
) -> anyhow::Result<()> {
    let t = dead_rediai_page(&test).await?;
    let status = t
        .browser
        .expect(REDI_STATUS)
        .to_contain_text("RediAI:")
        .await?;
    assert_eq!(status, "RediAI: down");
    let detail = t
        .browser
        .expect("#redi-card .error-detail")
        .to_contain_text("Error:")
        .await?;
    assert_eq!(detail, "Error: Connection refused");
    t.browser
        .expect("#redi-card")
        .to_contain_class("status-down")
        .await?;
    // Only RediAI is down: the API card says so too.
    t.browser
        .expect(API_STATUS)
        .to_contain_text("API: healthy")
        .await?;
    t.browser
        .expect("#api-card")
        .to_contain_class("status-healthy")
        .await?;
    Ok(())
}

#[harness::test]
async fn upload_is_disabled_while_the_textarea_is_empty(t: PageTest) -> anyhow::Result<()> {
    t.browser.expect(UPLOAD).to_be_disabled().await?;
    // Typed key by key, as a user would.
    t.browser.type_text(TEXTAREA, "{").await?;
    t.browser.expect(UPLOAD).to_be_enabled().await?;
    t.browser.fill(TEXTAREA, "   \n ").await?;
    t.browser.expect(UPLOAD).to_be_disabled().await?;
    t.browser.fill(TEXTAREA, "").await?;
    t.browser.expect(UPLOAD).to_be_disabled().await?;
    t.browser.click(LOAD_EXAMPLE).await?;
    t.browser.expect(UPLOAD).to_be_enabled().await?;
    Ok(())
}

#[harness::test]
async fn fetch_is_disabled_until_an_upload_succeeded(t: PageTest) -> anyhow::Result<()> {
    t.browser.expect(FETCH).to_be_disabled().await?;
    t.browser.click(LOAD_EXAMPLE).await?;
    t.browser.expect(FETCH).to_be_disabled().await?;
    t.browser.fill(TEXTAREA, "not json").await?;
    t.browser.click(UPLOAD).await?;
    t.browser.expect(ERROR).to_be_visible().await?;
    t.browser.expect(FETCH).to_be_disabled().await?;
    t.upload_example().await?;
    t.browser.expect(FETCH).to_be_enabled().await?;
    Ok(())
}

#[harness::test]
async fn the_fetched_trace_is_what_the_database_holds(t: PageTest) -> anyhow::Result<()> {
    let id = t.upload_example().await?;
    let shown = t.fetch_shown().await?;
    let shown: Value = serde_json::from_str(&shown)?;

    let (db_id, created_at, version, payload): (
        uuid::Uuid,
        chrono::DateTime<chrono::Utc>,
        String,
        String,
    ) = sqlx::query_as(
        "SELECT id, created_at, trace_version, payload::text FROM traces WHERE id = $1::uuid",
    )
    .bind(&id)
    .fetch_one(t.app.db.pool())
    .await?;
    assert_eq!(shown["id"], db_id.to_string());
    let shown_created: chrono::DateTime<chrono::Utc> =
        shown["created_at"].as_str().unwrap_or_default().parse()?;
    assert_eq!(shown_created, created_at);
    assert_eq!(shown["trace_version"], version);
    let stored: Value = serde_json::from_str(&payload)?;
    assert_eq!(shown["payload"], stored);
    // And what is stored is the example the page loaded.
    assert_eq!(stored, example_trace());
    assert_eq!(t.stored_traces().await?, 1);
    Ok(())
}
