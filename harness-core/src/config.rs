//! Every environment variable the harness reads, in one place: their names, and [`Settings`],
//! all of them read once and parsed one way (the README's table is checked against
//! [`VARIABLES`]).

use std::path::PathBuf;
use std::sync::OnceLock;
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
/// the machine's parallelism, at most 16; 64 at most); `0` makes every test clone its own when it
/// asks.
pub const DB_POOL: &str = "HARNESS_DB_POOL";
/// `1` prints, when a test ends, a timeline of where its time went (the harness's own phases and
/// every browser step) to stderr.
pub const TIMINGS: &str = "HARNESS_TIMINGS";
/// How long a server may take to come up (default 60 s).
pub const STARTUP_TIMEOUT: &str = "HARNESS_STARTUP_TIMEOUT";
/// A duration: the run's shared servers (Postgres, services, chromedriver and its Chromes) stay
/// that long after the run, idle, for a look at a failed test's database; `harness down` ends
/// them sooner. The next run starts its own.
pub const KEEP: &str = "HARNESS_KEEP";
/// A duration: warm runs. The run's shared servers, templates and Chromes outlive it by that
/// long, idle, and the next run in the same target directory adopts them instead of starting its
/// own; `harness down` ends them sooner.
pub const LINGER: &str = "HARNESS_LINGER";

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
/// How many Chromes the run may keep, each lent to one test at a time (default: the machine's
/// parallelism plus one, at most 16; 64 at most); `0` gives every test a Chrome of its own.
pub const BROWSER_POOL: &str = "HARNESS_BROWSER_POOL";
/// A directory: when set, every Chrome session collects precise JavaScript coverage of the page's
/// own scripts and writes one raw file there when it ends; `harness js-coverage <dir>` merges
/// them. Use an absolute path: nextest runs each test process in its package's directory.
pub const JS_COVERAGE: &str = "HARNESS_JS_COVERAGE";

/// How long assertions and actions wait for their element by default (default 5 s).
pub const EXPECT_TIMEOUT: &str = "HARNESS_EXPECT_TIMEOUT";
/// `0` turns off the screenshot taken after each browser step for a failed test's report
/// (default on).
pub const STEP_SCREENSHOTS: &str = "HARNESS_STEP_SCREENSHOTS";
/// What a visual comparison (`to_have_screenshot`) does with its baseline: `missing` (the
/// default) writes a baseline that is not there yet and fails the test; `all` writes every
/// baseline that differs (or is missing) and passes; `none` writes nothing (CI).
pub const UPDATE_SNAPSHOTS: &str = "HARNESS_UPDATE_SNAPSHOTS";

/// The official image, for machines that can pull; offline machines build their own with
/// `scripts/build-postgres-image` and point `HARNESS_POSTGRES_IMAGE` at it.
pub const DEFAULT_POSTGRES_IMAGE: &str = "postgres:17";

/// The largest pool a count variable accepts.
const MAX_POOL: usize = 64;

/// One variable as the README documents it: its name, its default, and the kind of value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    /// `HARNESS_…`.
    pub name: &'static str,
    /// The default, as the README's table says it.
    pub default: &'static str,
    /// What it accepts, as an error says it.
    pub accepts: &'static str,
}

const FLAG: &str = "1, true, yes or on; 0, false, no or off";
const DURATION: &str = "a duration: 500ms, 5s, 2.5s, 2m, 1h, or plain seconds";
const COUNT: &str = "a count from 0 to 64";
const PATH: &str = "a path";
const TEXT: &str = "any text";

