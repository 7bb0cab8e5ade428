//! Figures for browser tests: chromedriver start, session start, first and later navigations,
//! close. Whole suites under `cargo nextest run` are `suite_bench`'s.
//!
//! `cargo run -p e2e-harness --all-features --example browser_bench [-- --runs N]`
//!
//! Each measurement of a cold start runs in a child process of its own (a run of its own), so
//! chromedriver and the browser really are started and removed every time. Warm runs
//! (`HARNESS_LINGER`): one-test runs in child processes sharing a harness directory of their own;
//! the first starts chromedriver and a Chrome, each later one's browser is a context in them.

#[path = "support/warm_runs.rs"]
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use axum::response::Html;
use axum::routing::get;
use harness::InProcessService;
use harness::browser::Browser;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(label: &str, samples: &mut [f64]) {
    samples.sort_by(f64::total_cmp);
    println!(
        "  {label:<44} median {:8.1} ms   min {:8.1}   max {:8.1}   (n={})",
        samples[samples.len() / 2],
        samples[0],
        samples[samples.len() - 1],
        samples.len()
    );
}

/// Child mode: one cold start of everything, each step timed, printed as `STEP name ms`.
async fn child() {
    let page = axum::Router::new().route(
        "/",
        get(|| async { Html("<!doctype html><title>bench</title><h1>bench</h1>") }),
    );
    let site = InProcessService::serve(page).await.expect("page");
    let step = |name: &str, started: Instant| println!("STEP {name} {}", ms(started.elapsed()));

    let t = Instant::now();
    harness::browser::warm_up().await.expect("webdriver");
    step(
        "webdriver server start (chromedriver, + shared Chrome if reused)",
        t,
    );
    let t = Instant::now();
    let browser = Browser::start().await.expect("browser");
    step("session start (a fresh Chrome, or a context)", t);
    let t = Instant::now();
    browser.goto(site.base_url()).await.expect("goto");
    step("first navigation", t);
    let t = Instant::now();
    browser
        .goto(&format!("{}/?again", site.base_url()))
        .await
        .expect("goto");
    step("later navigation", t);
    let t = Instant::now();
    browser
        .expect("h1")
        .to_contain_text("bench")
        .await
        .expect("h1");
    step("auto-waiting assertion that holds", t);
    let t = Instant::now();
    browser.close().await.expect("close");
    step("close", t);
    let t = Instant::now();
    let second = Browser::start().await.expect("browser");
    step("second session start (server already up)", t);
    second.close().await.expect("close");
}

/// Child mode: one warm run's browser test, from the process's start to its browser closed,
/// printed as `WARM_MS`.
async fn child_warm(started: Instant) {
    let browser = Browser::start().await.expect("browser");
    browser.close().await.expect("close");
    println!("WARM_MS {}", ms(started.elapsed()));
}

/// `runs` one-test runs with `HARNESS_LINGER` in a harness directory of their own, emptied by
/// `harness::lingering::down` (in a child, which sees that directory) at the end.
fn warm_runs(runs: usize) {
    let (first, mut samples) = support::measure(&[], runs);
    println!("warm runs (HARNESS_LINGER), a browser started and closed per run");
    println!(
        "  {:<44} {first:8.1} ms (chromedriver and a Chrome started)",
        "the first run"
    );
    summary(
        "a later run (a context in the lingering Chrome)",
        &mut samples,
    );
}

fn cold_starts(runs: usize, reuse: &str) {
    let exe = std::env::current_exe().unwrap();
    let mut steps: Vec<(String, Vec<f64>)> = Vec::new();
    for _ in 0..runs {
        let out = Command::new(&exe)
            .arg("--child")
            .env_remove("NEXTEST_RUN_ID")
            .env(harness::env::BROWSER_REUSE, reuse)
            .output()
            .expect("child");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        for line in text.lines().filter_map(|l| l.strip_prefix("STEP ")) {
            let (name, value) = line.rsplit_once(' ').unwrap();
            let value: f64 = value.parse().unwrap();
            match steps.iter_mut().find(|(n, _)| n == name) {
                Some((_, samples)) => samples.push(value),
                None => steps.push((name.to_owned(), vec![value])),
            }
        }
    }
    println!("HARNESS_BROWSER_REUSE={reuse}: cold run, one process");
    for (name, samples) in &mut steps {
        summary(name, samples);
    }
}

#[tokio::main]
async fn main() {
    let started = Instant::now();
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--child") {
        child().await;
        return;
    }
    if args.iter().any(|a| a == "--child-warm") {
        child_warm(started).await;
        return;
    }
    if args.iter().any(|a| a == "--child-down") {
        support::down();
        return;
    }
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(3);
    for reuse in ["0", "1"] {
        cold_starts(runs, reuse);
    }
    warm_runs(runs.max(5));
}
