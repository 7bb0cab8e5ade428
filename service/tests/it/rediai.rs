//! `GET /api/redi/health` in real mode against a stub RediAI: healthy, non-2xx, timeout, refused,
//! and the TTL cache.

use std::time::Duration;

use serde_json::{Value, json};
use tunix_rt::Config;
use tunix_rt::rediai::{RediAiConfig, RediAiMode};

use crate::rediai_stub::RediAiStub;
use crate::test_app::{client, serve_without_database};

fn real_mode(base_url: String, health_path: &str, cache_ttl: Duration) -> Config {
    Config {
        rediai: RediAiConfig {
            mode: RediAiMode::Real,
            base_url,
            health_path: health_path.to_owned(),
            // The contract's 5 s would make the timeout test slow; the behaviour is the same.
            timeout: Duration::from_millis(300),
            cache_ttl,
        },
        ..Config::default()
    }
}

async fn rediai_health(service: &harness::InProcessService) -> anyhow::Result<Value> {
    let url = format!(
        "{}/api/redi/health",
        service.base_url().trim_end_matches('/')
    );
    let response = client().get(url).send().await?;
    assert_eq!(response.status(), 200);
    Ok(response.json().await?)
}

#[tokio::test]
async fn a_2xx_answer_is_healthy() -> anyhow::Result<()> {
    let stub = RediAiStub::start().await?;
    let service =
        serve_without_database(real_mode(stub.base_url(), "/health", Duration::ZERO)).await?;
    assert_eq!(rediai_health(&service).await?, json!({"status": "healthy"}));
    assert_eq!(stub.probes(), 1);
    service.stop().await;
    stub.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_non_2xx_answer_is_down_with_its_code() -> anyhow::Result<()> {
    let stub = RediAiStub::start().await?;
    stub.answer(503);
    let service =
        serve_without_database(real_mode(stub.base_url(), "/health", Duration::ZERO)).await?;
    assert_eq!(
        rediai_health(&service).await?,
        json!({"status": "down", "error": "HTTP 503"})
    );
    stub.answer(404);
    assert_eq!(
        rediai_health(&service).await?,
        json!({"status": "down", "error": "HTTP 404"})
    );
    service.stop().await;
    stub.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_slow_answer_is_down_with_a_timeout() -> anyhow::Result<()> {
    let stub = RediAiStub::start().await?;
    let service =
        serve_without_database(real_mode(stub.base_url(), "/slow", Duration::ZERO)).await?;
    let started = std::time::Instant::now();
    let health = rediai_health(&service).await?;
    assert_eq!(health["status"], "down");
    assert_eq!(health["error"], "Timeout after 300ms");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    service.stop().await;
    stub.stop().await;
    Ok(())
}

#[tokio::test]
async fn nothing_listening_is_down_with_connection_refused() -> anyhow::Result<()> {
    // A port that was just free: bound, then released, so nothing listens on it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let base_url = format!("http://127.0.0.1:{port}");
    let service = serve_without_database(real_mode(base_url, "/health", Duration::ZERO)).await?;
    assert_eq!(
        rediai_health(&service).await?,
        json!({"status": "down", "error": "Connection refused"})
    );
    service.stop().await;
    Ok(())
}

#[tokio::test]
async fn results_are_cached_for_the_ttl() -> anyhow::Result<()> {
    let ttl = Duration::from_millis(800);
    let stub = RediAiStub::start().await?;
    let service = serve_without_database(real_mode(stub.base_url(), "/health", ttl)).await?;

    assert_eq!(rediai_health(&service).await?["status"], "healthy");
    stub.answer(500);
    // Within the TTL the first answer stands and RediAI is not asked again.
    assert_eq!(rediai_health(&service).await?["status"], "healthy");
    assert_eq!(stub.probes(), 1);

    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    assert_eq!(
        rediai_health(&service).await?,
        json!({"status": "down", "error": "HTTP 500"})
    );
    assert_eq!(stub.probes(), 2);
    service.stop().await;
    stub.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_zero_ttl_asks_every_time() -> anyhow::Result<()> {
    let stub = RediAiStub::start().await?;
    let service =
        serve_without_database(real_mode(stub.base_url(), "/health", Duration::ZERO)).await?;
    for _ in 0..3 {
        rediai_health(&service).await?;
    }
    assert_eq!(stub.probes(), 3);
    service.stop().await;
    stub.stop().await;
    Ok(())
}
