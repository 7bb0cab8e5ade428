//! End to end: the page at `/` in a real headless browser, driven through the harness, against
//! the service on its own fresh database. Every test has its own database, service and browser
//! session, and runs in its own process under nextest.
//!
//! They are browser tests by the module's name, `e2e`: on a machine with no browser, leave them out
//! by it, `cargo nextest run -E 'not test(/(^|::)(e2e|browser)::/)'`, and nextest lists them as
//! skipped.

mod child_binary;
mod errors;
mod scenarios;

use harness::browser::{Browser, TestContextExt as _};
use harness::sqlx_0_8::TestDatabaseExt as _;
use harness::{Fixture, FixtureError, TestContext};
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

/// `#[harness::test] async fn x(t: PageTest)`: the service with the default configuration,
/// and the browser on its page. Should the test fail, the browser's artifacts are saved, with the
/// service's log (the harness captures this process's tracing output).
impl Fixture for PageTest {
    async fn setup(test: &TestContext) -> Result<Self, FixtureError> {
        Ok(PageTest::setup_with(test, Config::default()).await?)
    }
}

impl PageTest {
    /// The service with `config`, and the browser on its page: for a fixture of a test that needs
    /// another configuration.
    pub async fn setup_with(test: &TestContext, config: Config) -> anyhow::Result<PageTest> {
        // The database and the browser do not depend on each other.
        let (app, browser) = tokio::join!(TestApp::setup_with(test, config), test.browser());
        let (app, browser) = (app?, browser?);
        browser.goto(&app.url("/")).await?;
        Ok(PageTest { app, browser })
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
}
