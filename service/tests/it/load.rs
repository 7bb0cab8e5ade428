//! A short, bounded load check on loopback: uploads and reads in parallel, nothing lost.

use harness::sqlx_0_8::TestDatabaseExt as _;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use tokio::task::JoinSet;

use crate::test_app::{TestApp, trace_with_prompt};

const UPLOADS: usize = 300;
const CONCURRENCY: usize = 24;

#[harness::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_uploads_and_reads_lose_nothing(app: TestApp) {
    let app = Arc::new(app);
    let mut tasks = JoinSet::new();
    for worker in 0..CONCURRENCY {
        let app = app.clone();
        tasks.spawn(async move {
            let mut accepted = HashMap::new();
            let mut failures = Vec::new();
            for n in (worker..UPLOADS).step_by(CONCURRENCY) {
                let trace = trace_with_prompt(&format!("load check prompt {n} ✓"));
                match app.post_trace(&trace).await {
                    Ok(res) if res.status() == 201 => {
                        let body: Value = res.json().await.unwrap();
                        accepted.insert(body["id"].as_str().unwrap().to_owned(), trace);
                    }
                    Ok(res) => failures.push(format!("upload {n}: HTTP {}", res.status())),
                    Err(e) => failures.push(format!("upload {n}: {e}")),
                }
                // Reads interleave with the writes of the other workers.
                match app.get("/api/traces?limit=100").await {
                    Ok(res) if res.status() == 200 => {}
                    Ok(res) => failures.push(format!("list after {n}: HTTP {}", res.status())),
                    Err(e) => failures.push(format!("list after {n}: {e}")),
                }
            }
            (accepted, failures)
        });
    }
    let mut accepted = HashMap::new();
    let mut failures = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (ok, failed) = done.unwrap();
        accepted.extend(ok);
        failures.extend(failed);
    }
    assert!(
        failures.is_empty(),
        "{} failed requests, first: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert_eq!(accepted.len(), UPLOADS);

    let mut lost = 0;
    for (id, sent) in &accepted {
        let res = app.get(&format!("/api/traces/{id}")).await.unwrap();
        let body: Value = res.json().await.unwrap();
        if body["payload"] != *sent {
            lost += 1;
        }
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM traces")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    eprintln!(
        "load check: {UPLOADS} uploads over {CONCURRENCY} connections: {} accepted, {lost} lost or changed, {stored} rows",
        accepted.len()
    );
    assert_eq!(lost, 0);
    assert_eq!(stored, UPLOADS as i64);
}
