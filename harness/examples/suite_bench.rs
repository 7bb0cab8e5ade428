//! Whole suites under `cargo nextest run`, from a cold start (no server running; the build is
//! warmed first and not counted), each measured `--runs` times (default 5):
//!
//! - tunix-rt's five original E2E scenarios, with the run's Chromes lent to one test at a time
//!   (the default), with a Chrome per test (`HARNESS_BROWSER_POOL=0`), with one Chrome shared
//!   by every test (`HARNESS_BROWSER_REUSE=1`), and lent without the per-step screenshots of a
//!   failed test's report (`HARNESS_STEP_SCREENSHOTS=0`);
//! - tunix-rt's hundred short API tests (`hundred::`), with the database pool and without it.
//!
//! For each: nextest's own time for the run, the command's wall time, the CPU the whole machine
//! spent meanwhile (Linux: `/proc/stat`; run it on a quiet machine), and the peak memory of the
//! process tree (Linux: the sum of every process's PSS, sampled every 100 ms, over the processes
//! that carry this run's marker in their environment — nextest, the tests, keepers, Postgres,
//! chromedriver, Chrome — and their descendants), with the server's in-memory data directory
//! (`/dev/shm`) beside it. Memory is sampled in 3 runs of its own, since sampling costs CPU.
//!
//! `cargo run -p e2e-harness --all-features --example suite_bench [-- --runs N] [-- --only api|e2e]`

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const MARK: &str = "HARNESS_SUITE_BENCH_MARK";

struct Sample {
    nextest_ms: f64,
    wall_ms: f64,
    cpu_ms: Option<f64>,
    peak_mib: Option<f64>,
    shm_mib: Option<f64>,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Busy CPU time of the whole machine so far, in ms (Linux).
#[cfg(not(target_os = "linux"))]
fn busy_cpu_ms() -> Option<f64> {
    None
}

/// Busy CPU time of the whole machine so far, in ms (Linux).
#[cfg(target_os = "linux")]
fn busy_cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<f64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
    let busy: f64 = fields
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .take(6)
        .map(|(_, v)| v)
        .sum();
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(busy / ticks * 1000.0)
}

/// The PSS (KiB) of every process whose environment holds `mark` (nextest, the tests, keepers,
/// and what keepers start), and of their descendants: Chrome's helpers and Postgres' backends
/// carry no environment of their own to read (Postgres writes its process titles over it).
fn marked_pss_kib(mark: &str) -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let needle = format!("{MARK}={mark}");
    let mut parents = Vec::new();
    let mut tree = std::collections::HashSet::new();
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let marked = std::fs::read(entry.path().join("environ")).is_ok_and(|environ| {
            environ
                .split(|b| *b == 0)
                .any(|var| var == needle.as_bytes())
        });
        if marked {
            tree.insert(pid);
        }
        // `pid (comm) state ppid …`: the fields after the last ')'.
        let ppid = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|stat| {
                stat.rsplit_once(')')?
                    .1
                    .split_whitespace()
                    .nth(1)?
                    .parse()
                    .ok()
            });
        if let Some(ppid) = ppid {
            parents.push((pid, ppid));
        }
    }
    // Descendants, until nothing is added.
    loop {
        let before = tree.len();
        for (pid, ppid) in &parents {
            if tree.contains(ppid) {
                tree.insert(*pid);
            }
        }
        if tree.len() == before {
            break;
        }
    }
    tree.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok())
        .filter_map(|rollup| {
            rollup
                .lines()
                .find_map(|l| l.strip_prefix("Pss:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .sum()
}

/// KiB under the harness's in-memory data directories (Linux `/dev/shm/harness*`).
fn shm_kib() -> u64 {
    fn size(path: &std::path::Path) -> u64 {
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => std::fs::read_dir(path)
                .map(|entries| entries.flatten().map(|e| size(&e.path())).sum())
                .unwrap_or(0),
            Ok(m) => m.len(),
            Err(_) => 0,
        }
    }
    std::fs::read_dir("/dev/shm")
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("harness"))
                .map(|e| size(&e.path()))
                .sum::<u64>()
                / 1024
        })
        .unwrap_or(0)
}

