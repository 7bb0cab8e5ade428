//! The diesel-async 0.10 adapter (feature `diesel-async-0.10`): a test's database as
//! diesel-async's own connection. Its Postgres backend is tokio-postgres, the harness's own
//! client, so no native library (libpq) is needed.

use std::future::Future;

/// The diesel-async this adapter is built against.
pub use diesel_async;
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::TestDatabase;
use crate::pg::CONNECT_TIMEOUT;
use crate::testing::{Fixture, FixtureError, TestContext};

/// diesel-async's view of a [`TestDatabase`].
pub trait TestDatabaseExt {
    /// A new connection to this database (what `AsyncPgConnection::establish(db.url())` does),
    /// given up after 10 seconds.
    fn establish(&self)
    -> impl Future<Output = diesel::ConnectionResult<AsyncPgConnection>> + Send;
}

impl TestDatabaseExt for TestDatabase {
    fn establish(
        &self,
    ) -> impl Future<Output = diesel::ConnectionResult<AsyncPgConnection>> + Send {
        let url = self.url().to_owned();
        async move {
            // A server that accepts and then says nothing fails the test in seconds, not never
            // (diesel-async's own establish has no deadline).
            tokio::time::timeout(CONNECT_TIMEOUT, AsyncPgConnection::establish(&url))
                .await
                .unwrap_or_else(|_| {
                    Err(diesel::ConnectionError::BadConnection(format!(
                        "no connection after {CONNECT_TIMEOUT:?}"
                    )))
                })
        }
    }
}

/// A connection to the test's own database (its migrations and fixtures applied, bookkept as
/// Diesel does), which the harness keeps and cleans up by the test's outcome. Each connection
/// commits for real: no test transaction is needed, and tests run in parallel.
impl Fixture for AsyncPgConnection {
    async fn setup(test: &TestContext) -> Result<Self, FixtureError> {
        let db = test.database().await?;
        let conn = db.establish().await?;
        test.hold(db);
        Ok(conn)
    }
}
