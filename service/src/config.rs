//! Settings from the environment and the command line, validated before anything starts.
//!
//! [`Cli`] lists every setting, as a flag and an environment variable (`tunix-rt --help` prints
//! them). An empty variable counts as unset, so `VAR=` in an env file falls back to the default
//! instead of failing.

use std::ffi::OsStr;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::{Arg, ArgAction, Command, CommandFactory, FromArgMatches, Parser};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::rediai::{RediAiConfig, RediAiMode};

/// Default listen address: IPv4 loopback, never `localhost` (which may resolve to `::1`).
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8000";
/// Default `TRACE_MAX_BYTES`: 1 MiB.
pub const DEFAULT_TRACE_MAX_BYTES: usize = 1024 * 1024;
/// Allowed `TRACE_MAX_BYTES`: 1 KiB to 10 MiB.
pub const TRACE_MAX_BYTES_RANGE: std::ops::RangeInclusive<usize> = 1024..=10 * 1024 * 1024;
/// Origins allowed by CORS when `CORS_ORIGINS` is unset: the original's Vite dev and preview
/// servers, in `CORS_ORIGINS`' own syntax.
pub const DEFAULT_CORS_ORIGINS: &str =
    "http://localhost:5173,http://127.0.0.1:5173,http://localhost:4173,http://127.0.0.1:4173";

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
            cors_origins: DEFAULT_CORS_ORIGINS.split(',').map(String::from).collect(),
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
        f.write_str(&harness_core::redact(&self.0))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

/// The command line, where every setting is a flag or its environment variable, the flag winning.
///
/// clap does the parsing, the `--help` text and the errors. Each value's name is its variable, so
/// an error says `invalid value '0' for '--db-pool-max-connections <DB_POOL_MAX_CONNECTIONS>'`
/// whichever of the two it came from.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "tunix-rt",
    version,
    about = "tunix-rt: the reasoning-trace web service",
    long_about = None,
    after_help = "Every setting is a flag or its environment variable; the flag wins. \
                  An empty variable counts as unset."
)]
pub struct Cli {
    /// Address to listen on, IP:PORT. Host names such as localhost are refused: they may resolve
    /// to IPv6 while clients use IPv4.
    #[arg(long, env = "TUNIX_RT_LISTEN", value_name = "TUNIX_RT_LISTEN",
          default_value = DEFAULT_LISTEN, value_parser = listen_address)]
    pub listen: SocketAddr,

    /// The database, as a postgres:// or postgresql:// URL with its user, password, host, port and
    /// name. Unset: start an embedded Postgres through the harness.
    #[arg(long, env = "DATABASE_URL", value_name = "DATABASE_URL", hide_env_values = true,
          value_parser = DatabaseUrlParser)]
    pub database_url: Option<DatabaseUrl>,

    /// Data directory of the embedded Postgres, kept across restarts; unused with DATABASE_URL.
    /// Unset: target/tunix-rt-data in the workspace the binary was built from.
    #[arg(long, env = "TUNIX_RT_DATA_DIR", value_name = "TUNIX_RT_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// Apply the database migrations at start (true|false).
    #[arg(long, env = "TUNIX_RT_MIGRATE", value_name = "TUNIX_RT_MIGRATE",
          default_value_t = Config::default().migrate, action = ArgAction::Set,
          value_parser = boolean)]
    pub migrate: bool,

    /// Largest number of database connections (1..=100).
    #[arg(long, env = "DB_POOL_MAX_CONNECTIONS", value_name = "DB_POOL_MAX_CONNECTIONS",
          default_value_t = PoolConfig::default().max_connections,
          value_parser = whole_number(1..=100u32))]
    pub db_pool_max_connections: u32,

    /// Connections kept open when idle (0..=DB_POOL_MAX_CONNECTIONS).
    #[arg(long, env = "DB_POOL_MIN_CONNECTIONS", value_name = "DB_POOL_MIN_CONNECTIONS",
          default_value_t = PoolConfig::default().min_connections,
          value_parser = whole_number(0..=100u32))]
    pub db_pool_min_connections: u32,

    /// How long a request waits for a connection before answering 503, in seconds (1..=60).
    #[arg(long, env = "DB_POOL_ACQUIRE_TIMEOUT_SECONDS",
          value_name = "DB_POOL_ACQUIRE_TIMEOUT_SECONDS",
          default_value_t = PoolConfig::default().acquire_timeout.as_secs(),
          value_parser = whole_number(1..=60u64))]
    pub db_pool_acquire_timeout_seconds: u64,

    /// Largest accepted trace body in bytes (1024..=10485760); larger bodies get 413.
    #[arg(long, env = "TRACE_MAX_BYTES", value_name = "TRACE_MAX_BYTES",
          default_value_t = DEFAULT_TRACE_MAX_BYTES, value_parser = whole_number(TRACE_MAX_BYTES_RANGE))]
    pub trace_max_bytes: usize,

    /// Comma-separated origins allowed to call the API from a browser; no wildcard.
    #[arg(long, env = "CORS_ORIGINS", value_name = "CORS_ORIGINS",
          default_value = DEFAULT_CORS_ORIGINS, value_parser = origins)]
    pub cors_origins: Origins,

    /// RediAI health client: mock (always healthy) or real.
    #[arg(long, env = "REDIAI_MODE", value_name = "REDIAI_MODE",
          default_value = "mock", value_parser = rediai_mode)]
    pub rediai_mode: RediAiMode,

    /// RediAI base URL (http only: this build has no TLS), used in real mode.
    #[arg(long, env = "REDIAI_BASE_URL", value_name = "REDIAI_BASE_URL",
          default_value = crate::rediai::DEFAULT_BASE_URL, value_parser = base_url)]
    pub rediai_base_url: String,

    /// Path of RediAI's health endpoint, starting with /.
    #[arg(long, env = "REDIAI_HEALTH_PATH", value_name = "REDIAI_HEALTH_PATH",
          default_value = crate::rediai::DEFAULT_HEALTH_PATH, value_parser = health_path)]
    pub rediai_health_path: String,

    /// How long a RediAI health result is reused, in seconds (0..=300; 0 disables the cache).
    #[arg(long, env = "REDIAI_HEALTH_CACHE_TTL_SECONDS",
          value_name = "REDIAI_HEALTH_CACHE_TTL_SECONDS",
          default_value_t = crate::rediai::DEFAULT_CACHE_TTL.as_secs(),
          value_parser = whole_number(0..=300u64))]
    pub rediai_health_cache_ttl_seconds: u64,
}

