//! Figures per backend: cold server start, template build, per-test clone, and what
//! `#[sqlx::test]` does per test instead (CREATE DATABASE + every migration), in the same run;
//! then the per-test cost of a SQL fixture set (300 rows as INSERT statements): cloned from a
//! template that holds it, against applied to each test's database.
//!
//! `cargo run -p e2e-harness --example bench [-- local docker] [--starts N] [--clones N]`
//!
//! Each cold start runs in a child process of its own (a run of its own), so the server really is
//! started and removed every time. Warm runs (`HARNESS_LINGER`): runs of one test each, in child
//! processes sharing a harness directory of their own, the first of which starts the server; the
//! figure is what each later one waits for its database and its clean-up, from its start.

#[path = "support/warm_runs.rs"]
mod support;

use harness::sqlx_0_8::TestDatabaseExt as _;
use std::process::Command;
use std::time::{Duration, Instant};

use harness::{Backend, PostgresServer, SqlFixture, TestDatabase};
use sqlx::Connection;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("tests/it/migrations");

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(label: &str, samples: &mut [f64]) {
    samples.sort_by(f64::total_cmp);
    let median = samples[samples.len() / 2];
    let max = samples[samples.len() - 1];
    println!(
        "  {label:<42} median {median:8.1} ms   min {:8.1} ms   max {max:8.1} ms   (n={})",
        samples[0],
        samples.len()
    );
}

fn backend_named(name: &str) -> Backend {
    match name {
        "local" => Backend::Local,
        "docker" => Backend::Docker,
        other => panic!("unknown backend {other}: use local or docker"),
    }
}

/// Child mode: start the backend's server once, print the time, exit (the keeper removes it).
async fn child_start(backend: Backend) {
    let started = Instant::now();
    PostgresServer::shared_with(backend).await.expect("server");
    println!("START_MS {}", ms(started.elapsed()));
}

/// Child mode: one warm run's test: a database from the (lingering) server, used and closed.
async fn child_warm(backend: Backend) {
    let started = Instant::now();
    let server = PostgresServer::shared_with(backend).await.expect("server");
    let db = TestDatabase::on(server, &MIGRATOR).await.expect("database");
    count_notes(&db).await;
    db.close().await.expect("close");
    println!("WARM_MS {}", ms(started.elapsed()));
}

/// `runs` runs of one test each with `HARNESS_LINGER`, in a harness directory of their own that
/// `harness::lingering::down` (in a child, which sees that directory) empties at the end.
fn warm_runs(backend: Backend, runs: usize) {
    let (first, mut samples) = support::measure(&[&backend.to_string()], runs);
    println!(
        "  {:<42} {first:8.1} ms (server start, template, first clone)",
        "warm runs: the first run's test"
    );
    summary("warm runs: a later run's test", &mut samples);
}

