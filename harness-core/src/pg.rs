//! The harness's own connections to Postgres, over tokio-postgres.
//!
//! Not sqlx, on purpose: a test crate shares one dependency graph with the service it tests, and
//! sqlx's versions cannot all live in one graph (0.7's and 0.8's sqlite crates both link
//! `sqlite3`). tokio-postgres has no native library and no sqlx in its tree, so a project on any
//! client library, or none, adds only it. Its types stay private: what the harness hands out is a
//! URL, parts, or (behind a feature) the user's own client's types.

use std::fmt;
use std::time::Duration;

use tokio_postgres::{Client, Config, NoTls};

use crate::postgres::PostgresServer;

/// An error of Postgres or of the connection to it, as the server or the client said it.
#[derive(Debug)]
pub struct PgError(tokio_postgres::Error);

impl PgError {
    /// The SQLSTATE code of an error the server reported (`42P01`: no such table), if it was one.
    pub fn code(&self) -> Option<&str> {
        self.0.code().map(|code| code.code())
    }

    /// Whether nothing accepted the connection (the server is not or no longer there).
    pub fn is_connection_refused(&self) -> bool {
        let mut source = std::error::Error::source(&self.0);
        while let Some(cause) = source {
            if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                return io.kind() == std::io::ErrorKind::ConnectionRefused;
            }
            source = cause.source();
        }
        false
    }
}

impl fmt::Display for PgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // tokio-postgres says "db error" and keeps the server's words in its source: one line
        // with both reads better in a test's output.
        match self.0.as_db_error() {
            Some(db) => {
                write!(f, "{}: {}", db.severity(), db.message())?;
                if let Some(detail) = db.detail() {
                    write!(f, " ({detail})")?;
                }
                Ok(())
            }
            None => fmt::Display::fmt(&self.0, f),
        }
    }
}

impl std::error::Error for PgError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self.0.as_db_error() {
            // Said already in full.
            Some(_) => None,
            None => std::error::Error::source(&self.0),
        }
    }
}

impl From<tokio_postgres::Error> for PgError {
    fn from(error: tokio_postgres::Error) -> PgError {
        PgError(error)
    }
}

/// How long a connection may take: a server that accepts and then says nothing fails the test in
/// seconds, not never.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The connection settings of one database on `server`: its parts, or an external server's URL
/// (whose query, `sslmode` and `options`, is kept), with [`CONNECT_TIMEOUT`].
pub(crate) fn config(server: &PostgresServer, database: &str) -> Config {
    let mut config = server
        .base_url
        .as_ref()
        .and_then(|_| server.url_for(database).parse::<Config>().ok())
        .unwrap_or_else(|| {
            let mut config = Config::new();
            config
                .host(&server.host)
                .port(server.port)
                .user(&server.user)
                .password(&server.password)
                .dbname(database);
            config
        });
    config.connect_timeout(CONNECT_TIMEOUT);
    config
}

/// A connection to `database` on `server`. Its I/O runs as a task of the current runtime; the
/// connection closes when the client is dropped.
pub(crate) async fn connect(server: &PostgresServer, database: &str) -> Result<Client, PgError> {
    Ok(open(&config(server, database)).await?)
}

/// A connection to a URL, for the readiness probe (which has its own deadline).
pub(crate) async fn connect_url(url: &str) -> Result<Client, PgError> {
    Ok(open(&url.parse()?).await?)
}

/// A connection with `config`, without TLS (the harness's servers listen on 127.0.0.1), its I/O
/// a task of the current runtime.
pub(crate) async fn open(config: &Config) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        // An error here is the connection's end, which the client's next call reports.
        let _ = connection.await;
    });
    Ok(client)
}