/// The origins of `CORS_ORIGINS`, as browsers send them in `Origin`: one value to clap (a bare
/// `Vec` would make it a repeated flag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origins(pub Vec<String>);

impl Cli {
    /// The command with the variables of the process environment, an empty one left out.
    ///
    /// clap reads each variable when the command is built and would hand an empty value to its
    /// parser; `VAR=` in an env file means "use the default" here, so such a variable is dropped.
    pub fn command_from_env() -> Command {
        Cli::command().mut_args(|arg| match arg.get_env() {
            Some(name)
                if std::env::var_os(name)
                    .is_some_and(|value| value.to_string_lossy().trim().is_empty()) =>
            {
                arg.env(None)
            }
            _ => arg,
        })
    }

    /// Every environment variable the service reads, in `--help` order.
    pub fn variables() -> Vec<String> {
        Cli::command()
            .get_arguments()
            .filter_map(|arg| arg.get_env())
            .map(|name| name.to_string_lossy().into_owned())
            .collect()
    }
}

impl Config {
    /// Reads the configuration from the process's arguments and environment; on bad input, the
    /// error (whose `exit()` prints it and exits with code 2) names the flag and variable at fault.
    pub fn from_args_and_env() -> Result<Config, clap::Error> {
        Config::from_matches(Cli::command_from_env(), std::env::args_os())
    }

