//! The Diesel 2 adapter (feature `diesel-2`): a test's database as Diesel's own blocking
//! `PgConnection`, on libpq as the team's Diesel already is (the feature turns on Diesel's
//! `postgres` backend, which links libpq; the harness's own work still needs none).

/// The Diesel this adapter is built against.
pub use diesel;
use diesel::{Connection, ConnectionResult, PgConnection};

use crate::TestDatabase;
use crate::pg::CONNECT_TIMEOUT;
use crate::testing::{Fixture, FixtureError, TestContext};

/// Diesel's view of a [`TestDatabase`].
pub trait TestDatabaseExt {
    /// A new connection to this database (what `PgConnection::establish(db.url())` does), given
    /// up after 10 seconds. It blocks, as Diesel's connections do: in async code, call it in
    /// `spawn_blocking`.
    fn establish(&self) -> ConnectionResult<PgConnection>;
}

impl TestDatabaseExt for TestDatabase {
    fn establish(&self) -> ConnectionResult<PgConnection> {
        PgConnection::establish(&with_connect_timeout(self.url()))
    }
}

/// The URL with libpq's `connect_timeout`: a server that accepts and then says nothing fails
/// the test in seconds, not never (libpq waits forever by default).
fn with_connect_timeout(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let has_one = parsed
                .query_pairs()
                .any(|(key, _)| key == "connect_timeout");
            if !has_one {
                parsed
                    .query_pairs_mut()
                    .append_pair("connect_timeout", &CONNECT_TIMEOUT.as_secs().to_string());
            }
            parsed.into()
        }
        Err(_) => url.to_owned(),
    }
}

/// A connection to the test's own database (its migrations and fixtures applied, bookkept as
/// Diesel does), which the harness keeps and cleans up by the test's outcome. Each connection
/// commits for real: no test transaction is needed, and tests run in parallel.
impl Fixture for PgConnection {
    async fn setup(test: &TestContext) -> Result<Self, FixtureError> {
        let db = test.database().await?;
        let url = with_connect_timeout(db.url());
        // libpq's connect blocks: off the test's runtime, which may be a single thread.
        let conn = tokio::task::spawn_blocking(move || PgConnection::establish(&url)).await??;
        test.hold(db);
        Ok(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_gets_a_connect_timeout_unless_it_has_one() {
        assert_eq!(
            with_connect_timeout("postgres://u:p@127.0.0.1:5432/t_x"),
            "postgres://u:p@127.0.0.1:5432/t_x?connect_timeout=10"
        );
        assert_eq!(
            with_connect_timeout("postgres://u@h/db?sslmode=disable&connect_timeout=3"),
            "postgres://u@h/db?sslmode=disable&connect_timeout=3"
        );
    }
}
