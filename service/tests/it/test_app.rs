//! The service under test: the real router on a fresh database, and a client to talk to it.

use harness::sqlx_0_8::TestDatabaseExt as _;
use std::time::Duration;

use serde_json::Value;
use sqlx::postgres::PgPoolOptions;
use tunix_rt::{AppState, Config};

/// The router served in-process over its own fresh, migrated database.
pub struct TestApp {
    pub db: harness::TestDatabase,
    pub service: harness::InProcessService,
    pub http: reqwest::Client,
}

/// The default: `#[harness::test] async fn t(app: TestApp)` gets the service with the default
/// configuration on the test's own database (`service/migrations`, the attribute's default
/// `migrations` directory), dropped or kept by the test's outcome.
impl harness::Fixture for TestApp {
    async fn setup(test: &harness::TestContext) -> Result<Self, harness::FixtureError> {
        Ok(TestApp::setup_with(test, Config::default()).await?)
    }
}

impl TestApp {
    /// The service with `config` (its request-time settings: limits, CORS, RediAI) on the test's
    /// own database: for a fixture of a test that needs another configuration.
    pub async fn setup_with(
        test: &harness::TestContext,
        config: Config,
    ) -> anyhow::Result<TestApp> {
        let db = test.database().await?;
        TestApp::serve(db, &config).await
    }

    /// Without `#[harness::test]`: the service with the default configuration, on a database
    /// that [`TestApp::stop`] drops.
    pub async fn start() -> anyhow::Result<TestApp> {
        TestApp::start_with(Config::default()).await
    }

    /// Without `#[harness::test]`: the service with `config`, on a database that
    /// [`TestApp::stop`] drops.
    pub async fn start_with(config: Config) -> anyhow::Result<TestApp> {
        let db = harness::TestDatabase::new(&tunix_rt::MIGRATOR).await?;
        TestApp::serve(db, &config).await
    }

    async fn serve(db: harness::TestDatabase, config: &Config) -> anyhow::Result<TestApp> {
        let state = AppState::new(db.pool().clone(), config)?;
        let service = harness::InProcessService::serve(tunix_rt::app(state)).await?;
        Ok(TestApp {
            db,
            service,
            http: client(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.service.base_url().trim_end_matches('/'))
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        Ok(self.http.get(self.url(path)).send().await?)
    }

    /// POSTs `body` as JSON text, exactly as given.
    pub async fn post_raw(
        &self,
        body: impl Into<reqwest::Body>,
    ) -> anyhow::Result<reqwest::Response> {
        Ok(self
            .http
            .post(self.url("/api/traces"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?)
    }

    pub async fn post_trace(&self, trace: &Value) -> anyhow::Result<reqwest::Response> {
        self.post_raw(trace.to_string()).await
    }

    /// POSTs a trace that must be accepted; returns its id.
    pub async fn create(&self, trace: &Value) -> anyhow::Result<String> {
        let response = self.post_trace(trace).await?;
        anyhow::ensure!(
            response.status() == 201,
            "POST answered {}",
            response.status()
        );
        let body: Value = response.json().await?;
        Ok(body["id"].as_str().expect("an id").to_owned())
    }

    /// A hand-written test's end: the service stopped, the database dropped (under
    /// `#[harness::test]` the outcome does this).
    pub async fn stop(self) -> anyhow::Result<()> {
        self.service.stop().await;
        Ok(self.db.close().await?)
    }
}

/// The service over a pool that cannot connect, for tests that never reach the database.
pub async fn serve_without_database(config: Config) -> anyhow::Result<harness::InProcessService> {
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(500))
        // Port 1 on loopback: nothing listens there; the pool never connects unless asked to.
        .connect_lazy("postgres://nobody@127.0.0.1:1/none")?;
    let state = AppState::new(pool, &config)?;
    Ok(harness::InProcessService::serve(tunix_rt::app(state)).await?)
}

/// A client that never goes through a proxy (every address in these tests is loopback).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a plain HTTP client builds")
}

/// The example trace from `fixtures/`, the one behind the page's Load Example.
pub fn example_trace() -> Value {
    serde_json::from_str(include_str!("../../../fixtures/example-trace.json"))
        .expect("the fixture is JSON")
}

/// A small valid trace whose prompt is `prompt`.
pub fn trace_with_prompt(prompt: &str) -> Value {
    serde_json::json!({
        "trace_version": "1.0",
        "prompt": prompt,
        "final_answer": "answer",
        "steps": [{"i": 0, "type": "thought", "content": "thinking"}],
    })
}
