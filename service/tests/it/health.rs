//! `GET /api/health`, `GET /api/redi/health` in mock mode, and answers for unknown routes.

use serde_json::{Value, json};

use crate::test_app::TestApp;

/// Written out without the attribute, for users who want no macro: its own runtime
/// (`#[tokio::test]`), the service and its database started by hand, and its end by hand too
/// (`TestApp::stop` stops the service and drops the database). What the attribute would add: the
/// database kept when the test fails by returning `Err` (by hand, only a panic keeps it).
#[tokio::test]
async fn api_health_is_healthy() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let response = app.get("/api/health").await?;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await?,
        json!({"status": "healthy"})
    );
    app.stop().await?;
    Ok(())
}

#[harness::test]
async fn rediai_health_in_mock_mode_is_healthy(app: TestApp) -> anyhow::Result<()> {
    let response = app.get("/api/redi/health").await?;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await?,
        json!({"status": "healthy"})
    );
    Ok(())
}

#[harness::test]
async fn unknown_routes_and_methods_answer_json(app: TestApp) -> anyhow::Result<()> {
    let response = app.get("/api/nope").await?;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.json::<Value>().await?,
        json!({"detail": "Not Found"})
    );

    let response = app.http.delete(app.url("/api/health")).send().await?;
    assert_eq!(response.status(), 405);
    assert_eq!(
        response.json::<Value>().await?,
        json!({"detail": "Method Not Allowed"})
    );
    Ok(())
}
