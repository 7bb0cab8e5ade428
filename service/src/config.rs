//! Settings from the environment and the command line, validated before anything starts.
//!
//! Every variable is listed in [`VARIABLES`] (printed by `tunix-rt --help`). An empty value counts
//! as unset, so `VAR=` in an env file falls back to the default instead of failing.

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::rediai::{RediAiConfig, RediAiMode};

/// Default listen address: IPv4 loopback, never `localhost` (which may resolve to `::1`).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8000";
/// Default `TRACE_MAX_BYTES`: 1 MiB.
pub const DEFAULT_TRACE_MAX_BYTES: usize = 1024 * 1024;
/// Allowed `TRACE_MAX_BYTES`: 1 KiB to 10 MiB.
pub const TRACE_MAX_BYTES_RANGE: std::ops::RangeInclusive<usize> = 1024..=10 * 1024 * 1024;
/// Origins allowed by CORS when `CORS_ORIGINS` is unset: the original's Vite dev and preview servers.
pub const DEFAULT_CORS_ORIGINS: [&str; 4] = [
    "http://localhost:5173",
    "http://127.0.0.1:5173",
    "http://localhost:4173",
    "http://127.0.0.1:4173",
];

/// Every environment variable the service reads: name, default, meaning.
pub const VARIABLES: &[(&str, &str, &str)] = &[
    (
        "TUNIX_RT_LISTEN",
        DEFAULT_LISTEN,
        "address to listen on, IP:PORT (the --listen flag wins)",
    ),
    (
        "DATABASE_URL",
        "unset",
        "postgres://user:password@host:port/db; unset: start an embedded Postgres through the harness", // pragma: allowlist secret
    ),
    (
        "TUNIX_RT_DATA_DIR",
        "target/tunix-rt-data in the workspace the binary was built from",
        "data directory of the embedded Postgres (kept across restarts); unused with DATABASE_URL",
    ),
    (
        "TUNIX_RT_MIGRATE",
        "true",
        "apply the database migrations at start (true|false)",
    ),
    (
        "DB_POOL_MAX_CONNECTIONS",
        "10",
        "largest number of database connections (1..=100)",
    ),
    (
        "DB_POOL_MIN_CONNECTIONS",
        "0",
        "connections kept open when idle (0..=DB_POOL_MAX_CONNECTIONS)",
    ),
    (
        "DB_POOL_ACQUIRE_TIMEOUT_SECONDS",
        "3",
        "how long a request waits for a connection before answering 503 (1..=60)",
    ),
    (
        "TRACE_MAX_BYTES",
        "1048576",
        "largest accepted trace body in bytes (1024..=10485760); larger bodies get 413",
    ),
    (
        "CORS_ORIGINS",
        "http://localhost:5173,http://127.0.0.1:5173,http://localhost:4173,http://127.0.0.1:4173",
        "comma-separated origins allowed to call the API from a browser",
    ),
    ("REDIAI_MODE", "mock", "mock (always healthy) or real"),
    (
        "REDIAI_BASE_URL",
        "http://127.0.0.1:8080",
        "RediAI base URL (http only), used in real mode",
    ),
    (
        "REDIAI_HEALTH_PATH",
        "/health",
        "path of RediAI's health endpoint, starting with /",
    ),
    (
        "REDIAI_HEALTH_CACHE_TTL_SECONDS",
        "30",
        "how long a RediAI health result is reused (0..=300; 0 disables the cache)",
    ),
];

/// The whole configuration of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Where to listen (`TUNIX_RT_LISTEN` / `--listen`).
    pub listen: SocketAddr,
    /// The database to use (`DATABASE_URL`); `None` means "start an embedded Postgres".
    pub database_url: Option<DatabaseUrl>,
    /// Override of the embedded Postgres data directory (`TUNIX_RT_DATA_DIR`).
    pub data_dir: Option<PathBuf>,
    /// Database pool limits.
    pub pool: PoolConfig,
    /// Whether to apply migrations at start (`TUNIX_RT_MIGRATE`).
    pub migrate: bool,
    /// Largest accepted trace body in bytes (`TRACE_MAX_BYTES`).
    pub trace_max_bytes: usize,
    /// Origins allowed by CORS, as browsers send them in `Origin` (`CORS_ORIGINS`).
    pub cors_origins: Vec<String>,
    /// The RediAI health client.
    pub rediai: RediAiConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: DEFAULT_LISTEN
                .parse()
                .expect("the default listen address parses"),
            database_url: None,
            data_dir: None,
            pool: PoolConfig::default(),
            migrate: true,
            trace_max_bytes: DEFAULT_TRACE_MAX_BYTES,
            cors_origins: DEFAULT_CORS_ORIGINS.map(String::from).to_vec(),
            rediai: RediAiConfig::default(),
        }
    }
}

