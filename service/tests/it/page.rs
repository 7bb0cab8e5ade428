//! The page at `/` and its assets, as a browser would fetch them.

use crate::test_app::{TestApp, example_trace};

#[harness::test]
async fn the_page_is_served_with_its_dom_hooks(app: TestApp) -> anyhow::Result<()> {
    let response = app.get("/").await?;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let html = response.text().await?;
    assert!(html.contains("<h1>Tunix RT</h1>"));
    assert_eq!(html.matches("class=\"status-card").count(), 2);
    assert!(html.contains("<textarea id=\"trace-json\""));
    for label in ["Load Example", "Upload", "Fetch"] {
        assert!(html.contains(&format!(">{label}</button>")), "{label}");
    }
    // The example trace rides along in the page, so Load Example needs no request.
    assert!(html.contains("Convert 68°F to Celsius"));
    Ok(())
}

#[harness::test]
async fn the_assets_are_served_and_call_the_api_by_relative_urls(
    app: TestApp,
) -> anyhow::Result<()> {
    let response = app.get("/app.js").await?;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()?
            .starts_with("text/javascript")
    );
    let script = response.text().await?;
    assert!(script.contains("'/api/traces'"));
    assert!(!script.contains("http://") && !script.contains("localhost"));

    let response = app.get("/style.css").await?;
    assert_eq!(response.status(), 200);
    assert!(response.text().await?.contains(".status-healthy"));

    let response = app.get("/example-trace.json").await?;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<serde_json::Value>().await?, example_trace());
    Ok(())
}
