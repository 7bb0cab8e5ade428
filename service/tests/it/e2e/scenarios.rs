//! The five scenarios of the original end-to-end suite.

use super::{API_STATUS, PageTest, REDI_STATUS};

#[harness::test]
async fn the_page_loads_with_its_heading(t: PageTest) -> anyhow::Result<()> {
    let heading = t.browser.expect("h1").to_contain_text("Tunix RT").await?;
    assert_eq!(heading, "Tunix RT");
    assert_eq!(t.browser.client().title().await?, "Tunix RT");
    Ok(())
}

#[harness::test]
async fn the_api_status_shows_api(t: PageTest) -> anyhow::Result<()> {
    let status = t.browser.expect(API_STATUS).to_contain_text("API:").await?;
    assert_eq!(status, "API: healthy");
    t.browser
        .expect("#api-card")
        .to_contain_class("status-healthy")
        .await?;
    Ok(())
}

#[harness::test]
async fn the_rediai_status_shows_rediai(t: PageTest) -> anyhow::Result<()> {
    let status = t
        .browser
        .expect(REDI_STATUS)
        .to_contain_text("RediAI:")
        .await?;
    // The default mode is mock, which is always healthy.
    assert_eq!(status, "RediAI: healthy");
    Ok(())
}

#[harness::test]
async fn there_are_exactly_two_status_cards(t: PageTest) -> anyhow::Result<()> {
    t.browser.expect(".status-card").to_have_count(2).await?;
    t.browser
        .expect(".status-card:nth-child(1) h2")
        .to_contain_text("API Status")
        .await?;
    t.browser
        .expect(".status-card:nth-child(2) h2")
        .to_contain_text("RediAI Integration")
        .await?;
    Ok(())
}

#[harness::test]
async fn an_example_trace_is_uploaded_and_fetched_back(t: PageTest) -> anyhow::Result<()> {
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
    Ok(())
}