/// Every variable [`Settings`] reads, in the README's order.
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: POSTGRES,
        default: "`auto`",
        accepts: "auto, local, docker or external",
    },
    Variable {
        name: POSTGRES_URL,
        default: "unset",
        accepts: "a postgres:// URL",
    },
    Variable {
        name: POSTGRES_IMAGE,
        default: "`postgres:17`",
        accepts: TEXT,
    },
    Variable {
        name: PG_BIN,
        default: "unset",
        accepts: PATH,
    },
    Variable {
        name: DIR,
        default: "`<target dir>/harness`",
        accepts: PATH,
    },
    Variable {
        name: DATA_DIR,
        default: "`/dev/shm/harness-…` on Linux, else under `HARNESS_DIR`",
        accepts: PATH,
    },
    Variable {
        name: KEEP_FAILED_DB,
        default: "`1`",
        accepts: FLAG,
    },
    Variable {
        name: DB_POOL,
        default: "twice the CPUs, at most 16",
        accepts: COUNT,
    },
    Variable {
        name: STARTUP_TIMEOUT,
        default: "`60s`",
        accepts: DURATION,
    },
    Variable {
        name: KEEP,
        default: "unset",
        accepts: DURATION,
    },
    Variable {
        name: LINGER,
        default: "unset",
        accepts: DURATION,
    },
    Variable {
        name: CHROMEDRIVER,
        default: "`PATH`, then the usual locations",
        accepts: PATH,
    },
    Variable {
        name: CHROME,
        default: "`PATH`, then the usual locations",
        accepts: PATH,
    },
    Variable {
        name: WEBDRIVER_URL,
        default: "unset",
        accepts: "an http:// URL",
    },
    Variable {
        name: BROWSER,
        default: "`chrome`",
        accepts: "chrome, firefox or skip",
    },
    Variable {
        name: GECKODRIVER,
        default: "`PATH`, `~/.cargo/bin`, the usual locations",
        accepts: PATH,
    },
    Variable {
        name: FIREFOX,
        default: "`PATH` (`firefox`, `firefox-esr`), then the usual locations",
        accepts: PATH,
    },
    Variable {
        name: EXPECT_TIMEOUT,
        default: "`5s`",
        accepts: DURATION,
    },
    Variable {
        name: STEP_SCREENSHOTS,
        default: "`1`",
        accepts: FLAG,
    },
    Variable {
        name: UPDATE_SNAPSHOTS,
        default: "`missing`",
        accepts: "missing, all or none",
    },
    Variable {
        name: JS_COVERAGE,
        default: "unset",
        accepts: PATH,
    },
    Variable {
        name: BROWSER_POOL,
        default: "the CPUs + 1, at most 16",
        accepts: COUNT,
    },
    Variable {
        name: BROWSER_REUSE,
        default: "`0`",
        accepts: FLAG,
    },
    Variable {
        name: TIMINGS,
        default: "`0`",
        accepts: FLAG,
    },
];

/// `HARNESS_POSTGRES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PostgresChoice {
    /// External if a URL is given, else local binaries, else Docker.
    Auto,
    /// Local binaries only.
    Local,
    /// Docker only.
    Docker,
    /// `HARNESS_POSTGRES_URL` only.
    External,
}

/// `HARNESS_BROWSER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BrowserChoice {
    /// Chrome or Chromium, through chromedriver.
    Chrome,
    /// Firefox, through geckodriver.
    Firefox,
    /// No browser: a test that asks for one fails at once, saying how to leave it out.
    Skip,
}

/// `HARNESS_UPDATE_SNAPSHOTS`: which visual baselines a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpdateSnapshots {
    /// A baseline that is not there yet is written from what the page showed, and the test
    /// fails: a run never passes on a baseline nobody has seen.
    Missing,
    /// Every baseline that differs or is missing is written from the page, and the test passes.
    All,
    /// Nothing is written: a missing baseline fails the test (for CI).
    None,
}

/// Every `HARNESS_*` variable, read once per process and parsed one way: flags, durations and
/// counts alike everywhere, an empty value as unset. [`settings`] gives them.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Settings {
    /// `HARNESS_POSTGRES`.
    pub postgres: PostgresChoice,
    /// `HARNESS_POSTGRES_URL`.
    pub postgres_url: Option<String>,
    /// `HARNESS_POSTGRES_IMAGE`, else [`DEFAULT_POSTGRES_IMAGE`].
    pub postgres_image: String,
    /// `HARNESS_PG_BIN`.
    pub pg_bin: Option<PathBuf>,
    /// `HARNESS_DIR`.
    pub dir: Option<PathBuf>,
    /// `HARNESS_DATA_DIR`.
    pub data_dir: Option<PathBuf>,
    /// `HARNESS_KEEP_FAILED_DB`.
    pub keep_failed_db: bool,
    /// `HARNESS_DB_POOL`; `None`: the default, which depends on the machine.
    pub db_pool: Option<usize>,
    /// `HARNESS_STARTUP_TIMEOUT`.
    pub startup_timeout: Duration,
    /// `HARNESS_KEEP`; `None` when unset or zero.
    pub keep: Option<Duration>,
    /// `HARNESS_LINGER`; `None` when unset or zero.
    pub linger: Option<Duration>,
    /// `HARNESS_CHROMEDRIVER`.
    pub chromedriver: Option<PathBuf>,
    /// `HARNESS_CHROME`.
    pub chrome: Option<PathBuf>,
    /// `HARNESS_WEBDRIVER_URL`.
    pub webdriver_url: Option<String>,
    /// `HARNESS_BROWSER`.
    pub browser: BrowserChoice,
    /// `HARNESS_GECKODRIVER`.
    pub geckodriver: Option<PathBuf>,
    /// `HARNESS_FIREFOX`.
    pub firefox: Option<PathBuf>,
    /// `HARNESS_EXPECT_TIMEOUT`.
    pub expect_timeout: Duration,
    /// `HARNESS_STEP_SCREENSHOTS`.
    pub step_screenshots: bool,
    /// `HARNESS_UPDATE_SNAPSHOTS`.
    pub update_snapshots: UpdateSnapshots,
    /// `HARNESS_JS_COVERAGE`.
    pub js_coverage: Option<PathBuf>,
    /// `HARNESS_BROWSER_POOL`; `None`: the default, which depends on the machine.
    pub browser_pool: Option<usize>,
    /// `HARNESS_BROWSER_REUSE`.
    pub browser_reuse: bool,
    /// `HARNESS_TIMINGS`.
    pub timings: bool,
}

