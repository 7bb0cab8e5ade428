//! End to end: the page at `/` in a real headless browser, driven through the harness, against
//! the service on its own fresh database. Every test has its own database, service and browser
//! session, and runs in its own process under nextest.
//!
//! `HARNESS_BROWSER=skip` turns these into printed skips on a machine with no browser.

mod child_binary;
mod errors;
mod scenarios;

use std::io::Write;
use std::sync::{Mutex, Once};

use harness::browser::Browser;
use tunix_rt::Config;

use crate::test_app::TestApp;

/// Where a button or an element of the page's DOM contract is.
pub const API_STATUS: &str = "[data-testid=api-status]";
pub const REDI_STATUS: &str = "[data-testid=redi-status]";
pub const TEXTAREA: &str = "#trace-json";
pub const LOAD_EXAMPLE: &str = "#load-example";
pub const UPLOAD: &str = "#upload";
pub const FETCH: &str = "#fetch";
pub const SUCCESS: &str = ".trace-success";
pub const ERROR: &str = ".trace-error";
pub const RESULT_PRE: &str = ".trace-result pre";

/// The service in-process over its own database, and a browser session showing its page.
pub struct PageTest {
    pub app: TestApp,
    pub browser: Browser,
}

impl PageTest {
    /// `None` when browser tests are skipped (`HARNESS_BROWSER=skip`; the skip is printed).
    pub async fn start() -> anyhow::Result<Option<PageTest>> {
        PageTest::start_with(Config::default()).await
    }

    pub async fn start_with(config: Config) -> anyhow::Result<Option<PageTest>> {
        capture_service_log();
        // The database and the browser do not depend on each other.
        let (app, browser) = tokio::join!(TestApp::start_with(config), Browser::start());
        let Some(mut browser) = browser? else {
            return Ok(None);
        };
        let app = match app {
            Ok(app) => app,
            Err(e) => {
                // Not a failure of the page: no artifacts to save.
                browser.close().await?;
                return Err(e);
            }
        };
        browser.attach_log(service_log);
        browser.goto(&app.url("/")).await?;
        Ok(Some(PageTest { app, browser }))
    }

    /// Fetch, and the text of the fetched trace once it shows its payload.
    pub async fn fetch_shown(&self) -> anyhow::Result<String> {
        self.browser.click(FETCH).await?;
        Ok(self
            .browser
            .expect(RESULT_PRE)
            .to_contain_text("payload")
            .await?)
    }

    /// Load Example, Upload, and the id the page reports.
    pub async fn upload_example(&self) -> anyhow::Result<String> {
        self.browser.click(LOAD_EXAMPLE).await?;
        self.browser.click(UPLOAD).await?;
        let message = self
            .browser
            .expect(SUCCESS)
            .to_contain_text("Success! Trace uploaded with ID: ")
            .await?;
        let id = message
            .trim()
            .strip_prefix("Success! Trace uploaded with ID: ")
            .expect("checked above")
            .to_owned();
        uuid::Uuid::parse_str(&id)?;
        Ok(id)
    }

    /// The number of traces in the test's database.
    pub async fn stored_traces(&self) -> anyhow::Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM traces")
            .fetch_one(self.app.db.pool())
            .await?)
    }

    /// A passing test's end: the browser session closed, the service stopped, the database dropped.
    pub async fn finish(self) -> anyhow::Result<()> {
        self.browser.close().await?;
        self.app.stop().await
    }
}

/// The in-process service's log: its tracing output, kept in memory for the failure artifacts.
/// Each test runs in its own process under nextest, so the buffer holds one test's log.
static SERVICE_LOG: Mutex<String> = Mutex::new(String::new());

struct ServiceLogWriter;

impl Write for ServiceLogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        SERVICE_LOG
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_str(&String::from_utf8_lossy(bytes));
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_service_log() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_ansi(false)
            .with_writer(|| ServiceLogWriter)
            .try_init();
    });
}

fn service_log() -> String {
    SERVICE_LOG
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}
