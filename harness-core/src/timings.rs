//! `HARNESS_TIMINGS=1`: where a test's wall time went. The harness times its own phases (the
//! server found or started, the template checked, the database handed out, the browser and its
//! session, each browser step, the clean-up) and, when the test ends, prints them to stderr as one
//! timeline from the process's start, which nextest shows with the test's output
//! (`--no-capture`, or `--success-output immediate`).
//!
//! Off, a span costs one relaxed load: the spans stay in the code.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

struct Entry {
    start: Duration,
    length: Duration,
    what: String,
}

static ENTRIES: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// 0: not read yet, 1: off, 2: on.
static STATE: AtomicU8 = AtomicU8::new(0);

pub(crate) fn enabled() -> bool {
    match STATE.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            let on = crate::config::current().timings;
            STATE.store(if on { 2 } else { 1 }, Ordering::Relaxed);
            on
        }
    }
}

/// The instant the timeline counts from: the process's start where the OS tells it (Linux), else
/// the first time the harness asked.
fn origin() -> Instant {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    *ORIGIN.get_or_init(|| {
        let now = Instant::now();
        now.checked_sub(since_process_start().unwrap_or_default())
            .unwrap_or(now)
    })
}

/// How long ago the process started: `/proc/self/stat`'s start time against `/proc/uptime`
/// (both since boot; 10 ms resolution).
#[cfg(target_os = "linux")]
fn since_process_start() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command may hold spaces or parentheses: the fields after it start past the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let started_ticks: f64 = fields.get(19)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let ago = uptime - started_ticks / ticks_per_second;
    (ago >= 0.0).then(|| Duration::from_secs_f64(ago))
}

#[cfg(not(target_os = "linux"))]
fn since_process_start() -> Option<Duration> {
    None
}

/// A phase being timed: recorded when dropped.
pub struct Span {
    started: Option<(Instant, String)>,
}

/// Time `what` until the returned span is dropped.
pub fn span(what: impl FnOnce() -> String) -> Span {
    Span {
        started: enabled().then(|| {
            origin();
            (Instant::now(), what())
        }),
    }
}

/// Record a phase that started at `started` and ends now.
pub fn record(started: Instant, what: impl FnOnce() -> String) {
    if enabled() {
        push(started, what());
    }
}

fn push(started: Instant, what: String) {
    let entry = Entry {
        start: started.saturating_duration_since(origin()),
        length: started.elapsed(),
        what,
    };
    ENTRIES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(entry);
}

impl Drop for Span {
    fn drop(&mut self) {
        if let Some((started, what)) = self.started.take() {
            push(started, what);
        }
    }
}

/// Print the timeline of `test` to stderr and forget it.
pub(crate) fn report(test: &str) {
    if !enabled() {
        return;
    }
    let total = origin().elapsed();
    let mut entries = std::mem::take(&mut *ENTRIES.lock().unwrap_or_else(|e| e.into_inner()));
    entries.sort_by_key(|e| e.start);
    eprintln!("{}", render(test, total, &entries));
}

fn render(test: &str, total: Duration, entries: &[Entry]) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut out = format!(
        "harness timings of {test} ({:.1} ms since the process started)\n  {:>9} {:>9}  phase\n",
        ms(total),
        "at ms",
        "took ms"
    );
    for entry in entries {
        out.push_str(&format!(
            "  {:>9.1} {:>9.1}  {}\n",
            ms(entry.start),
            ms(entry.length),
            entry.what
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeline_lists_each_phase_with_its_start_and_length() {
        let entries = [
            Entry {
                start: Duration::from_millis(3),
                length: Duration::from_micros(1500),
                what: "postgres server (found)".into(),
            },
            Entry {
                start: Duration::from_millis(12),
                length: Duration::from_millis(40),
                what: "browser session".into(),
            },
        ];
        let text = render("m::t", Duration::from_millis(60), &entries);
        assert!(text.starts_with("harness timings of m::t (60.0 ms since the process started)"));
        assert!(
            text.contains("      3.0       1.5  postgres server (found)"),
            "{text}"
        );
        assert!(
            text.contains("     12.0      40.0  browser session"),
            "{text}"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_process_started_before_now_and_not_long_ago() {
        let ago = since_process_start().expect("/proc tells the start time");
        assert!(ago < Duration::from_secs(3600), "{ago:?}");
    }
}
