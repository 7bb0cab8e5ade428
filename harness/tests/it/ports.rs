//! Port allocation across processes.

use std::collections::HashSet;
use std::io::BufReader;
use std::time::Duration;

use crate::child::{ScratchDir, helper, wait_for_line};

#[test]
fn parallel_processes_never_get_the_same_port() {
    let scratch = ScratchDir::new("ports");
    const PROCESSES: usize = 8;
    const EACH: usize = 40;
    let mut children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            helper("helper_hold_ports")
                .env("HARNESS_DIR", &scratch.0)
                .env("HELPER_PORTS", EACH.to_string())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut seen = HashSet::new();
    for child in &mut children {
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let ports = wait_for_line(&mut out, "PORTS ", Duration::from_secs(30)).unwrap();
        for port in ports.split_whitespace() {
            assert!(
                seen.insert(port.to_owned()),
                "port {port} was handed to two processes at once"
            );
        }
    }
    assert_eq!(seen.len(), PROCESSES * EACH);
    for mut child in children {
        drop(child.stdin.take());
        child.wait().unwrap();
    }
}