/// One variable whose value is not one it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadValue {
    /// The variable.
    pub variable: &'static str,
    /// Its value, as set.
    pub value: String,
    /// What it accepts.
    pub expected: &'static str,
}

/// Variables set to values they do not accept: every one of them, each with what it accepts.
/// Nothing was started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe(.bad))]
pub struct SettingsError {
    bad: Vec<BadValue>,
}

impl SettingsError {
    /// The variables at fault, in the README's order.
    pub fn bad_values(&self) -> &[BadValue] {
        &self.bad
    }
}

fn describe(bad: &[BadValue]) -> String {
    let lines: Vec<String> = bad
        .iter()
        .map(|b| {
            format!(
                "{}={:?} is not accepted: expected {}",
                b.variable, b.value, b.expected
            )
        })
        .collect();
    format!(
        "bad harness settings (nothing was started): {}",
        lines.join("; ")
    )
}

/// Reads and parses, collecting every bad value.
struct Reader<F> {
    lookup: F,
    bad: Vec<BadValue>,
}

impl<F: Fn(&str) -> Option<String>> Reader<F> {
    /// The value, `None` when unset or blank.
    fn raw(&self, name: &str) -> Option<String> {
        (self.lookup)(name).filter(|value| !value.trim().is_empty())
    }

    fn parsed<T>(&mut self, name: &'static str, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
        let value = self.raw(name)?;
        let parsed = parse(value.trim());
        if parsed.is_none() {
            let expected = VARIABLES
                .iter()
                .find(|v| v.name == name)
                .map_or(TEXT, |v| v.accepts);
            self.bad.push(BadValue {
                variable: name,
                value,
                expected,
            });
        }
        parsed
    }

    fn flag(&mut self, name: &'static str, default: bool) -> bool {
        self.parsed(name, parse_flag).unwrap_or(default)
    }

    fn duration(&mut self, name: &'static str, default: Duration) -> Duration {
        self.parsed(name, parse_duration).unwrap_or(default)
    }

    fn count(&mut self, name: &'static str) -> Option<usize> {
        self.parsed(name, |v| v.parse().ok().filter(|n| *n <= MAX_POOL))
    }

    fn path(&mut self, name: &'static str) -> Option<PathBuf> {
        self.raw(name).map(PathBuf::from)
    }

    fn text(&mut self, name: &'static str) -> Option<String> {
        self.raw(name)
    }
}

