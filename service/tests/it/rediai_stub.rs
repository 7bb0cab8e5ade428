//! A stand-in RediAI on 127.0.0.1 whose answer the test sets, counting the probes it gets.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

#[derive(Default)]
struct Behaviour {
    status: AtomicU16,
    probes: AtomicUsize,
}

/// The stub: `/health` answers the status set with [`RediAiStub::answer`] (200 at first),
/// `/slow` answers after two seconds.
pub struct RediAiStub {
    behaviour: Arc<Behaviour>,
    service: harness::InProcessService,
}

impl RediAiStub {
    pub async fn start() -> anyhow::Result<RediAiStub> {
        let behaviour = Arc::new(Behaviour::default());
        behaviour.status.store(200, Ordering::SeqCst);
        let router = Router::new()
            .route("/health", get(health))
            .route("/slow", get(slow))
            .with_state(behaviour.clone());
        let service = harness::InProcessService::serve(router).await?;
        Ok(RediAiStub { behaviour, service })
    }

    pub fn base_url(&self) -> String {
        self.service.base_url().trim_end_matches('/').to_owned()
    }

    pub fn answer(&self, status: u16) {
        self.behaviour.status.store(status, Ordering::SeqCst);
    }

    pub fn probes(&self) -> usize {
        self.behaviour.probes.load(Ordering::SeqCst)
    }

    pub async fn stop(self) {
        self.service.stop().await;
    }
}

async fn health(State(behaviour): State<Arc<Behaviour>>) -> StatusCode {
    behaviour.probes.fetch_add(1, Ordering::SeqCst);
    StatusCode::from_u16(behaviour.status.load(Ordering::SeqCst)).unwrap_or(StatusCode::OK)
}

async fn slow(State(behaviour): State<Arc<Behaviour>>) -> StatusCode {
    behaviour.probes.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_secs(2)).await;
    StatusCode::OK
}
