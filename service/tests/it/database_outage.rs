//! The database going away and coming back: 503 with a JSON detail meanwhile, then recovery.

use std::net::ToSocketAddrs;
use std::str::FromStr;
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tunix_rt::{AppState, Config};

use crate::tcp_proxy::TcpProxy;
use crate::test_app::{client, trace_with_prompt};

#[harness::test]
async fn an_unreachable_database_gives_503_and_the_service_recovers(
    db: harness::TestDatabase,
) -> anyhow::Result<()> {
    let direct = PgConnectOptions::from_str(db.url())?;
    let target = (direct.get_host(), direct.get_port())
        .to_socket_addrs()?
        .next()
        .expect("the database URL names an address");
    let proxy = TcpProxy::start(target).await?;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy_with(
            direct
                .host(&proxy.address().ip().to_string())
                .port(proxy.address().port()),
        );
    let state = AppState::new(pool, &Config::default())?;
    let service = harness::InProcessService::serve(tunix_rt::app(state)).await?;
    let base = service.base_url().trim_end_matches('/').to_owned();
    let http = client();
    let post = || {
        http.post(format!("{base}/api/traces"))
            .header("content-type", "application/json")
            .body(trace_with_prompt("outage").to_string())
            .send()
    };

    assert_eq!(post().await?.status(), 201);

    proxy.cut();
    let started = Instant::now();
    let response = post().await?;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await?;
    assert!(body["detail"].is_string(), "{body}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        http.get(format!("{base}/api/traces"))
            .send()
            .await?
            .status(),
        503
    );
    // Liveness does not depend on the database.
    assert_eq!(
        http.get(format!("{base}/api/health"))
            .send()
            .await?
            .status(),
        200
    );

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = post().await?.status();
        if status == 201 {
            break;
        }
        assert_eq!(status, 503, "only 503 while reconnecting");
        assert!(Instant::now() < deadline, "no recovery within 15 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let list: Value = http
        .get(format!("{base}/api/traces"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    Ok(())
}
