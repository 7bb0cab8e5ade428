//! CORS: preflights from an allowed and a refused origin, and configured origins.

use reqwest::Method;
use tunix_rt::Config;

use crate::test_app::{client, serve_without_database};

async fn preflight(
    service: &harness::InProcessService,
    origin: &str,
) -> anyhow::Result<reqwest::Response> {
    let url = format!("{}/api/traces", service.base_url().trim_end_matches('/'));
    Ok(client()
        .request(Method::OPTIONS, url)
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await?)
}

#[tokio::test]
async fn a_preflight_from_a_default_origin_is_allowed() -> anyhow::Result<()> {
    let service = serve_without_database(Config::default()).await?;
    for origin in [
        "http://localhost:5173",
        "http://127.0.0.1:5173",
        "http://localhost:4173",
        "http://127.0.0.1:4173",
    ] {
        let response = preflight(&service, origin).await?;
        assert!(response.status().is_success(), "{origin}");
        let headers = response.headers();
        assert_eq!(headers["access-control-allow-origin"], origin);
        let methods = headers["access-control-allow-methods"].to_str()?;
        assert!(methods.contains("POST"), "{methods}");
        let allowed_headers = headers["access-control-allow-headers"].to_str()?;
        assert!(
            allowed_headers.contains("content-type"),
            "{allowed_headers}"
        );
        assert!(!headers.contains_key("access-control-allow-credentials"));
    }
    service.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_preflight_from_another_origin_is_refused() -> anyhow::Result<()> {
    let service = serve_without_database(Config::default()).await?;
    for origin in [
        "http://evil.test",
        "http://localhost:5174",
        "https://localhost:5173",
    ] {
        let response = preflight(&service, origin).await?;
        assert!(
            !response
                .headers()
                .contains_key("access-control-allow-origin"),
            "{origin}"
        );
    }
    service.stop().await;
    Ok(())
}

#[tokio::test]
async fn configured_origins_replace_the_defaults() -> anyhow::Result<()> {
    let service = serve_without_database(Config {
        cors_origins: vec!["http://app.test:3000".to_owned()],
        ..Config::default()
    })
    .await?;
    let response = preflight(&service, "http://app.test:3000").await?;
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://app.test:3000"
    );
    let response = preflight(&service, "http://localhost:5173").await?;
    assert!(
        !response
            .headers()
            .contains_key("access-control-allow-origin")
    );

    // Simple requests get the header too, so a browser lets the page read the answer.
    let url = format!("{}/api/health", service.base_url().trim_end_matches('/'));
    let response = client()
        .get(url)
        .header("origin", "http://app.test:3000")
        .send()
        .await?;
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://app.test:3000"
    );
    service.stop().await;
    Ok(())
}
