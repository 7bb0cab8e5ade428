//! The RediAI health client: a mock that is always healthy, or a real HTTP probe with a TTL cache.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Default `REDIAI_BASE_URL`.
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";
/// Default `REDIAI_HEALTH_PATH`.
pub const DEFAULT_HEALTH_PATH: &str = "/health";
/// Timeout of one health request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default `REDIAI_HEALTH_CACHE_TTL_SECONDS`.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(30);

/// `REDIAI_MODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RediAiMode {
    /// Always healthy, no network.
    Mock,
    /// GET the health URL.
    Real,
}

/// Settings of the RediAI health client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RediAiConfig {
    /// Mock or real.
    pub mode: RediAiMode,
    /// Base URL without a trailing slash.
    pub base_url: String,
    /// Path appended to the base URL; starts with `/`.
    pub health_path: String,
    /// Timeout of one request. Not an environment variable (the contract says 5 s); tests lower it.
    pub timeout: Duration,
    /// How long a result is reused; zero probes every time.
    pub cache_ttl: Duration,
}

impl Default for RediAiConfig {
    fn default() -> Self {
        RediAiConfig {
            mode: RediAiMode::Mock,
            base_url: DEFAULT_BASE_URL.to_owned(),
            health_path: DEFAULT_HEALTH_PATH.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            cache_ttl: DEFAULT_CACHE_TTL,
        }
    }
}

impl RediAiConfig {
    /// The URL that real mode probes.
    pub fn health_url(&self) -> String {
        format!(
            "{}{}",
            self.base_url.trim_end_matches('/'),
            self.health_path
        )
    }
}

/// The answer of `GET /api/redi/health`: `{"status":"healthy"}` or `{"status":"down","error":"..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RediAiHealth {
    /// Healthy or down.
    pub status: HealthStatus,
    /// Why it is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RediAiHealth {
    fn healthy() -> Self {
        RediAiHealth {
            status: HealthStatus::Healthy,
            error: None,
        }
    }

    fn down(error: String) -> Self {
        RediAiHealth {
            status: HealthStatus::Down,
            error: Some(error),
        }
    }
}

/// `healthy` or `down`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// RediAI answered 2xx (or mock mode).
    Healthy,
    /// RediAI answered otherwise, or not at all.
    Down,
}

/// The HTTP client for RediAI could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the RediAI HTTP client")]
pub struct ClientBuildError(#[source] reqwest::Error);

/// Asks RediAI whether it is healthy; cheap to clone (the cache is shared).
#[derive(Clone)]
pub struct RediAiClient {
    inner: Arc<Probe>,
}

struct Probe {
    mode: RediAiMode,
    http: reqwest::Client,
    url: String,
    timeout: Duration,
    cache_ttl: Duration,
    cache: Mutex<Option<(Instant, RediAiHealth)>>,
}

impl RediAiClient {
    /// A client with these settings.
    pub fn new(config: &RediAiConfig) -> Result<Self, ClientBuildError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            // A redirect is an answer in its own right ("HTTP 302"), as it was in the original.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(ClientBuildError)?;
        Ok(RediAiClient {
            inner: Arc::new(Probe {
                mode: config.mode,
                http,
                url: config.health_url(),
                timeout: config.timeout,
                cache_ttl: config.cache_ttl,
                cache: Mutex::new(None),
            }),
        })
    }

    /// RediAI's health, from the cache while it is fresh.
    pub async fn health(&self) -> RediAiHealth {
        let probe = &self.inner;
        if probe.mode == RediAiMode::Mock {
            return RediAiHealth::healthy();
        }
        // Held across the request on purpose: concurrent callers wait for one probe instead of
        // each sending their own while the cache is stale.
        let mut cache = probe.cache.lock().await;
        if let Some((at, health)) = cache.as_ref()
            && at.elapsed() < probe.cache_ttl
        {
            return health.clone();
        }
        let health = probe.check().await;
        if !probe.cache_ttl.is_zero() {
            *cache = Some((Instant::now(), health.clone()));
        }
        health
    }
}

impl Probe {
    async fn check(&self) -> RediAiHealth {
        let health = match self.http.get(&self.url).send().await {
            Ok(response) if response.status().is_success() => RediAiHealth::healthy(),
            Ok(response) => RediAiHealth::down(format!("HTTP {}", response.status().as_u16())),
            Err(err) => RediAiHealth::down(describe(&err, self.timeout)),
        };
        if let Some(error) = &health.error {
            tracing::warn!(url = %self.url, %error, "RediAI is down");
        }
        health
    }
}

/// A short reason for a failed request, without reqwest's wrapping.
fn describe(err: &reqwest::Error, timeout: Duration) -> String {
    if err.is_timeout() {
        return format!("Timeout after {}", human(timeout));
    }
    let root = root_cause(err);
    if err.is_connect() {
        let refused = std::iter::successors(Some(err as &dyn std::error::Error), |e| e.source())
            .filter_map(|e| e.downcast_ref::<std::io::Error>())
            .any(|io| io.kind() == std::io::ErrorKind::ConnectionRefused);
        if refused {
            return "Connection refused".to_owned();
        }
        return format!("Connection error: {root}");
    }
    format!("Request error: {root}")
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    std::iter::successors(Some(err), |e| e.source())
        .last()
        .map(ToString::to_string)
        .unwrap_or_default()
}

fn human(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_serializes_as_the_contract_says() {
        assert_eq!(
            serde_json::to_string(&RediAiHealth::healthy()).unwrap(),
            r#"{"status":"healthy"}"#
        );
        assert_eq!(
            serde_json::to_string(&RediAiHealth::down("HTTP 503".into())).unwrap(),
            r#"{"status":"down","error":"HTTP 503"}"#
        );
    }

    #[test]
    fn timeouts_read_naturally() {
        assert_eq!(human(Duration::from_secs(5)), "5s");
        assert_eq!(human(Duration::from_millis(250)), "250ms");
    }

    #[tokio::test]
    async fn mock_mode_is_healthy_without_network() {
        let client = RediAiClient::new(&RediAiConfig {
            // Nothing listens on port 9 (discard): a real probe would fail.
            base_url: "http://127.0.0.1:9".into(),
            ..RediAiConfig::default()
        })
        .unwrap();
        assert_eq!(client.health().await, RediAiHealth::healthy());
    }
}