/// Database pool limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// `DB_POOL_MAX_CONNECTIONS`.
    pub max_connections: u32,
    /// `DB_POOL_MIN_CONNECTIONS`.
    pub min_connections: u32,
    /// `DB_POOL_ACQUIRE_TIMEOUT_SECONDS`: short, so an unreachable database turns into a quick 503.
    pub acquire_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(3),
        }
    }
}

impl PoolConfig {
    /// Pool options with these limits.
    pub fn options(&self) -> PgPoolOptions {
        PgPoolOptions::new()
            .max_connections(self.max_connections)
            .min_connections(self.min_connections)
            .acquire_timeout(self.acquire_timeout)
            // A connection that died while idle (database restarted) is replaced, not handed out.
            .test_before_acquire(true)
    }
}

/// A validated `postgres://` URL whose `Debug` and `Display` hide the password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Validates `url` as a Postgres connection URL.
    pub fn parse(url: &str) -> Result<DatabaseUrl, String> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err("expected a URL starting with postgres:// or postgresql://".to_owned());
        }
        PgConnectOptions::from_str(url).map_err(|err| err.to_string())?;
        Ok(DatabaseUrl(url.to_owned()))
    }

    /// The URL itself, password included.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Connection options for sqlx.
    pub fn connect_options(&self) -> Result<PgConnectOptions, sqlx::Error> {
        PgConnectOptions::from_str(&self.0)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Logged at start: never with its password.
        f.write_str(&harness::redact(&self.0))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// A configuration that cannot be used; the message names the variable or flag at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A variable or flag has a value that is not allowed.
    #[error("invalid {name}{}: {reason}", shown_value(.value))]
    Invalid {
        /// The variable (`TRACE_MAX_BYTES`) or flag (`--listen`).
        name: &'static str,
        /// The value given, unless it may hold a secret.
        value: Option<String>,
        /// What is allowed.
        reason: String,
    },
    /// An environment variable holds bytes that are not UTF-8.
    #[error("invalid {name}: the value is not valid UTF-8")]
    NotUnicode {
        /// The variable.
        name: &'static str,
    },
    /// An argument the program does not know.
    #[error("unexpected argument {argument:?} (hint: run `tunix-rt --help`)")]
    UnexpectedArgument {
        /// The argument as given.
        argument: String,
    },
    /// A flag given without its value.
    #[error("{flag} needs a value (hint: `{flag} 127.0.0.1:8000`)")]
    MissingValue {
        /// The flag.
        flag: &'static str,
    },
}

impl ConfigError {
    /// The variable or flag at fault, if the error is about one.
    pub fn name(&self) -> Option<&'static str> {
        match self {
            ConfigError::Invalid { name, .. } | ConfigError::NotUnicode { name } => Some(name),
            ConfigError::MissingValue { flag } => Some(flag),
            ConfigError::UnexpectedArgument { .. } => None,
        }
    }
}

fn shown_value(value: &Option<String>) -> String {
    value
        .as_ref()
        .map(|value| format!("={value:?}"))
        .unwrap_or_default()
}

/// The command line: `tunix-rt [--listen IP:PORT] [--help] [--version]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CliArgs {
    /// `--listen IP:PORT`, which wins over `TUNIX_RT_LISTEN`.
    pub listen: Option<String>,
    /// `--help` / `-h`.
    pub help: bool,
    /// `--version` / `-V`.
    pub version: bool,
}

impl CliArgs {
    /// Parses the arguments after the program name.
    pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<CliArgs, ConfigError> {
        let mut cli = CliArgs::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let arg = arg
                .into_string()
                .map_err(|arg| ConfigError::UnexpectedArgument {
                    argument: arg.to_string_lossy().into_owned(),
                })?;
            match arg.as_str() {
                "-h" | "--help" => cli.help = true,
                "-V" | "--version" => cli.version = true,
                "--listen" => {
                    let value = args
                        .next()
                        .and_then(|value| value.into_string().ok())
                        .filter(|value| !value.starts_with('-'))
                        .ok_or(ConfigError::MissingValue { flag: "--listen" })?;
                    cli.listen = Some(value);
                }
                _ => match arg.strip_prefix("--listen=") {
                    Some(value) => cli.listen = Some(value.to_owned()),
                    None => return Err(ConfigError::UnexpectedArgument { argument: arg }),
                },
            }
        }
        Ok(cli)
    }
}

