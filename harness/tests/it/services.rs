//! Services besides Postgres, proven with a real Redis: Debian's `redis-server` binary, and a
//! container from the offline image (`scripts/build-image redis`). Shared across the processes
//! of a run, isolated per test, gone after a SIGKILL of the run, clear errors when missing.
#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use harness::error::ServiceError;
use harness::{
    AddressFormat, BinaryService, ContainerService, Ready, Service, ServiceBuilder, ServiceKind,
};

use crate::child::{ScratchDir, eventually, helper, nothing_runs_under, wait_for_line};

/// The image `scripts/build-image redis` builds, unless `HARNESS_TEST_REDIS_IMAGE` names another
/// (`redis:7` where a registry can be reached).
fn redis_image() -> String {
    std::env::var("HARNESS_TEST_REDIS_IMAGE").unwrap_or_else(|_| "harness-redis:7".into())
}

pub fn redis_binary() -> ServiceBuilder<BinaryService> {
    Service::binary("redis-server")
        .listen_arg_as("--port", AddressFormat::Port)
        .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .ready(Ready::Log("Ready to accept connections".into()))
}

pub fn redis_container() -> ServiceBuilder<ContainerService> {
    Service::container(redis_image())
        .port(6379)
        .ready(Ready::Log("Ready to accept connections".into()))
}

/// One command in Redis' protocol, its reply's first line (`+PONG`, `$5` …, `:1`) and, for a
/// bulk string, the string.
pub(crate) fn redis(port: u16, args: &[&str]) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(request.as_bytes()).unwrap();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let line = line.trim_end().to_owned();
    match line.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
        Some(len) => {
            let mut body = vec![0; len + 2];
            reader.read_exact(&mut body).unwrap();
            String::from_utf8_lossy(&body[..len]).into_owned()
        }
        None => line,
    }
}

fn closed(port: u16) -> Result<(), String> {
    match TcpStream::connect(("127.0.0.1", port)) {
        Ok(_) => Err(format!("something still listens on 127.0.0.1:{port}")),
        Err(_) => Ok(()),
    }
}

fn no_containers_under(scratch: &ScratchDir) -> Result<(), String> {
    let tag = scratch.0.to_string_lossy().into_owned();
    let out = std::process::Command::new("docker")
        .args(["ps", "-aq", "--filter", "label=dev.harness.managed"])
        .output()
        .unwrap();
    let ids = String::from_utf8_lossy(&out.stdout).into_owned();
    // Containers of other runs (the suite's own Postgres) carry other directory tags: only this
    // scratch directory's runs' containers count, found through their published port's owner.
    let ours: Vec<&str> = ids
        .lines()
        .filter(|id| {
            std::process::Command::new("docker")
                .args(["inspect", "--format", "{{json .Config.Labels}}", id])
                .output()
                .is_ok_and(|o| {
                    let labels = String::from_utf8_lossy(&o.stdout).into_owned();
                    labels.contains(&tag) || labels.contains(&scratch_tag(scratch))
                })
        })
        .collect();
    if ours.is_empty() {
        Ok(())
    } else {
        Err(format!("containers left: {ours:?}"))
    }
}

/// The run id the scratch test gave its fake runner, which the containers' labels carry.
fn scratch_tag(scratch: &ScratchDir) -> String {
    std::fs::read_to_string(scratch.0.join("run-id")).unwrap_or_else(|_| "\0".into())
}