impl Settings {
    /// Parse the variables as `lookup` gives them (`std::env::var` for [`settings`]): `Err` lists
    /// every variable whose value is not one it accepts.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let mut r = Reader {
            lookup,
            bad: Vec::new(),
        };
        let settings = Settings {
            postgres: r
                .parsed(POSTGRES, |v| match v.to_ascii_lowercase().as_str() {
                    "auto" => Some(PostgresChoice::Auto),
                    "local" => Some(PostgresChoice::Local),
                    "docker" => Some(PostgresChoice::Docker),
                    "external" => Some(PostgresChoice::External),
                    _ => None,
                })
                .unwrap_or(PostgresChoice::Auto),
            postgres_url: r.parsed(POSTGRES_URL, |v| {
                (v.starts_with("postgres://") || v.starts_with("postgresql://"))
                    .then(|| v.to_owned())
            }),
            postgres_image: r
                .text(POSTGRES_IMAGE)
                .unwrap_or_else(|| DEFAULT_POSTGRES_IMAGE.to_owned()),
            pg_bin: r.path(PG_BIN),
            dir: r.path(DIR),
            data_dir: r.path(DATA_DIR),
            keep_failed_db: r.flag(KEEP_FAILED_DB, true),
            db_pool: r.count(DB_POOL),
            startup_timeout: r.duration(STARTUP_TIMEOUT, Duration::from_secs(60)),
            keep: r.parsed(KEEP, parse_duration).filter(|d| !d.is_zero()),
            linger: r.parsed(LINGER, parse_duration).filter(|d| !d.is_zero()),
            chromedriver: r.path(CHROMEDRIVER),
            chrome: r.path(CHROME),
            webdriver_url: r.parsed(WEBDRIVER_URL, |v| {
                (v.starts_with("http://") || v.starts_with("https://")).then(|| v.to_owned())
            }),
            browser: r
                .parsed(BROWSER, |v| match v.to_ascii_lowercase().as_str() {
                    "chrome" => Some(BrowserChoice::Chrome),
                    "firefox" => Some(BrowserChoice::Firefox),
                    "skip" => Some(BrowserChoice::Skip),
                    _ => None,
                })
                .unwrap_or(BrowserChoice::Chrome),
            geckodriver: r.path(GECKODRIVER),
            firefox: r.path(FIREFOX),
            expect_timeout: r.duration(EXPECT_TIMEOUT, Duration::from_secs(5)),
            step_screenshots: r.flag(STEP_SCREENSHOTS, true),
            update_snapshots: r
                .parsed(UPDATE_SNAPSHOTS, |v| {
                    match v.to_ascii_lowercase().as_str() {
                        "missing" => Some(UpdateSnapshots::Missing),
                        "all" => Some(UpdateSnapshots::All),
                        "none" => Some(UpdateSnapshots::None),
                        _ => None,
                    }
                })
                .unwrap_or(UpdateSnapshots::Missing),
            js_coverage: r.path(JS_COVERAGE),
            browser_pool: r.count(BROWSER_POOL),
            browser_reuse: r.flag(BROWSER_REUSE, false),
            timings: r.flag(TIMINGS, false),
        };
        match r.bad.is_empty() {
            true => Ok(settings),
            false => Err(SettingsError { bad: r.bad }),
        }
    }

    /// Every variable unset.
    fn defaults() -> Settings {
        Settings::from_lookup(|_| None).expect("the defaults are valid")
    }
}

/// The process's settings, read from the environment the first time they are asked for. A test
/// run with a bad value fails at its first test, naming every variable at fault.
pub fn settings() -> Result<&'static Settings, &'static SettingsError> {
    static SETTINGS: OnceLock<Result<Settings, SettingsError>> = OnceLock::new();
    SETTINGS
        .get_or_init(|| Settings::from_lookup(|name| std::env::var(name).ok()))
        .as_ref()
}

/// The settings where a bad value cannot be reported: every path into the harness that can
/// fail (a test's start, a server, a browser) has reported it before this is reached; the
/// defaults stand in for the rest.
pub fn current() -> &'static Settings {
    static DEFAULTS: OnceLock<Settings> = OnceLock::new();
    settings().unwrap_or_else(|_| DEFAULTS.get_or_init(Settings::defaults))
}

pub(crate) fn harness_dir_override() -> Option<PathBuf> {
    current().dir.clone()
}

pub(crate) fn postgres_image() -> String {
    current().postgres_image.clone()
}

pub(crate) fn keep_failed_db() -> bool {
    current().keep_failed_db
}

/// How long a server may take to start.
pub fn startup_timeout() -> Duration {
    current().startup_timeout
}