/// The `--help` text, with every variable and its default.
pub fn usage() -> String {
    let mut text = String::from(
        "tunix-rt: the reasoning-trace web service\n\n\
         usage: tunix-rt [--listen IP:PORT]\n\n\
         options:\n  --listen IP:PORT  address to listen on (default 127.0.0.1:8000)\n  \
         -h, --help        print this help\n  -V, --version     print the version\n\n\
         environment (an empty value counts as unset):\n",
    );
    for (name, default, meaning) in VARIABLES {
        text.push_str(&format!(
            "  {name}\n      {meaning}\n      default: {default}\n"
        ));
    }
    text
}

impl Config {
    /// Reads the configuration from the process environment and the parsed command line.
    pub fn from_env(cli: &CliArgs) -> Result<Config, ConfigError> {
        for (name, _, _) in VARIABLES {
            if let Err(std::env::VarError::NotUnicode(_)) = std::env::var(name) {
                return Err(ConfigError::NotUnicode { name });
            }
        }
        Config::from_sources(cli, |name| std::env::var(name).ok())
    }

    /// Builds and validates the configuration from `cli` and a variable lookup.
    ///
    /// Separate from [`Config::from_env`] so it can be tested without touching the process
    /// environment.
    pub fn from_sources(
        cli: &CliArgs,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let var = |name: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let defaults = Config::default();

        let listen = match (&cli.listen, var("TUNIX_RT_LISTEN")) {
            (Some(flag), _) => parse_listen("--listen", flag)?,
            (None, Some(value)) => parse_listen("TUNIX_RT_LISTEN", &value)?,
            (None, None) => defaults.listen,
        };

        let database_url = var("DATABASE_URL")
            .map(|value| {
                DatabaseUrl::parse(&value).map_err(|reason| ConfigError::Invalid {
                    name: "DATABASE_URL",
                    // Not echoed: it usually carries a password.
                    value: None,
                    reason,
                })
            })
            .transpose()?;

        let data_dir = var("TUNIX_RT_DATA_DIR").map(PathBuf::from);
        let migrate = match var("TUNIX_RT_MIGRATE") {
            Some(value) => parse_bool("TUNIX_RT_MIGRATE", &value)?,
            None => defaults.migrate,
        };

        let max_connections = parse_number(
            &var,
            "DB_POOL_MAX_CONNECTIONS",
            1..=100,
            defaults.pool.max_connections,
        )?;
        let min_connections = parse_number(
            &var,
            "DB_POOL_MIN_CONNECTIONS",
            0..=max_connections,
            defaults.pool.min_connections,
        )?;
        let acquire_timeout = Duration::from_secs(parse_number(
            &var,
            "DB_POOL_ACQUIRE_TIMEOUT_SECONDS",
            1..=60,
            defaults.pool.acquire_timeout.as_secs(),
        )?);

        let trace_max_bytes = parse_number(
            &var,
            "TRACE_MAX_BYTES",
            TRACE_MAX_BYTES_RANGE,
            DEFAULT_TRACE_MAX_BYTES,
        )?;

        let cors_origins = match var("CORS_ORIGINS") {
            Some(value) => parse_origins("CORS_ORIGINS", &value)?,
            None => defaults.cors_origins,
        };

        let rediai = RediAiConfig {
            mode: match var("REDIAI_MODE") {
                Some(value) => parse_mode("REDIAI_MODE", &value)?,
                None => defaults.rediai.mode,
            },
            base_url: match var("REDIAI_BASE_URL") {
                Some(value) => parse_base_url("REDIAI_BASE_URL", &value)?,
                None => defaults.rediai.base_url,
            },
            health_path: match var("REDIAI_HEALTH_PATH") {
                Some(value) => parse_health_path("REDIAI_HEALTH_PATH", &value)?,
                None => defaults.rediai.health_path,
            },
            timeout: defaults.rediai.timeout,
            cache_ttl: Duration::from_secs(parse_number(
                &var,
                "REDIAI_HEALTH_CACHE_TTL_SECONDS",
                0..=300,
                defaults.rediai.cache_ttl.as_secs(),
            )?),
        };

        Ok(Config {
            listen,
            database_url,
            data_dir,
            pool: PoolConfig {
                max_connections,
                min_connections,
                acquire_timeout,
            },
            migrate,
            trace_max_bytes,
            cors_origins,
            rediai,
        })
    }

