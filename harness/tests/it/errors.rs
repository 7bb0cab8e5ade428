//! Bad input gets a clear error, fast.

use std::time::{Duration, Instant};

use harness::error::DatabaseError;
use harness::{ChildService, PostgresServer, TestDatabase};

use crate::child::{ScratchDir, helper, output_of};

/// Run the provisioning helper with these variables; return the line it printed.
pub fn provision_with(vars: &[(&str, &str)]) -> String {
    let scratch = ScratchDir::new("err");
    let mut command = helper("helper_report_provision_error");
    command.env("HARNESS_DIR", &scratch.0);
    for (key, value) in vars {
        command.env(key, value);
    }
    let (out, err) = output_of(command);
    let Some((_, result)) = out.split_once("RESULT ") else {
        panic!("the helper printed no result; stdout:\n{out}\nstderr:\n{err}");
    };
    // The error may span lines (one per backend tried); libtest's summary follows it.
    result
        .split("\ntest ")
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

#[test]
fn missing_binaries_name_where_the_harness_looked_and_how_to_install() {
    let line = provision_with(&[
        ("HARNESS_POSTGRES", "local"),
        ("HARNESS_PG_BIN", "/no/such/dir"),
    ]);
    assert!(line.starts_with("ERROR"), "{line}");
    assert!(line.contains("no Postgres binaries found"), "{line}");
    assert!(line.contains("HARNESS_PG_BIN=/no/such/dir"), "{line}");
    assert!(line.contains("hint:"), "{line}");
}

#[test]
fn auto_with_nothing_available_lists_every_backend_tried_within_seconds() {
    let line = provision_with(&[
        ("HARNESS_POSTGRES", "auto"),
        ("HARNESS_PG_BIN", "/no/such/dir"),
        ("DOCKER_HOST", "unix:///no/such/docker.sock"),
    ]);
    assert!(line.contains("no Postgres backend could be used"), "{line}");
    for backend in [
        "external: HARNESS_POSTGRES_URL is not set",
        "local: no Postgres binaries",
        "docker: cannot reach",
    ] {
        assert!(line.contains(backend), "missing `{backend}` in {line}");
    }
    // The helper prints how long provisioning took before giving up.
    let took = line.split_whitespace().nth(2).unwrap_or_default();
    assert!(
        took.ends_with("µs:") || took.ends_with("ms:"),
        "gave up after {took} instead of within a second: {line}"
    );
}

#[test]
fn an_unknown_backend_name_is_refused() {
    let line = provision_with(&[("HARNESS_POSTGRES", "mysql")]);
    assert!(
        line.contains(
            "HARNESS_POSTGRES=\"mysql\" is not accepted: expected auto, local, docker or external"
        ),
        "{line}"
    );
}

#[tokio::test]
async fn an_unreachable_external_server_fails_in_seconds_with_the_probe_report() {
    let port = harness::free_loopback_port().unwrap();
    let url = format!(
        "postgres://postgres:s3cret@127.0.0.1:{}/postgres", // pragma: allowlist secret
        port.port()
    );
    let started = Instant::now();
    let err = PostgresServer::external(&url).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(8));
    let text = harness::error_chain(&err);
    assert!(
        text.contains(&format!("127.0.0.1:{}", port.port())),
        "{text}"
    );
    assert!(text.contains("attempts"), "{text}");
    assert!(!text.contains("s3cret"), "the password leaked: {text}");
}

#[tokio::test]
async fn a_broken_migration_is_named_with_its_sql_error() {
    // The same broken set, through sqlx's own migrator (the adapter) and read by the harness.
    let read = harness::migrate::SqlMigrations::sqlx(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/broken_migrations"),
    )
    .unwrap();
    let by_sqlx = TestDatabase::new(&crate::BROKEN_MIGRATOR)
        .await
        .unwrap_err();
    let by_harness = TestDatabase::new(&read).await.unwrap_err();
    for err in [by_sqlx, by_harness] {
        match &err {
            DatabaseError::Migrate {
                source: harness::error::MigrateError::Apply { migration, .. },
                ..
            } => assert_eq!(migration, "2 (broken column)"),
            other => panic!("expected a migration error, got {other:?}"),
        }
        let text = harness::error_chain(&err);
        assert!(text.contains("no_such_type"), "{text}");
    }
}

