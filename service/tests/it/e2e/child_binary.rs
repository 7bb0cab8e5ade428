//! The compiled `tunix-rt` binary as a black box, driven through its page.

use harness::sqlx_0_8::TestDatabaseExt as _;
use std::sync::Arc;

use harness::ChildService;
use harness::browser::Browser;

use super::{FETCH, RESULT_PRE, SUCCESS};

const BINARY: &str = env!("CARGO_BIN_EXE_tunix-rt");

/// Written out without the attribute, for users who want no macro: its own runtime
/// (`#[tokio::test]`), the database and the browser started by hand, and a passing end by hand:
/// `browser.close()` (a `Browser` dropped without it counts as failed and saves its artifacts),
/// the binary stopped, `db.close()`. The binary's output is attached as the browser's service log,
/// since it logs in its own process.
#[tokio::test]
async fn the_binary_serves_a_page_that_uploads_and_fetches() -> anyhow::Result<()> {
    let (db, browser) = tokio::join!(
        harness::TestDatabase::new(&tunix_rt::MIGRATOR),
        Browser::start()
    );
    let (db, mut browser) = (db?, browser?);
    let service = ChildService::builder(BINARY)
        .env("DATABASE_URL", db.url())
        .env("REDIAI_MODE", "mock")
        .listen_env("TUNIX_RT_LISTEN")
        .ready_http("/api/health")
        .start()
        .await?;
    // Shared with the browser, which reads the binary's output should the test fail.
    let service = Arc::new(service);
    let log_source = Arc::clone(&service);
    browser.attach_log(move || log_source.log());

    browser.goto(&format!("{}/", service.base_url())).await?;
    browser.expect("h1").to_contain_text("Tunix RT").await?;
    browser
        .expect("[data-testid=api-status]")
        .to_contain_text("API: healthy")
        .await?;
    browser.click("#load-example").await?;
    browser.click("#upload").await?;
    let message = browser.expect(SUCCESS).to_contain_text("ID: ").await?;
    let id = message.rsplit(' ').next().unwrap_or_default().to_owned();
    browser.click(FETCH).await?;
    let shown = browser.expect(RESULT_PRE).to_contain_text("20°C").await?;
    assert!(
        shown.contains(&id) && shown.contains("Convert 68°F to Celsius"),
        "{shown}"
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM traces WHERE id = $1::uuid")
        .bind(&id)
        .fetch_one(db.pool())
        .await?;
    assert_eq!(stored, 1);

    browser.close().await?;
    let service = Arc::try_unwrap(service).expect("the browser's log source is gone");
    service.stop().await;
    db.close().await?;
    Ok(())
}