/// Two processes of one run get one Redis; a SIGKILL to the runner and its processes removes it.
fn shared_across_a_run_then_gone_after_sigkill(kind: &str) {
    let scratch = ScratchDir::new("redis-run");
    let run_id = uuid::Uuid::new_v4().to_string();
    std::fs::write(scratch.0.join("run-id"), &run_id).unwrap();
    let mut runner = helper("helper_fake_runner")
        .env("HELPER_WORKER", "helper_hold_redis")
        .env("HARNESS_DIR", &scratch.0)
        .env("HELPER_RUN_ID", &run_id)
        .env("HELPER_REDIS", format!("{kind}-shared"))
        .spawn()
        .unwrap();
    let mut out = BufReader::new(runner.stdout.take().unwrap());
    let mut workers = Vec::new();
    for _ in 0..2 {
        let line = wait_for_line(&mut out, "WORKER ", Duration::from_secs(90)).unwrap();
        let (pid, port) = line.split_once(' ').unwrap();
        workers.push((pid.parse::<i32>().unwrap(), port.parse::<u16>().unwrap()));
    }
    let port = workers[0].1;
    assert_eq!(
        port, workers[1].1,
        "both processes of the run share one Redis"
    );
    assert_eq!(redis(port, &["PING"]), "+PONG");
    assert_eq!(redis(port, &["SET", "shared", "yes"]), "+OK");
    assert_eq!(redis(port, &["GET", "shared"]), "yes");

    // SIGKILL to the whole run: the runner, then its test processes.
    for pid in std::iter::once(runner.id() as i32).chain(workers.iter().map(|(pid, _)| *pid)) {
        // SAFETY: kill has no memory-safety preconditions.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let _ = runner.wait();
    eventually(Duration::from_secs(15), || {
        closed(port)?;
        nothing_runs_under(&scratch.0)?;
        if kind == "container" {
            no_containers_under(&scratch)?;
        }
        let runs: Vec<_> = std::fs::read_dir(scratch.0.join("runs"))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        if runs.is_empty() {
            Ok(())
        } else {
            Err(format!("run directories left: {runs:?}"))
        }
    });
}

#[test]
fn a_shared_redis_binary_serves_the_whole_run_and_goes_after_sigkill() {
    shared_across_a_run_then_gone_after_sigkill("binary");
}

/// A test's own Redis: isolated from another test's, gone at `stop()`.
async fn each_test_gets_its_own<K: ServiceKind>(builder: fn() -> ServiceBuilder<K>) {
    let first = builder().start().await.unwrap();
    let second = builder().start().await.unwrap();
    assert_ne!(first.port(), second.port());
    assert!(first.url("redis").starts_with("redis://127.0.0.1:"));
    let (a, b) = (first.port(), second.port());
    tokio::task::spawn_blocking(move || {
        assert_eq!(redis(a, &["SET", "mine", "first"]), "+OK");
        assert_eq!(
            redis(b, &["EXISTS", "mine"]),
            ":0",
            "the other Redis sees nothing"
        );
    })
    .await
    .unwrap();
    assert!(
        first.log().await.contains("Ready to accept connections"),
        "its log is captured"
    );
    first.stop().await;
    closed(a).unwrap();
    assert_eq!(
        redis(b, &["PING"]),
        "+PONG",
        "stopping one leaves the other"
    );
    second.stop().await;
    closed(b).unwrap();
}

#[tokio::test]
async fn each_test_gets_its_own_redis_binary() {
    each_test_gets_its_own(redis_binary).await;
}

/// A test's own Redis goes with its test process, even on SIGKILL.
fn own_gone_after_sigkill(kind: &str) {
    let scratch = ScratchDir::new("redis-own");
    let mut command = helper("helper_hold_redis");
    command
        .env("HARNESS_DIR", &scratch.0)
        .env("HELPER_REDIS", format!("{kind}-own"));
    let (mut child, _out, port) = crate::child::spawn_ready(command);
    let port: u16 = port.parse().unwrap();
    assert_eq!(redis(port, &["PING"]), "+PONG");
    child.kill().unwrap();
    let _ = child.wait();
    eventually(Duration::from_secs(15), || {
        closed(port)?;
        nothing_runs_under(&scratch.0)
    });
}

#[test]
fn a_tests_own_redis_binary_goes_when_the_test_is_killed() {
    own_gone_after_sigkill("binary");
}

#[tokio::test]
async fn a_missing_binary_is_a_clear_error_at_once() {
    let started = Instant::now();
    let err = Service::binary("redis-server-not-installed")
        .listen_arg_as("--port", AddressFormat::Port)
        .shared()
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(err, ServiceError::NotFound { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("redis-server-not-installed was not found"),
        "{text}"
    );
    assert!(text.contains("hint: install it"), "{text}");
}

#[tokio::test]
async fn a_service_that_exits_fails_at_once_with_its_log() {
    let started = Instant::now();
    let err = Service::binary("redis-server")
        .listen_arg_as("--port", AddressFormat::Port)
        .arg("--no-such-option")
        .start()
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let text = harness::error_chain(&err);
    assert!(
        text.contains("the redis-server service did not become ready"),
        "{text}"
    );
    assert!(text.contains("the process exited"), "{text}");
    assert!(
        text.contains("no-such-option"),
        "redis' own words are in the log: {text}"
    );
}

#[tokio::test]
async fn a_binary_must_be_told_its_port() {
    let err = Service::binary("redis-server").start().await.unwrap_err();
    assert!(err.to_string().contains("must be told its port"), "{err}");
}

/// `ChildService` with a port written as the program wants it: `redis-server --port N`.
#[tokio::test]
async fn a_child_service_gets_its_port_in_the_form_it_wants() {
    let redis_server = harness::ChildService::builder("redis-server")
        .listen_arg_as("--port", AddressFormat::Port)
        .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .start()
        .await
        .unwrap();
    let port = redis_server.addr().port();
    let pong = tokio::task::spawn_blocking(move || redis(port, &["PING"]))
        .await
        .unwrap();
    assert_eq!(pong, "+PONG");
    redis_server.stop().await;
}

/// An in-process service's `tracing` output is captured with nothing wired by the test.
#[tokio::test]
async fn an_in_process_service_log_is_captured() {
    let router = axum::Router::new().route(
        "/hello",
        axum::routing::get(|| async {
            tracing::info!(greeting = "hi", "handled /hello");
            "hello"
        }),
    );
    let app = harness::InProcessService::serve(router).await.unwrap();
    let body = reqwest::get(format!("{}/hello", app.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "hello");
    let log = app.log();
    assert!(log.contains("handled /hello"), "{log:?}");
    assert!(log.contains("greeting=\"hi\""), "{log:?}");
    app.stop().await;
}

/// Tests that need a Docker engine (in a module of that name: a run without one leaves them out by it).
mod docker {
    use super::*;

    #[test]
    fn a_shared_redis_container_serves_the_whole_run_and_goes_after_sigkill() {
        shared_across_a_run_then_gone_after_sigkill("container");
    }

    #[tokio::test]
    async fn each_test_gets_its_own_redis_container() {
        each_test_gets_its_own(redis_container).await;
    }

    #[test]
    fn a_tests_own_redis_container_goes_when_the_test_is_killed() {
        own_gone_after_sigkill("container");
    }

    #[tokio::test]
    async fn a_missing_image_is_a_clear_error_in_seconds() {
        let started = Instant::now();
        let err = Service::container("harness-not-built:0")
            .port(6379)
            .start()
            .await
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        let text = harness::error_chain(&err);
        assert!(
            text.contains("image harness-not-built:0 is not present and cannot be pulled"),
            "{text}"
        );
        assert!(text.contains("scripts/build-image"), "{text}");
    }
}

/// An app that binds its own listener (port 0) and reports its port, its server a future: the
/// harness adopts it as it is, reached on 127.0.0.1 even when told every interface.
#[tokio::test]
async fn a_server_that_binds_its_own_listener_is_adopted() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = axum::Router::new().route("/hello", axum::routing::get(|| async { "adopted" }));
    let server = async move { axum::serve(listener, router).await };
    let app = harness::InProcessService::adopt(("0.0.0.0", port), server)
        .await
        .unwrap();
    assert_eq!(app.base_url(), format!("http://127.0.0.1:{port}"));
    let body = reqwest::get(format!("{}/hello", app.base_url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "adopted");
    app.stop().await;
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the adopted server still listens after stop"
    );
}

/// A server whose future ends before it serves (its settings refused, say) fails the adoption
/// at once with its own error, not at the startup deadline.
#[tokio::test]
async fn an_adopted_server_that_ends_first_is_an_error_saying_why() {
    let unused = harness::free_loopback_port().unwrap();
    let started = Instant::now();
    let server = async { Err::<(), _>(std::io::Error::other("REDIS_URL is not set")) };
    let err = harness::InProcessService::adopt(unused.addr(), server)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ended before it accepted a connection: REDIS_URL is not set"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}
