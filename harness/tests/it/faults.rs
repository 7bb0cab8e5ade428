//! Faults in the middle of a test end it fast, with an error that says what happened.
#![cfg(target_os = "linux")]

use std::io::{BufReader, Write};
use std::time::Duration;

use crate::child::{ScratchDir, eventually, helper, processes_mentioning, wait_for_line};

#[test]
fn postgres_dying_mid_test_fails_the_next_query_at_once() {
    let scratch = ScratchDir::new("pgdies");
    // The local backend, whatever this run uses: the test stops the server's process itself.
    let mut child = helper("helper_query_on_demand")
        .env("HARNESS_POSTGRES", "local")
        .env("HARNESS_DIR", &scratch.0)
        .env("HARNESS_DATA_DIR", scratch.0.join("data"))
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let port: u16 = wait_for_line(&mut out, "READY ", Duration::from_secs(60))
        .unwrap()
        .parse()
        .unwrap();
    // The postmaster is the process whose command line names its data directory with -D.
    let postmaster: Vec<i32> = processes_mentioning(&scratch.0.join("data"))
        .iter()
        .filter(|p| p.contains("postgres") && p.contains(" -D "))
        .filter_map(|p| p.split(':').next()?.parse().ok())
        .collect();
    assert_eq!(postmaster.len(), 1, "one postmaster: {postmaster:?}");
    // Stopped as an operator (or a crashed machine's init) stops it: a fast shutdown that ends
    // every session, then the postmaster.
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(postmaster[0], libc::SIGINT) };
    eventually(
        Duration::from_secs(10),
        || match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(_) => Err("postgres still listens".into()),
            Err(_) => Ok(()),
        },
    );
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let report = wait_for_line(&mut out, "QUERY ", Duration::from_secs(30)).unwrap();
    let _ = child.wait();
    assert!(
        report.starts_with("failed after"),
        "the query should fail: {report}"
    );
    // At once when the pool notices the dead connection, else at the pool's bounded 3 s wait for
    // a new one: in seconds either way, never a hang.
    let took = report.split_whitespace().nth(2).unwrap_or_default();
    let seconds = if let Some(ms) = took.strip_suffix("ms:") {
        ms.parse::<f64>().ok().map(|ms| ms / 1000.0)
    } else if took.ends_with("µs:") {
        Some(0.0)
    } else {
        took.strip_suffix("s:").and_then(|s| s.parse::<f64>().ok())
    };
    assert!(
        seconds.is_some_and(|s| s < 5.0),
        "the failure should come within seconds: {report}"
    );
}