#[tokio::test]
async fn a_service_that_cannot_bind_its_port_fails_with_its_output() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let started = Instant::now();
    let err = ChildService::builder(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child::helper_serve_http",
            "--ignored",
            "--nocapture",
        ])
        .env("HELPER_FORCE_ADDR", &addr)
        .listen_env("HELPER_LISTEN")
        .ready_http("/health")
        .start()
        .await
        .unwrap_err();
    let text = harness::error_chain(&err);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "it should fail as soon as the child exits"
    );
    assert!(text.contains("exited"), "{text}");
    assert!(text.contains(&format!("cannot listen on {addr}")), "{text}");
}

#[tokio::test]
async fn a_child_service_is_probed_on_127_0_0_1_and_stopped() {
    let service = ChildService::builder(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child::helper_serve_http",
            "--ignored",
            "--nocapture",
        ])
        .listen_env("HELPER_LISTEN")
        .ready_http("/health")
        .start()
        .await
        .unwrap();
    assert!(
        service.base_url().starts_with("http://127.0.0.1:"),
        "{}",
        service.base_url()
    );
    let addr = service.addr();
    service.stop().await;
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "the child still listens after stop"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_harness_dir_that_cannot_be_written_is_named_in_the_error() {
    // Even root cannot create files under /proc: a stand-in for a read-only or full disk.
    let line = provision_with(&[
        ("HARNESS_POSTGRES", "local"),
        ("HARNESS_DIR", "/proc/harness-read-only"),
    ]);
    assert!(line.starts_with("ERROR"), "{line}");
    assert!(
        line.contains("cannot use /proc/harness-read-only"),
        "{line}"
    );
}

/// Tests that need a Docker engine (in a module of that name: a run without one leaves them out by it).
mod docker {
    use super::*;

    #[test]
    fn an_image_that_is_absent_and_cannot_be_pulled_says_how_to_build_one() {
        let line = provision_with(&[
            ("HARNESS_POSTGRES", "docker"),
            ("HARNESS_POSTGRES_IMAGE", "harness-no-such-image:0"),
        ]);
        assert!(
            line.contains("image harness-no-such-image:0 is not present and cannot be pulled"),
            "{line}"
        );
        assert!(line.contains("scripts/build-image postgres"), "{line}");
    }
}

/// The README's table of variables is the code's: every variable the settings read, in order,
/// with its default as the code documents it (the internal ones after them are not settings).
#[test]
fn the_readme_lists_every_setting_with_its_default() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let rows: Vec<(String, String)> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `HARNESS_"))
        .map(|row| {
            let cells: Vec<&str> = row.split(" | ").collect();
            let name = format!("HARNESS_{}", cells[0].trim_end_matches('`'));
            (name, cells[1].to_owned())
        })
        .filter(|(name, _)| !matches!(name.as_str(), "HARNESS_KEEPER_SPEC" | "HARNESS_RUN_FIXTURE_STATE" | "HARNESS_TEST_REDIS_IMAGE"))
        .collect();
    let code: Vec<(String, String)> = harness::env::VARIABLES
        .iter()
        .map(|v| (v.name.to_owned(), v.default.to_owned()))
        .collect();
    assert_eq!(rows, code);
}

/// A bad value fails the attribute's test before anything starts, naming each variable at fault.
#[test]
fn a_bad_setting_fails_the_test_naming_it() {
    let (passed, text) = crate::attribute::run_helper_with(
        "errors::helper_any_test",
        "-",
        &[
            (harness::env::DB_POOL, "abc"),
            (harness::env::STARTUP_TIMEOUT, "soon"),
        ],
    );
    assert!(!passed, "{text}");
    for says in [
        "errors::helper_any_test: bad harness settings (nothing was started)",
        "HARNESS_DB_POOL=\"abc\" is not accepted: expected a count from 0 to 64",
        "HARNESS_STARTUP_TIMEOUT=\"soon\" is not accepted: expected a duration",
    ] {
        assert!(text.contains(says), "should say {says:?}: {text}");
    }
    assert!(!text.contains("HELPER RAN"), "{text}");
}

#[harness::test(migrations = false)]
#[ignore = "helper run by other tests as a child process"]
async fn helper_any_test(_db: harness::TestDatabase) {
    println!("HELPER RAN");
}