    /// Where the embedded Postgres keeps its data: `TUNIX_RT_DATA_DIR`, else
    /// `target/tunix-rt-data` in the workspace this binary was built from (what `cargo run`
    /// wants: kept across restarts, gone with `cargo clean`).
    ///
    /// Not a directory under `$HOME`: when run as root, the harness runs Postgres as an
    /// unprivileged user, which cannot enter a private home such as `/root`.
    pub fn embedded_data_dir(&self) -> PathBuf {
        match &self.data_dir {
            Some(dir) => dir.clone(),
            None => Path::new(env!("CARGO_MANIFEST_DIR"))
                .parent()
                .unwrap_or(Path::new(env!("CARGO_MANIFEST_DIR")))
                .join("target")
                .join("tunix-rt-data"),
        }
    }
}

fn invalid(name: &'static str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name,
        value: Some(value.to_owned()),
        reason: reason.into(),
    }
}

fn parse_listen(name: &'static str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|_| {
        invalid(
            name,
            value,
            "expected IP:PORT such as 127.0.0.1:8000 (host names such as localhost are refused: \
             they may resolve to IPv6 while clients use IPv4)",
        )
    })
}

fn parse_bool(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(invalid(name, value, "expected true or false")),
    }
}

fn parse_number<T>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    range: std::ops::RangeInclusive<T>,
    default: T,
) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd + fmt::Display + Copy,
{
    let Some(value) = var(name) else {
        return Ok(default);
    };
    let reason = || {
        format!(
            "expected a whole number from {} to {}",
            range.start(),
            range.end()
        )
    };
    match value.parse::<T>() {
        Ok(number) if range.contains(&number) => Ok(number),
        _ => Err(invalid(name, &value, reason())),
    }
}

fn parse_mode(name: &'static str, value: &str) -> Result<RediAiMode, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "mock" => Ok(RediAiMode::Mock),
        "real" => Ok(RediAiMode::Real),
        _ => Err(invalid(name, value, "expected mock or real")),
    }
}

fn parse_base_url(name: &'static str, value: &str) -> Result<String, ConfigError> {
    let url = reqwest::Url::parse(value)
        .map_err(|err| invalid(name, value, format!("not a URL ({err})")))?;
    match url.scheme() {
        "http" => {}
        "https" => {
            return Err(invalid(
                name,
                value,
                "https is not supported: this build has no TLS (use http)",
            ));
        }
        _ => return Err(invalid(name, value, "expected an http:// URL")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid(name, value, "the URL has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            name,
            value,
            "the URL must not have a query or fragment",
        ));
    }
    // The health path is appended as text, so a trailing slash would double it.
    Ok(value.trim_end_matches('/').to_owned())
}

fn parse_health_path(name: &'static str, value: &str) -> Result<String, ConfigError> {
    if !value.starts_with('/') {
        return Err(invalid(name, value, "must start with /"));
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            name,
            value,
            "must not contain spaces or control characters",
        ));
    }
    Ok(value.to_owned())
}

