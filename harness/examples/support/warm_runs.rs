//! Warm runs (`HARNESS_LINGER`) for the benchmarks: one-test runs in child processes of this
//! example sharing a harness directory of their own, each printing `WARM_MS <ms>`, and at the end
//! a child that ends what lingers there (it sees that directory; this process has its own).

use std::process::Command;
use std::time::Duration;

/// The first run's figure, then the later runs' (`runs` of them). Each child is this example run
/// with `--child-warm` and `args`; `--child-down` then empties the directory.
pub fn measure(args: &[&str], runs: usize) -> (f64, Vec<f64>) {
    let exe = std::env::current_exe().unwrap();
    let dir = std::env::temp_dir().join(format!("harness-bench-warm-{}", std::process::id()));
    let child = |mode: &str| {
        let out = Command::new(&exe)
            .arg(mode)
            .args(args)
            .env_remove("NEXTEST_RUN_ID")
            .env(harness::env::DIR, &dir)
            .env(harness::env::LINGER, "2m")
            .output()
            .expect("child");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "child failed: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    let mut samples: Vec<f64> = (0..=runs)
        .map(|_| {
            child("--child-warm")
                .lines()
                .find_map(|l| l.strip_prefix("WARM_MS ")?.parse().ok())
                .expect("a WARM_MS line")
        })
        .collect();
    let first = samples.remove(0);
    child("--child-down");
    let _ = std::fs::remove_dir_all(&dir);
    (first, samples)
}

/// What a `--child-down` child does: end everything lingering in its harness directory.
pub fn down() {
    let down = harness::lingering::down(Duration::from_secs(60));
    assert!(down.stuck.is_empty() && down.in_use.is_empty(), "{down:?}");
}
