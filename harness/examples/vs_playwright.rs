//! The harness's browser API against Playwright for Python, side by side in one run: the same
//! operations on the same page (examples/todomvc's app, served here) on the same Chromium, each
//! sampled `--samples` times (default 20), medians printed per operation with the ratio.
//!
//! `scripts/bench-vs-playwright [--samples N]` installs Playwright for Python (PyPI, pinned) in a
//! virtual environment under `target/` and runs this with it; by hand:
//! `cargo run -p e2e-harness --features browser,axum --example vs_playwright -- --python <python
//! with playwright>`.
//!
//! The harness is measured twice, each in a child process of its own (a run of its own): with its
//! defaults (a screenshot after each action, for the failure report) and with
//! `HARNESS_STEP_SCREENSHOTS=0`. Playwright runs with its defaults (no tracing).

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

use axum::response::Html;
use axum::routing::get;
use harness::InProcessService;
use harness::browser::{Browser, Locator};

const PAGE: &str = include_str!("../../examples/todomvc/src/todomvc.html");
const ITEMS: [&str; 3] = [
    "buy some cheese",
    "feed the cat",
    "book a doctors appointment",
];

fn sample(name: &str, started: Instant) {
    println!(
        "SAMPLE {name} {:.3}",
        started.elapsed().as_secs_f64() * 1000.0
    );
}

/// Playwright's own "should allow me to add todo items", with its browser.
async fn whole_test(url: &str) -> anyhow::Result<()> {
    let browser = Browser::start().await?;
    browser.goto(url).await?;
    let new_todo: Locator = Locator::placeholder("What needs to be done?").into();
    browser.fill(&new_todo, ITEMS[0]).await?;
    browser.press(&new_todo, "Enter").await?;
    browser
        .expect(Locator::test_id("todo-title"))
        .to_have_texts(&[ITEMS[0]])
        .await?;
    browser.fill(&new_todo, ITEMS[1]).await?;
    browser.press(&new_todo, "Enter").await?;
    browser
        .expect(Locator::test_id("todo-title"))
        .to_have_texts(&ITEMS[..2])
        .await?;
    browser
        .wait_for_function_with("(e) => JSON.parse(localStorage['todos']).length === e", 2)
        .await?;
    browser.close().await?;
    Ok(())
}

/// Child mode: the harness's side, printed as `SAMPLE <operation> <ms>` lines.
async fn ours(url: &str, samples: usize) -> anyhow::Result<()> {
    whole_test(url).await?; // warm-up: chromedriver and the run's Chromes started, not measured
    for _ in 0..samples {
        let t = Instant::now();
        let browser = Browser::start().await?;
        sample("a fresh context and page", t);
        let t = Instant::now();
        browser.goto(url).await?;
        sample("goto", t);
        let new_todo: Locator = Locator::placeholder("What needs to be done?").into();
        for item in ITEMS {
            let t = Instant::now();
            browser.fill(&new_todo, item).await?;
            sample("fill", t);
            let t = Instant::now();
            browser.press(&new_todo, "Enter").await?;
            sample("press Enter", t);
        }
        let t = Instant::now();
        browser.click(Locator::role("link").name("Active")).await?;
        sample("click", t);
        let t = Instant::now();
        browser.text(Locator::test_id("todo-count")).await?;
        sample("read a text", t);
        let t = Instant::now();
        browser
            .expect(Locator::test_id("todo-count"))
            .to_have_text("3 items left")
            .await?;
        sample("expect a text (holds)", t);
        let t = Instant::now();
        browser
            .expect(Locator::test_id("todo-title"))
            .to_have_texts(&ITEMS)
            .await?;
        sample("expect a list of texts (holds)", t);
        let t = Instant::now();
        browser.screenshot().await?;
        sample("screenshot", t);
        let t = Instant::now();
        browser.close().await?;
        sample("close", t);
        let t = Instant::now();
        whole_test(url).await?;
        sample("a whole test (Playwright's 'add todo items')", t);
    }
    Ok(())
}

/// Each operation's samples from a child's `SAMPLE` lines, in the order first seen.
fn samples_of(output: &std::process::Output, who: &str) -> Vec<(String, Vec<f64>)> {
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{who} failed: {text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut out: Vec<(String, Vec<f64>)> = Vec::new();
    for line in text.lines().filter_map(|l| l.strip_prefix("SAMPLE ")) {
        let (name, value) = line.rsplit_once(' ').expect("SAMPLE <name> <ms>");
        let value: f64 = value.parse().expect("milliseconds");
        match out.iter_mut().find(|(n, _)| n == name) {
            Some((_, values)) => values.push(value),
            None => out.push((name.to_owned(), vec![value])),
        }
    }
    out
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value_of = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let samples: usize = value_of("--samples").map_or(Ok(20), |n| n.parse())?;
    if let Some(url) = value_of("--ours") {
        return ours(&url, samples).await;
    }
    let python = value_of("--python").unwrap_or_else(|| "python3".into());
    let check = Command::new(&python)
        .args(["-c", "import playwright"])
        .output();
    if !check.is_ok_and(|o| o.status.success()) {
        anyhow::bail!(
            "{python} cannot import playwright: run scripts/bench-vs-playwright, or pass \
             --python <a python with `pip install playwright`>"
        );
    }

    let site =
        InProcessService::serve(axum::Router::new().route("/", get(|| async { Html(PAGE) })))
            .await?;
    let url = format!("{}/", site.base_url());
    let exe = std::env::current_exe()?;
    let ours_with = |screenshots: &str| {
        Command::new(&exe)
            .args(["--ours", &url, "--samples", &samples.to_string()])
            .env_remove("NEXTEST_RUN_ID")
            .env(harness::env::STEP_SCREENSHOTS, screenshots)
            .output()
    };
    let started = Instant::now();
    let defaults = samples_of(&ours_with("1")?, "the harness (defaults)");
    let lean = samples_of(&ours_with("0")?, "the harness (no step screenshots)");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/support/playwright_side.py"
    );
    let theirs = samples_of(
        &Command::new(&python)
            .args([script, &url, &samples.to_string()])
            .output()?,
        "Playwright for Python",
    );
    let theirs: BTreeMap<_, _> = theirs.into_iter().collect();
    let lean: BTreeMap<_, _> = lean.into_iter().collect();

    println!(
        "medians of {samples} samples, ms (all three in {:.0} s); ratio = harness / Playwright",
        started.elapsed().as_secs_f64()
    );
    println!(
        "  {:<46} {:>10} {:>12} {:>11} {:>7} {:>7}",
        "operation", "harness", "no step shots", "Playwright", "ratio", "no shots"
    );
    for (name, values) in &defaults {
        let ours = median(values);
        let lean = lean.get(name).map_or(f64::NAN, |v| median(v));
        let pw = theirs.get(name).map_or(f64::NAN, |v| median(v));
        println!(
            "  {name:<46} {ours:>10.1} {lean:>12.1} {pw:>11.1} {:>7.2} {:>7.2}",
            ours / pw,
            lean / pw
        );
    }
    Ok(())
}