/// The one set of spellings of a yes or a no.
fn parse_flag(text: &str) -> Option<bool> {
    match text.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A duration as people write it: `5s`, `500ms`, `1.5s`, `2m`, `1h`, or plain seconds.
fn parse_duration(text: &str) -> Option<Duration> {
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
        "h" => number * 3600.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn nothing_set_is_the_documented_defaults() {
        let s = with(&[]).unwrap();
        assert_eq!(s.postgres, PostgresChoice::Auto);
        assert_eq!(s.postgres_image, DEFAULT_POSTGRES_IMAGE);
        assert!(s.keep_failed_db && s.step_screenshots);
        assert!(!s.browser_reuse && !s.timings);
        assert_eq!(s.startup_timeout, Duration::from_secs(60));
        assert_eq!(s.expect_timeout, Duration::from_secs(5));
        assert_eq!((s.db_pool, s.browser_pool), (None, None));
        assert_eq!(s.browser, BrowserChoice::Chrome);
        assert_eq!(s.update_snapshots, UpdateSnapshots::Missing);
        // Blank is unset, as a CI file's `VAR:` with nothing after it gives.
        assert_eq!(with(&[(DB_POOL, "  ")]).unwrap().db_pool, None);
    }

    #[test]
    fn every_flag_takes_the_same_spellings() {
        for name in [KEEP_FAILED_DB, STEP_SCREENSHOTS, BROWSER_REUSE, TIMINGS] {
            for (value, want) in [("1", true), ("TRUE", true), ("yes", true), ("on", true)]
                .into_iter()
                .chain([
                    ("0", false),
                    ("false", false),
                    ("No", false),
                    ("off", false),
                ])
            {
                let s = with(&[(name, value)]).unwrap();
                let got = match name {
                    KEEP_FAILED_DB => s.keep_failed_db,
                    STEP_SCREENSHOTS => s.step_screenshots,
                    BROWSER_REUSE => s.browser_reuse,
                    _ => s.timings,
                };
                assert_eq!(got, want, "{name}={value}");
            }
            let bad = with(&[(name, "maybe")]).unwrap_err();
            assert_eq!(bad.bad_values()[0].expected, FLAG, "{name}");
        }
    }

    #[test]
    fn durations_take_units_everywhere() {
        let s = with(&[(STARTUP_TIMEOUT, "90s"), (EXPECT_TIMEOUT, "500ms")]).unwrap();
        assert_eq!(s.startup_timeout, Duration::from_secs(90));
        assert_eq!(s.expect_timeout, Duration::from_millis(500));
        assert_eq!(
            with(&[(STARTUP_TIMEOUT, "2m")]).unwrap().startup_timeout,
            Duration::from_secs(120)
        );
        assert_eq!(parse_duration("1.5"), Some(Duration::from_millis(1500)));
        // Keeping and lingering: a duration, zero as off.
        let s = with(&[(KEEP, "1h"), (LINGER, "0")]).unwrap();
        assert_eq!((s.keep, s.linger), (Some(Duration::from_secs(3600)), None));
        assert_eq!(
            with(&[(LINGER, "10m")]).unwrap().linger,
            Some(Duration::from_secs(600))
        );
        for bad in ["soon", "5 parsecs", "-1s"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_bad_value_is_an_error_naming_each_variable_and_what_it_accepts() {
        let err = with(&[
            (DB_POOL, "abc"),
            (BROWSER_POOL, "65"),
            (POSTGRES, "postgres"),
            (BROWSER, "chrom"),
            (WEBDRIVER_URL, "localhost:4444"),
        ])
        .unwrap_err();
        let named: Vec<&str> = err.bad_values().iter().map(|b| b.variable).collect();
        assert_eq!(
            named,
            [POSTGRES, DB_POOL, WEBDRIVER_URL, BROWSER, BROWSER_POOL]
        );
        let text = err.to_string();
        assert!(
            text.contains("HARNESS_DB_POOL=\"abc\" is not accepted: expected a count from 0 to 64"),
            "{text}"
        );
        assert!(
            text.contains(
                "HARNESS_BROWSER=\"chrom\" is not accepted: expected chrome, firefox or skip"
            ),
            "{text}"
        );
        assert!(text.contains("nothing was started"), "{text}");
        for (value, want) in [
            ("all", UpdateSnapshots::All),
            ("None", UpdateSnapshots::None),
            ("missing", UpdateSnapshots::Missing),
        ] {
            let s = with(&[(UPDATE_SNAPSHOTS, value)]).unwrap();
            assert_eq!(s.update_snapshots, want, "{value}");
        }
        let bad = with(&[(UPDATE_SNAPSHOTS, "1")]).unwrap_err().to_string();
        assert!(bad.contains("expected missing, all or none"), "{bad}");
        // The pools' limit is an error too, not a silent clamp.
        assert_eq!(with(&[(DB_POOL, "64")]).unwrap().db_pool, Some(64));
    }

    #[test]
    fn every_variable_has_its_constant_in_the_table_once() {
        let mut names: Vec<&str> = VARIABLES.iter().map(|v| v.name).collect();
        let all = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all);
        assert_eq!(all, 24);
    }
}
