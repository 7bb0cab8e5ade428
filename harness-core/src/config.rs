//! Every environment variable the harness reads, in one place (the README lists them too).

use std::path::PathBuf;
use std::time::Duration;

/// `auto` (default), `local`, `docker` or `external`.
pub const POSTGRES: &str = "HARNESS_POSTGRES";
/// The server the `external` backend uses; setting it makes `auto` choose `external`.
pub const POSTGRES_URL: &str = "HARNESS_POSTGRES_URL";
/// The image the `docker` backend starts.
pub const POSTGRES_IMAGE: &str = "HARNESS_POSTGRES_IMAGE";
/// A directory holding `initdb` and `postgres`, searched before `PATH` and the usual locations.
pub const PG_BIN: &str = "HARNESS_PG_BIN";
/// Where the harness keeps its files (default `<target dir>/harness`).
pub const DIR: &str = "HARNESS_DIR";
/// Where throwaway servers keep their data (default: /dev/shm on Linux, else the harness dir).
pub const DATA_DIR: &str = "HARNESS_DATA_DIR";
/// `0` removes the database of a failed test too (default: kept until the run ends, URL printed).
pub const KEEP_FAILED_DB: &str = "HARNESS_KEEP_FAILED_DB";
/// How many clones of each template a run keeps ready, made in the background (default: twice
/// the machine's parallelism, at most 16); `0` makes every test clone its own when it asks.
pub const DB_POOL: &str = "HARNESS_DB_POOL";
/// `1` prints, when a test ends, a timeline of where its time went (the harness's own phases and
/// every browser step) to stderr.
pub const TIMINGS: &str = "HARNESS_TIMINGS";
/// How long a server may take to come up, in seconds (default 60).
pub const STARTUP_TIMEOUT: &str = "HARNESS_STARTUP_TIMEOUT";

/// Which browser the tests drive: `chrome` (the default) or `firefox`; `skip` makes every test
/// that asks for a browser fail, saying how to leave browser tests out by name instead.
pub const BROWSER: &str = "HARNESS_BROWSER";
/// The chromedriver binary; when set, the only one looked for.
pub const CHROMEDRIVER: &str = "HARNESS_CHROMEDRIVER";
/// The Chrome or Chromium binary; when set, the only one looked for.
pub const CHROME: &str = "HARNESS_CHROME";
/// The geckodriver binary (for `HARNESS_BROWSER=firefox`); when set, the only one looked for.
pub const GECKODRIVER: &str = "HARNESS_GECKODRIVER";
/// The Firefox binary; when set, the only one looked for.
pub const FIREFOX: &str = "HARNESS_FIREFOX";
/// A running WebDriver server (e.g. a Selenium Grid) to use instead of starting chromedriver.
pub const WEBDRIVER_URL: &str = "HARNESS_WEBDRIVER_URL";
/// `1` gives each test an isolated context in one browser shared by the run, instead of a fresh
/// browser per test (default `0`; faster, but see the limitation in `harness::browser`).
pub const BROWSER_REUSE: &str = "HARNESS_BROWSER_REUSE";
/// How many fresh Chromes the run keeps started ahead of the tests that will ask for one
/// (default: the machine's parallelism, at most 8; `0` starts each test's when it asks).
pub const BROWSER_POOL: &str = "HARNESS_BROWSER_POOL";
/// A directory: when set, every Chrome session collects precise JavaScript coverage of the page's
/// own scripts and writes one raw file there when it ends; `harness js-coverage <dir>` merges
/// them. Use an absolute path: nextest runs each test process in its package's directory.
pub const JS_COVERAGE: &str = "HARNESS_JS_COVERAGE";

/// How long assertions and actions wait for their element by default: `5s`, `500ms`, or seconds
/// (default 5 s).
pub const EXPECT_TIMEOUT: &str = "HARNESS_EXPECT_TIMEOUT";
/// `0` turns off the screenshot taken after each browser step for a failed test's report
/// (default on).
pub const STEP_SCREENSHOTS: &str = "HARNESS_STEP_SCREENSHOTS";

/// The official image, for machines that can pull; offline machines build their own with
/// `scripts/build-postgres-image` and point `HARNESS_POSTGRES_IMAGE` at it.
pub const DEFAULT_POSTGRES_IMAGE: &str = "postgres:17";

pub fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

pub(crate) fn harness_dir_override() -> Option<PathBuf> {
    var(DIR).map(PathBuf::from)
}

pub(crate) fn postgres_image() -> String {
    var(POSTGRES_IMAGE).unwrap_or_else(|| DEFAULT_POSTGRES_IMAGE.to_owned())
}

pub(crate) fn keep_failed_db() -> bool {
    keeps_failed_db(var(KEEP_FAILED_DB).as_deref())
}

/// What a value of `HARNESS_KEEP_FAILED_DB` means: keep, unless it says `0` or `false`.
fn keeps_failed_db(value: Option<&str>) -> bool {
    value.is_none_or(|v| v != "0" && !v.eq_ignore_ascii_case("false"))
}

pub fn startup_timeout() -> Duration {
    var(STARTUP_TIMEOUT)
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(Duration::from_secs(60), Duration::from_secs)
}

/// A duration as people write it: `5s`, `500ms`, `1.5s`, `2m`, or plain seconds.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: f64 = number.parse().ok()?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "s" => number,
        "m" | "min" => number * 60.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
}

/// The default wait of assertions and actions; `Err` holds a value that is not a duration (a typo
/// must not silently become the default).
pub fn expect_timeout() -> Result<Duration, String> {
    match var(EXPECT_TIMEOUT) {
        None => Ok(Duration::from_secs(5)),
        Some(value) => parse_duration(&value).ok_or(value),
    }
}

pub fn step_screenshots() -> bool {
    var(STEP_SCREENSHOTS).is_none_or(|v| v != "0" && !v.eq_ignore_ascii_case("false"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_test_s_database_is_kept_unless_told_otherwise() {
        assert!(keeps_failed_db(None));
        assert!(keeps_failed_db(Some("1")));
        assert!(!keeps_failed_db(Some("0")));
        assert!(!keeps_failed_db(Some("FALSE")));
    }

    #[test]
    fn durations_are_read_as_people_write_them() {
        assert_eq!(parse_duration("5s"), Some(Duration::from_secs(5)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("5 parsecs"), None);
        assert_eq!(parse_duration("-1s"), None);
    }
}