    fn from_matches<I, T>(mut command: Command, args: I) -> Result<Config, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = command.try_get_matches_from_mut(args)?;
        let cli = Cli::from_arg_matches(&matches).map_err(|err| err.format(&mut command))?;
        Config::from_cli(cli)
            .map_err(|message| command.error(clap::error::ErrorKind::ValueValidation, message))
    }

    /// Checks what no single value's parser can (one setting against another).
    pub fn from_cli(cli: Cli) -> Result<Config, String> {
        if cli.db_pool_min_connections > cli.db_pool_max_connections {
            return Err(format!(
                "invalid value '{}' for '--db-pool-min-connections <DB_POOL_MIN_CONNECTIONS>': \
                 more than DB_POOL_MAX_CONNECTIONS ({})",
                cli.db_pool_min_connections, cli.db_pool_max_connections
            ));
        }
        Ok(Config {
            listen: cli.listen,
            database_url: cli.database_url,
            data_dir: cli.data_dir,
            pool: PoolConfig {
                max_connections: cli.db_pool_max_connections,
                min_connections: cli.db_pool_min_connections,
                acquire_timeout: Duration::from_secs(cli.db_pool_acquire_timeout_seconds),
            },
            migrate: cli.migrate,
            trace_max_bytes: cli.trace_max_bytes,
            cors_origins: cli.cors_origins.0,
            rediai: RediAiConfig {
                mode: cli.rediai_mode,
                base_url: cli.rediai_base_url,
                health_path: cli.rediai_health_path,
                timeout: crate::rediai::DEFAULT_TIMEOUT,
                cache_ttl: Duration::from_secs(cli.rediai_health_cache_ttl_seconds),
            },
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

/// Parses `DATABASE_URL` without ever echoing it: clap's own error for a bad value quotes the
/// value, and this one usually carries a password.
#[derive(Debug, Clone, Copy)]
struct DatabaseUrlParser;

impl TypedValueParser for DatabaseUrlParser {
    type Value = DatabaseUrl;

    fn parse_ref(
        &self,
        command: &Command,
        arg: Option<&Arg>,
        value: &OsStr,
    ) -> Result<DatabaseUrl, clap::Error> {
        let arg = arg.map_or_else(|| "DATABASE_URL".to_owned(), ToString::to_string);
        let refuse = |reason: String| {
            command.clone().error(
                clap::error::ErrorKind::ValueValidation,
                format!("invalid value for '{arg}' (not shown: it may hold a password): {reason}"),
            )
        };
        let text = value
            .to_str()
            .ok_or_else(|| refuse("the value is not valid UTF-8".to_owned()))?;
        DatabaseUrl::parse(text.trim()).map_err(refuse)
    }
}

fn listen_address(value: &str) -> Result<SocketAddr, String> {
    value.trim().parse().map_err(|_| {
        "expected IP:PORT such as 127.0.0.1:8000 (host names such as localhost are refused: \
         they may resolve to IPv6 while clients use IPv4)"
            .to_owned()
    })
}

fn boolean(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".to_owned()),
    }
}

/// A parser of whole numbers in `range`, whose error says the range (clap's own ranged parser
/// covers integer types only as `i64`/`u64` and words its errors per type).
fn whole_number<T>(
    range: std::ops::RangeInclusive<T>,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: FromStr + PartialOrd + fmt::Display + Copy + Send + Sync + 'static,
{
    move |value| match value.trim().parse::<T>() {
        Ok(number) if range.contains(&number) => Ok(number),
        _ => Err(format!(
            "expected a whole number from {} to {}",
            range.start(),
            range.end()
        )),
    }
}

fn rediai_mode(value: &str) -> Result<RediAiMode, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "mock" => Ok(RediAiMode::Mock),
        "real" => Ok(RediAiMode::Real),
        _ => Err("expected mock or real".to_owned()),
    }
}

fn base_url(value: &str) -> Result<String, String> {
    let value = value.trim();
    let url = reqwest::Url::parse(value).map_err(|err| format!("not a URL ({err})"))?;
    match url.scheme() {
        "http" => {}
        "https" => return Err("https is not supported: this build has no TLS (use http)".into()),
        _ => return Err("expected an http:// URL".into()),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("the URL has no host".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("the URL must not have a query or fragment".into());
    }
    // The health path is appended as text, so a trailing slash would double it.
    Ok(value.trim_end_matches('/').to_owned())
}

fn health_path(value: &str) -> Result<String, String> {
    let value = value.trim();
    if !value.starts_with('/') {
        return Err("must start with /".into());
    }
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters".into());
    }
    Ok(value.to_owned())
}

/// Parses `scheme://host[:port]` entries into the exact strings browsers send as `Origin`.
fn origins(value: &str) -> Result<Origins, String> {
    let mut origins = Vec::new();
    for entry in value
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
    {
        if entry == "*" {
            return Err(
                "a wildcard is not accepted; list the origins, e.g. http://127.0.0.1:5173".into(),
            );
        }
        let bad = |why: &str| format!("{entry:?} is not an origin: {why}");
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
        return Err("no origin given".into());
    }
    Ok(Origins(origins))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `args`, ignoring the process environment (the developer's own `DATABASE_URL`
    /// must not change a test); the binary's tests cover reading real variables.
    fn parse(args: &[String]) -> Result<Config, clap::Error> {
        let command = Cli::command().mut_args(|arg| arg.env(None));
        Config::from_matches(
            command,
            std::iter::once("tunix-rt".to_owned()).chain(args.to_vec()),
        )
    }

    /// The flag that stands for variable `name`.
    fn flag_of(name: &str) -> String {
        let command = Cli::command();
        let arg = command
            .get_arguments()
            .find(|arg| arg.get_env().is_some_and(|env| env == name))
            .unwrap_or_else(|| panic!("no flag reads {name}"));
        format!(
            "--{}",
            arg.get_long().expect("every setting has a long flag")
        )
    }

    /// The configuration given these variables, each passed through the flag that reads it.
    fn config(vars: &[(&str, &str)]) -> Result<Config, clap::Error> {
        let args: Vec<String> = vars
            .iter()
            .map(|(name, value)| format!("{}={value}", flag_of(name)))
            .collect();
        parse(&args)
    }

    /// Asserts that `vars` are refused with an error naming `name`, and returns the message.
    fn refused_naming(vars: &[(&str, &str)], name: &str) -> String {
        let err = config(vars).expect_err("should be refused").to_string();
        assert!(err.contains(name), "{name}: {err}");
        assert!(err.contains(&flag_of(name)), "{name}: {err}");
        err
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
            refused_naming(&[(name, value)], name);
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
        let err = refused_naming(&vars, "DB_POOL_MIN_CONNECTIONS");
        assert!(err.contains("DB_POOL_MAX_CONNECTIONS"), "{err}");
    }

    #[test]
    fn the_database_password_is_never_shown() {
        for url in [
            "postgres://u:secret@/db?sslmode=nonsense", // pragma: allowlist secret
            "mysql://u:secret@127.0.0.1/db",            // pragma: allowlist secret
        ] {
            let err = refused_naming(&[("DATABASE_URL", url)], "DATABASE_URL");
            assert!(!err.contains("secret"), "{err}");
        }
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("DATABASE_URL"), "{help}");

        let url = DatabaseUrl::parse("postgres://u:secret@127.0.0.1:5432/db").unwrap();
        assert!(!format!("{url} {url:?}").contains("secret"));
        assert!(url.to_string().contains("127.0.0.1:5432/db"));
    }

    #[test]
    fn the_command_line_is_checked_by_clap() {
        let args = |args: &[&str]| parse(&args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>());
        assert_eq!(
            args(&["--listen", "127.0.0.1:7000"]).unwrap().listen.port(),
            7000
        );
        assert_eq!(
            args(&["--help"]).unwrap_err().kind(),
            clap::error::ErrorKind::DisplayHelp
        );
        assert_eq!(
            args(&["-V"]).unwrap_err().kind(),
            clap::error::ErrorKind::DisplayVersion
        );
        let err = args(&["--listen"]).unwrap_err();
        assert!(err.to_string().contains("--listen"), "{err}");
        let err = args(&["--port", "1"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
        assert!(err.to_string().contains("--port"), "{err}");
        // A clap error exits with 2, which the binary's callers rely on.
        assert_eq!(err.exit_code(), 2);
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
    fn help_lists_every_variable_with_its_flag() {
        let help = Cli::command().render_long_help().to_string();
        let variables = Cli::variables();
        assert_eq!(variables.len(), 13, "{variables:?}");
        for name in &variables {
            assert!(help.contains(&format!("[env: {name}")), "{name}: {help}");
            assert!(help.contains(&flag_of(name)), "{name}: {help}");
        }
    }

    #[test]
    fn the_command_is_well_formed() {
        Cli::command().debug_assert();
    }
}