/// Parses `scheme://host[:port]` entries into the exact strings browsers send as `Origin`.
fn parse_origins(name: &'static str, value: &str) -> Result<Vec<String>, ConfigError> {
    let mut origins = Vec::new();
    for entry in value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
    {
        if entry == "*" {
            return Err(invalid(
                name,
                value,
                "a wildcard is not accepted; list the origins, e.g. http://127.0.0.1:5173",
            ));
        }
        let bad = |why: &str| invalid(name, value, format!("{entry:?} is not an origin: {why}"));
        let Some((_, rest)) = entry.split_once("://") else {
            return Err(bad("expected scheme://host[:port]"));
        };
        if rest.contains(['/', '?', '#', '@']) {
            return Err(bad(
                "an origin has no path, query, or user (and no trailing /)",
            ));
        }
        let url = reqwest::Url::parse(entry).map_err(|err| bad(&err.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("expected http or https"));
        }
        let origin = url.origin().ascii_serialization();
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    if origins.is_empty() {
        return Err(invalid(name, value, "no origin given"));
    }
    Ok(origins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        config_with_cli(&CliArgs::default(), vars)
    }

    fn config_with_cli(cli: &CliArgs, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_sources(cli, |name| vars.get(name).cloned())
    }

    fn failing_name(vars: &[(&str, &str)]) -> &'static str {
        let err = config(vars).expect_err("should be refused");
        let name = err.name().expect("the error names a variable");
        assert!(err.to_string().contains(name), "{err}");
        name
    }

    #[test]
    fn no_variables_gives_the_documented_defaults() {
        let config = config(&[]).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.listen.to_string(), "127.0.0.1:8000");
        assert_eq!(config.trace_max_bytes, 1_048_576);
        assert_eq!(config.rediai.mode, RediAiMode::Mock);
        assert_eq!(config.rediai.timeout, Duration::from_secs(5));
        assert_eq!(config.rediai.cache_ttl, Duration::from_secs(30));
        assert_eq!(config.rediai.health_url(), "http://127.0.0.1:8080/health");
        assert_eq!(config.cors_origins.len(), 4);
        assert!(config.migrate);
    }

    #[test]
    fn every_variable_is_read() {
        let config = config(&[
            ("TUNIX_RT_LISTEN", "127.0.0.1:9000"),
            ("DATABASE_URL", "postgres://u:secret@127.0.0.1:5432/db"), // pragma: allowlist secret
            ("TUNIX_RT_DATA_DIR", "/tmp/pgdata"),
            ("TUNIX_RT_MIGRATE", "false"),
            ("DB_POOL_MAX_CONNECTIONS", "4"),
            ("DB_POOL_MIN_CONNECTIONS", "2"),
            ("DB_POOL_ACQUIRE_TIMEOUT_SECONDS", "7"),
            ("TRACE_MAX_BYTES", "2048"),
            (
                "CORS_ORIGINS",
                "http://example.test:3000, https://EXAMPLE.test",
            ),
            ("REDIAI_MODE", "real"),
            ("REDIAI_BASE_URL", "http://127.0.0.1:9999/"),
            ("REDIAI_HEALTH_PATH", "/status"),
            ("REDIAI_HEALTH_CACHE_TTL_SECONDS", "0"),
        ])
        .unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(
            config.database_url.as_ref().unwrap().expose(),
            "postgres://u:secret@127.0.0.1:5432/db" // pragma: allowlist secret
        );
        assert_eq!(config.data_dir, Some(PathBuf::from("/tmp/pgdata")));
        assert!(!config.migrate);
        assert_eq!(config.pool.max_connections, 4);
        assert_eq!(config.pool.min_connections, 2);
        assert_eq!(config.pool.acquire_timeout, Duration::from_secs(7));
        assert_eq!(config.trace_max_bytes, 2048);
        assert_eq!(
            config.cors_origins,
            ["http://example.test:3000", "https://example.test"]
        );
        assert_eq!(config.rediai.mode, RediAiMode::Real);
        assert_eq!(config.rediai.health_url(), "http://127.0.0.1:9999/status");
        assert_eq!(config.rediai.cache_ttl, Duration::ZERO);
    }

    #[test]
    fn invalid_values_name_their_variable() {
        let cases: &[(&str, &str)] = &[
            ("TUNIX_RT_LISTEN", "localhost:8000"),
            ("TUNIX_RT_LISTEN", "127.0.0.1"),
            ("DATABASE_URL", "mysql://127.0.0.1/db"),
            ("TUNIX_RT_MIGRATE", "maybe"),
            ("DB_POOL_MAX_CONNECTIONS", "0"),
            ("DB_POOL_MAX_CONNECTIONS", "ten"),
            ("DB_POOL_ACQUIRE_TIMEOUT_SECONDS", "0"),
            ("TRACE_MAX_BYTES", "1023"),
            ("TRACE_MAX_BYTES", "10485761"),
            ("TRACE_MAX_BYTES", "-1"),
            ("TRACE_MAX_BYTES", "1MiB"),
            ("CORS_ORIGINS", "*"),
            ("CORS_ORIGINS", "http://example.test/"),
            ("CORS_ORIGINS", "example.test"),
            ("CORS_ORIGINS", "ftp://example.test"),
            ("CORS_ORIGINS", ","),
            ("REDIAI_MODE", "fake"),
            ("REDIAI_BASE_URL", "127.0.0.1:8080"),
            ("REDIAI_BASE_URL", "https://rediai.test"),
            ("REDIAI_BASE_URL", "http://rediai.test/?q=1"),
            ("REDIAI_BASE_URL", "http://rediai.test/#top"),
            ("REDIAI_HEALTH_PATH", "health"),
            ("REDIAI_HEALTH_PATH", "/he alth"),
            ("REDIAI_HEALTH_CACHE_TTL_SECONDS", "301"),
            ("REDIAI_HEALTH_CACHE_TTL_SECONDS", "-1"),
        ];
        for (name, value) in cases {
            assert_eq!(failing_name(&[(name, value)]), *name, "{name}={value}");
        }
    }

    #[test]
    fn boundary_values_are_accepted() {
        for (name, value) in [
            ("TRACE_MAX_BYTES", "1024"),
            ("TRACE_MAX_BYTES", "10485760"),
            ("REDIAI_HEALTH_CACHE_TTL_SECONDS", "300"),
            ("DB_POOL_MAX_CONNECTIONS", "100"),
            ("TUNIX_RT_LISTEN", "[::1]:0"),
            ("DATABASE_URL", "postgresql://u:p@127.0.0.1:5432/db"),
        ] {
            assert!(config(&[(name, value)]).is_ok(), "{name}={value}");
        }
    }

    #[test]
    fn an_origin_listed_twice_is_kept_once() {
        let config =
            config(&[("CORS_ORIGINS", "http://a.test:5173, http://a.test:5173,")]).unwrap();
        assert_eq!(config.cors_origins, ["http://a.test:5173"]);
    }

    #[test]
    fn min_connections_cannot_exceed_max() {
        let vars = [
            ("DB_POOL_MAX_CONNECTIONS", "2"),
            ("DB_POOL_MIN_CONNECTIONS", "3"),
        ];
        assert_eq!(
            config(&vars).unwrap_err().name(),
            Some("DB_POOL_MIN_CONNECTIONS")
        );
    }

    #[test]
    fn empty_values_count_as_unset() {
        let config = config(&[("TRACE_MAX_BYTES", ""), ("DATABASE_URL", "  ")]).unwrap();
        assert_eq!(config, Config::default());
    }

    #[test]
    fn the_database_password_is_never_shown() {
        let err =
            config(&[("DATABASE_URL", "postgres://u:secret@/db?sslmode=nonsense")]).unwrap_err(); // pragma: allowlist secret
        assert_eq!(err.name(), Some("DATABASE_URL"));
        assert!(!err.to_string().contains("secret"), "{err}");

        let url = DatabaseUrl::parse("postgres://u:secret@127.0.0.1:5432/db").unwrap();
        assert!(!format!("{url} {url:?}").contains("secret"));
        assert!(url.to_string().contains("127.0.0.1:5432/db"));
    }

    #[test]
    fn the_listen_flag_wins_over_the_variable() {
        let cli = CliArgs::parse(["--listen", "127.0.0.1:7000"].map(OsString::from)).unwrap();
        let config = config_with_cli(&cli, &[("TUNIX_RT_LISTEN", "127.0.0.1:9000")]).unwrap();
        assert_eq!(config.listen.port(), 7000);

        let cli = CliArgs::parse(["--listen=nowhere".into()]).unwrap();
        assert_eq!(
            config_with_cli(&cli, &[]).unwrap_err().name(),
            Some("--listen")
        );
    }

    #[test]
    fn the_command_line_is_parsed_by_hand() {
        let parse = |args: &[&str]| CliArgs::parse(args.iter().map(OsString::from));
        assert!(parse(&["--help"]).unwrap().help);
        assert!(parse(&["-V"]).unwrap().version);
        assert_eq!(
            parse(&["--listen"]).unwrap_err(),
            ConfigError::MissingValue { flag: "--listen" }
        );
        assert_eq!(
            parse(&["--listen", "--help"]).unwrap_err().name(),
            Some("--listen")
        );
        assert!(matches!(
            parse(&["--port", "1"]).unwrap_err(),
            ConfigError::UnexpectedArgument { .. }
        ));
    }

    #[test]
    fn the_embedded_data_dir_defaults_to_the_workspace_target() {
        let dir = Config::default().embedded_data_dir();
        assert!(dir.ends_with("target/tunix-rt-data"), "{}", dir.display());
        assert!(
            dir.parent()
                .unwrap()
                .parent()
                .unwrap()
                .join("Cargo.toml")
                .is_file()
        );

        let config = config(&[("TUNIX_RT_DATA_DIR", "/srv/pg")]).unwrap();
        assert_eq!(config.embedded_data_dir(), PathBuf::from("/srv/pg"));
    }

    #[test]
    fn usage_lists_every_variable() {
        let text = usage();
        for (name, _, _) in VARIABLES {
            assert!(text.contains(name), "{name}");
        }
    }
}
