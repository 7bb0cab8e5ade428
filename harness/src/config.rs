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
/// How long a server may take to come up, in seconds (default 60).
pub const STARTUP_TIMEOUT: &str = "HARNESS_STARTUP_TIMEOUT";

/// `skip` turns browser tests into printed skips; unset (or `chrome`), they run and fail when no
/// browser can be started.
pub const BROWSER: &str = "HARNESS_BROWSER";
/// The chromedriver binary; when set, the only one looked for.
pub const CHROMEDRIVER: &str = "HARNESS_CHROMEDRIVER";
/// The Chrome or Chromium binary; when set, the only one looked for.
pub const CHROME: &str = "HARNESS_CHROME";
/// A running WebDriver server (e.g. a Selenium Grid) to use instead of starting chromedriver.
pub const WEBDRIVER_URL: &str = "HARNESS_WEBDRIVER_URL";
/// `1` gives each test an isolated context in one browser shared by the run, instead of a fresh
/// browser per test (default `0`; faster, but see the limitation in `harness::browser`).
pub const BROWSER_REUSE: &str = "HARNESS_BROWSER_REUSE";

/// The official image, for machines that can pull; offline machines build their own with
/// `scripts/build-postgres-image` and point `HARNESS_POSTGRES_IMAGE` at it.
pub const DEFAULT_POSTGRES_IMAGE: &str = "postgres:17";

pub(crate) fn var(name: &str) -> Option<String> {
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

pub(crate) fn startup_timeout() -> Duration {
    var(STARTUP_TIMEOUT)
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(Duration::from_secs(60), Duration::from_secs)
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
}