/// One run of the suite; `sample_memory` also samples its memory (which costs CPU itself: the
/// timed runs do not).
fn run_once(filter: &str, env: &[(&str, &str)], sample_memory: bool) -> Sample {
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let mark = format!(
        "{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    );
    let linux = cfg!(target_os = "linux") && sample_memory;
    let done = Arc::new(AtomicBool::new(false));
    let (peak, peak_shm) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let sampler = linux.then(|| {
        let (done, peak, peak_shm, mark) =
            (done.clone(), peak.clone(), peak_shm.clone(), mark.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(marked_pss_kib(&mark), Ordering::Relaxed);
                peak_shm.fetch_max(shm_kib(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    });
    let cpu_before = busy_cpu_ms();
    let started = Instant::now();
    let out = Command::new(env!("CARGO"))
        .args([
            "nextest",
            "run",
            "-p",
            "tunix-rt",
            "--no-fail-fast",
            "-E",
            filter,
        ])
        .envs(env.iter().copied())
        .env(MARK, &mark)
        .env_remove("NEXTEST_RUN_ID")
        .output()
        .expect("cargo nextest");
    let wall_ms = started.elapsed().as_secs_f64() * 1000.0;
    let cpu_ms = busy_cpu_ms()
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    done.store(true, Ordering::Relaxed);
    if let Some(sampler) = sampler {
        sampler.join().unwrap();
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the suite failed:\n{text}");
    // `Summary [   2.314s] 5 tests run: …`
    let nextest_ms = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Summary ["))
        .and_then(|rest| rest.split('s').next()?.trim().parse::<f64>().ok())
        .map_or(f64::NAN, |s| s * 1000.0);
    Sample {
        nextest_ms,
        wall_ms,
        cpu_ms,
        peak_mib: linux.then(|| peak.load(Ordering::Relaxed) as f64 / 1024.0),
        shm_mib: linux.then(|| peak_shm.load(Ordering::Relaxed) as f64 / 1024.0),
    }
}

/// One configuration of a suite.
struct Case {
    label: &'static str,
    filter: &'static str,
    env: Vec<(&'static str, &'static str)>,
    timed: Vec<Sample>,
    sampled: Vec<Sample>,
}

/// Run every case `runs` times, round-robin (a machine whose speed drifts, as shared VMs' does,
/// then slows every case alike), then sample memory in up to 3 runs of each.
fn measure(cases: &mut [Case], runs: usize) {
    for _ in 0..runs {
        for case in cases.iter_mut() {
            let sample = run_once(case.filter, &case.env, false);
            case.timed.push(sample);
        }
    }
    for _ in 0..runs.min(3) {
        for case in cases.iter_mut() {
            let sample = run_once(case.filter, &case.env, true);
            case.sampled.push(sample);
        }
    }
    for case in cases.iter() {
        report(case, runs);
    }
}

fn report(case: &Case, runs: usize) {
    let of = |samples: &[Sample], f: &dyn Fn(&Sample) -> Option<f64>| {
        let values: Vec<f64> = samples.iter().filter_map(f).collect();
        if values.is_empty() {
            "n/a".to_owned()
        } else {
            format!("{:.0}", median(values))
        }
    };
    let range = {
        let mut v: Vec<f64> = case.timed.iter().map(|s| s.nextest_ms).collect();
        v.sort_by(f64::total_cmp);
        format!("{:.0}–{:.0}", v[0], v[v.len() - 1])
    };
    println!(
        "  {:<44} nextest {:>5} ms ({range})  wall {:>5} ms  CPU {:>5} ms  peak PSS {:>4} MiB (+ {} MiB /dev/shm)  n={runs}",
        case.label,
        of(&case.timed, &|s| Some(s.nextest_ms)),
        of(&case.timed, &|s| Some(s.wall_ms)),
        of(&case.timed, &|s| s.cpu_ms),
        of(&case.sampled, &|s| s.peak_mib),
        of(&case.sampled, &|s| s.shm_mib),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let runs = value("--runs").and_then(|r| r.parse().ok()).unwrap_or(5);
    let only = value("--only");
    let built = Command::new(env!("CARGO"))
        .args(["nextest", "run", "-p", "tunix-rt", "--no-run"])
        .status()
        .expect("cargo nextest --no-run");
    assert!(built.success());
    println!(
        "cargo nextest run -p tunix-rt, from a cold start (no server running), medians of {runs}; {} CPUs",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let case = |label, filter, env: &[(&'static str, &'static str)]| Case {
        label,
        filter,
        env: env.to_vec(),
        timed: Vec::new(),
        sampled: Vec::new(),
    };
    let (pool, reuse, db_pool) = (
        harness::env::BROWSER_POOL,
        harness::env::BROWSER_REUSE,
        harness::env::DB_POOL,
    );
    if only.as_deref() != Some("api") {
        let scenarios = "test(/^e2e::scenarios::/)";
        measure(
            &mut [
                case("the five original scenarios (lent Chromes)", scenarios, &[]),
                case("  … a Chrome per test (POOL=0)", scenarios, &[(pool, "0")]),
                case(
                    "  … one Chrome for all (REUSE=1)",
                    scenarios,
                    &[(reuse, "1")],
                ),
                case(
                    "  … lent, no step screenshots",
                    scenarios,
                    &[(harness::env::STEP_SCREENSHOTS, "0")],
                ),
            ],
            runs,
        );
    }
    if only.as_deref() != Some("e2e") {
        let hundred = "test(/^hundred::/)";
        measure(
            &mut [
                case("a hundred API tests (database pool)", hundred, &[]),
                case(
                    "  … a clone made when asked (DB_POOL=0)",
                    hundred,
                    &[(db_pool, "0")],
                ),
            ],
            runs,
        );
    }
}
