//! The five scenarios of the original end-to-end suite.

use super::{API_STATUS, PageTest, REDI_STATUS};

#[tokio::test]
async fn the_page_loads_with_its_heading() -> anyhow::Result<()> {
    let Some(t) = PageTest::start().await? else {
        return Ok(());
    };
    let heading = t.browser.expect("h1").to_contain_text("Tunix RT").await?;
    assert_eq!(heading, "Tunix RT");
    assert_eq!(t.browser.client().title().await?, "Tunix RT");
    t.finish().await
}

#[tokio::test]
async fn the_api_status_shows_api() -> anyhow::Result<()> {
    let Some(t) = PageTest::start().await? else {
        return Ok(());
    };
    let status = t.browser.expect(API_STATUS).to_contain_text("API:").await?;
    assert_eq!(status, "API: healthy");
    t.browser
        .expect("#api-card")
        .to_have_class("status-healthy")
        .await?;
    t.finish().await
}

#[tokio::test]
async fn the_rediai_status_shows_rediai() -> anyhow::Result<()> {
    let Some(t) = PageTest::start().await? else {
        return Ok(());
    };
    let status = t
        .browser
        .expect(REDI_STATUS)
        .to_contain_text("RediAI:")
        .await?;
    // The default mode is mock, which is always healthy.
    assert_eq!(status, "RediAI: healthy");
    t.finish().await
}

#[tokio::test]
async fn there_are_exactly_two_status_cards() -> anyhow::Result<()> {
    let Some(t) = PageTest::start().await? else {
        return Ok(());
    };
    t.browser.expect(".status-card").to_have_count(2).await?;
    t.browser
        .expect(".status-card:nth-child(1) h2")
        .to_contain_text("API Status")
        .await?;
    t.browser
        .expect(".status-card:nth-child(2) h2")
        .to_contain_text("RediAI Integration")
        .await?;
    t.finish().await
}

#[tokio::test]
async fn an_example_trace_is_uploaded_and_fetched_back() -> anyhow::Result<()> {
    let Some(t) = PageTest::start().await? else {
        return Ok(());
    };
    let id = t.upload_example().await?;
    let shown = t.fetch_shown().await?;
    for expected in ["Convert 68°F to Celsius", "20°C", id.as_str()] {
        assert!(
            shown.contains(expected),
            "{expected} is missing from:\n{shown}"
        );
    }
    t.browser
        .expect(".trace-result h3")
        .to_contain_text(&format!("Trace {id}"))
        .await?;
    t.finish().await
}