async fn measure(backend: Backend, starts: usize, clones: usize) {
    println!("backend {backend}");
    let exe = std::env::current_exe().unwrap();
    let mut cold: Vec<f64> = (0..starts)
        .map(|_| {
            let out = Command::new(&exe)
                .args(["--child-start", &backend.to_string()])
                .env_remove("NEXTEST_RUN_ID")
                .output()
                .expect("child");
            let text = String::from_utf8_lossy(&out.stdout);
            text.lines()
                .find_map(|l| l.strip_prefix("START_MS ")?.parse().ok())
                .unwrap_or_else(|| {
                    panic!(
                        "child failed: {text}{}",
                        String::from_utf8_lossy(&out.stderr)
                    )
                })
        })
        .collect();
    summary("cold server start (cache warm)", &mut cold);
    warm_runs(backend, starts);

    let server = PostgresServer::shared_with(backend).await.expect("server");
    let started = Instant::now();
    let first = TestDatabase::on(server, &MIGRATOR)
        .await
        .expect("first database");
    let first_ms = ms(started.elapsed());
    first.close().await.unwrap();
    println!(
        "  {:<42} {first_ms:8.1} ms (template build + first clone)",
        "first database"
    );

    let mut clone = Vec::new();
    let mut drop = Vec::new();
    for _ in 0..clones {
        let started = Instant::now();
        let db = TestDatabase::on(server, &MIGRATOR).await.unwrap();
        sqlx::query("SELECT count(*) FROM notes")
            .execute(db.pool())
            .await
            .unwrap();
        clone.push(ms(started.elapsed()));
        let started = Instant::now();
        db.close().await.unwrap();
        drop.push(ms(started.elapsed()));
    }
    summary("harness: clone of migrated template", &mut clone);
    summary("harness: drop after the test", &mut drop);

    let mut sqlx_test = Vec::new();
    for i in 0..clones {
        let name = format!("bench_sqlx_style_{i}_{}", std::process::id());
        let started = Instant::now();
        let mut admin = sqlx::PgConnection::connect(&server.admin_url())
            .await
            .unwrap();
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin)
            .await
            .unwrap();
        let mut conn = sqlx::PgConnection::connect(&server.url_for(&name))
            .await
            .unwrap();
        MIGRATOR.run(&mut conn).await.unwrap();
        sqlx::query("SELECT count(*) FROM notes")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx_test.push(ms(started.elapsed()));
        conn.close().await.unwrap();
        sqlx::raw_sql(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    summary("#[sqlx::test] style: create + migrate", &mut sqlx_test);
    let ratio = sqlx_test[sqlx_test.len() / 2] / clone[clone.len() / 2];
    println!("  clone is {ratio:.1}x faster than create + migrate (medians)");

    let seed: String = (0..300)
        .map(|i| format!("INSERT INTO notes (body, tags) VALUES ('note {i}', '{{seed,n{i}}}');\n"))
        .collect();
    let fixtures = [SqlFixture::new("seed.sql", seed.clone())];
    TestDatabase::on_with_fixtures(server, &MIGRATOR, &fixtures)
        .await
        .expect("the fixtures' template")
        .close()
        .await
        .unwrap();
    let mut in_template = Vec::new();
    let mut per_test = Vec::new();
    for _ in 0..clones {
        let started = Instant::now();
        let db = TestDatabase::on_with_fixtures(server, &MIGRATOR, &fixtures)
            .await
            .unwrap();
        assert_eq!(count_notes(&db).await, 300);
        in_template.push(ms(started.elapsed()));
        db.close().await.unwrap();

        let started = Instant::now();
        let db = TestDatabase::on(server, &MIGRATOR).await.unwrap();
        sqlx::raw_sql(&seed).execute(db.pool()).await.unwrap();
        assert_eq!(count_notes(&db).await, 300);
        per_test.push(ms(started.elapsed()));
        db.close().await.unwrap();
    }
    summary("fixtures in the template: clone", &mut in_template);
    summary("fixtures applied per test: clone + SQL", &mut per_test);
    let (a, b) = (
        in_template[in_template.len() / 2],
        per_test[per_test.len() / 2],
    );
    println!(
        "  a fixture set costs {:.1} ms per test in the template, {:.1} ms applied per test (medians, over a plain clone {:.1} ms)",
        a - clone[clone.len() / 2],
        b - clone[clone.len() / 2],
        clone[clone.len() / 2]
    );
}

async fn count_notes(db: &TestDatabase) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM notes")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--child-start") {
        child_start(backend_named(&args[i + 1])).await;
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--child-warm") {
        child_warm(backend_named(&args[i + 1])).await;
        return;
    }
    if args.iter().any(|a| a == "--child-down") {
        support::down();
        return;
    }
    let number = |flag: &str, default: usize| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(default)
    };
    let (starts, clones) = (number("--starts", 5), number("--clones", 20));
    let mut backends: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--") && a.parse::<usize>().is_err())
        .map(String::as_str)
        .collect();
    if backends.is_empty() {
        backends = vec!["local", "docker"];
    }
    println!(
        "harness bench: {starts} cold starts, {clones} databases per backend; debug build unless --release"
    );
    for name in backends {
        measure(backend_named(name), starts, clones).await;
    }
}
