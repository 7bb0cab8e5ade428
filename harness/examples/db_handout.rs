//! How long a test waits for its database when many test processes ask at once, as under
//! `cargo nextest run`: 2 and 8 concurrent processes, each taking databases one after another
//! with a short test body in between (`--body-ms`, default 20: a short API test's own work).
//! Side by side: a database from the run's pool of ready clones (`HARNESS_DB_POOL` sized to twice
//! the processes, as the default sizes it to twice the machine's parallelism), a clone made when
//! asked (`HARNESS_DB_POOL=0`), and `#[sqlx::test]`'s create + migrate; for this crate's two tiny
//! migrations and for a realistic set (15 migrations, 20 tables with indexes and foreign keys, in
//! `examples/realistic_migrations`).
//!
//! `cargo run -p e2e-harness --example db_handout [-- local|docker] [--per-process N] [--body-ms N]`
//!
//! Per database it prints the handout (until the test holds its `TestDatabase`), the first query
//! (which opens the connection a pooled database has not opened yet), and the drop at the end, as
//! medians and 95th percentiles over every process.

use harness::sqlx_0_8::TestDatabaseExt as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harness::{Backend, PostgresServer, TestDatabase};
use sqlx::Connection;
use sqlx::migrate::Migrator;

static TINY: Migrator = sqlx::migrate!("tests/it/migrations");
static REALISTIC: Migrator = sqlx::migrate!("examples/realistic_migrations");

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn migrator(name: &str) -> &'static Migrator {
    match name {
        "tiny" => &TINY,
        "realistic" => &REALISTIC,
        other => panic!("unknown schema {other}"),
    }
}

fn backend_named(name: &str) -> Backend {
    match name {
        "local" => Backend::Local,
        "docker" => Backend::Docker,
        other => panic!("unknown backend {other}: use local or docker"),
    }
}

/// Child mode: `n` databases one after another, each line `SAMPLE <handout> <first query> <drop>`.
async fn child(backend: Backend, schema: &str, how: &str, n: usize, body: Duration) {
    let server = PostgresServer::shared_with(backend).await.expect("server");
    let migrator = migrator(schema);
    for i in 0..n {
        let (handout, query, dropped) = match how {
            "pool" | "clone" => {
                let started = Instant::now();
                let db = TestDatabase::on(server, migrator).await.expect("database");
                let handout = started.elapsed();
                let started = Instant::now();
                sqlx::query("SELECT 1").execute(db.pool()).await.unwrap();
                let query = started.elapsed();
                tokio::time::sleep(body).await;
                let started = Instant::now();
                db.close().await.unwrap();
                (handout, query, started.elapsed())
            }
            "migrate" => {
                let name = format!("bench_migrate_{}_{i}", std::process::id());
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
                migrator.run(&mut conn).await.unwrap();
                let handout = started.elapsed();
                let started = Instant::now();
                sqlx::query("SELECT 1").execute(&mut conn).await.unwrap();
                let query = started.elapsed();
                tokio::time::sleep(body).await;
                let started = Instant::now();
                conn.close().await.unwrap();
                sqlx::raw_sql(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                (handout, query, started.elapsed())
            }
            other => panic!("unknown mode {other}"),
        };
        println!("SAMPLE {} {} {}", ms(handout), ms(query), ms(dropped));
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn report(label: &str, samples: &mut [f64]) -> String {
    samples.sort_by(f64::total_cmp);
    format!(
        "{label} median {:6.1} ms  p95 {:6.1} ms",
        percentile(samples, 0.5),
        percentile(samples, 0.95)
    )
}

/// Run `processes` children at once, all in one run (one server), and gather their samples.
fn measure(
    backend: &str,
    schema: &str,
    how: &str,
    processes: usize,
    (n, body_ms): (usize, u64),
    run: &str,
) {
    let exe = std::env::current_exe().unwrap();
    let pool = if how == "pool" {
        (processes * 2).to_string()
    } else {
        "0".into()
    };
    let children: Vec<_> = (0..processes)
        .map(|_| {
            Command::new(&exe)
                .args(["--child", backend, schema, how, &n.to_string()])
                .args([&body_ms.to_string()])
                // One run: the children share the server this process's run started.
                .env("NEXTEST_RUN_ID", run)
                .env(harness::env::DB_POOL, &pool)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("child")
        })
        .collect();
    let (mut handout, mut query, mut dropped) = (Vec::new(), Vec::new(), Vec::new());
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a child failed");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Some(rest) = line.strip_prefix("SAMPLE ") else {
                continue;
            };
            let v: Vec<f64> = rest.split(' ').map(|x| x.parse().unwrap()).collect();
            handout.push(v[0]);
            query.push(v[1]);
            dropped.push(v[2]);
        }
    }
    println!(
        "  {schema:<9} {how:<7} {processes} processes x {n}:  {}   {}   {}",
        report("handout", &mut handout),
        report("first query", &mut query),
        report("drop", &mut dropped)
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        let n = args[4].parse().unwrap();
        let body = Duration::from_millis(args[5].parse().unwrap());
        child(backend_named(&args[1]), &args[2], &args[3], n, body).await;
        return;
    }
    let number = |flag: &str, default: u64| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1)?.parse().ok())
            .unwrap_or(default)
    };
    let per_process = number("--per-process", 20) as usize;
    let body_ms = number("--body-ms", 20);
    let backend = args
        .iter()
        .find(|a| !a.starts_with("--") && a.parse::<usize>().is_err())
        .map_or("local", String::as_str);
    let run = format!("db-handout-{}", std::process::id());
    println!(
        "db handout: backend {backend}, {per_process} databases per process, a {body_ms} ms test body each; debug build unless --release"
    );
    // The server and both templates first, so that no figure includes them.
    for schema in ["tiny", "realistic"] {
        measure(backend, schema, "clone", 1, (1, 0), &run);
    }
    println!("(warm-up above: server start and template builds)");
    for processes in [2, 8] {
        for schema in ["tiny", "realistic"] {
            for how in ["pool", "clone", "migrate"] {
                measure(
                    backend,
                    schema,
                    how,
                    processes,
                    (per_process, body_ms),
                    &run,
                );
            }
        }
    }
}
