//! The diesel-async 0.10 adapter (feature `diesel-async-0.10`): a test's database as
//! diesel-async's own connection. Its Postgres backend is tokio-postgres, the harness's own
//! client, so no native library (libpq) is needed.

use std::future::Future;

/// The diesel-async this adapter is built against.
pub use diesel_async;
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::TestDatabase;
use crate::testing::{Fixture, FixtureError, TestContext};

/// diesel-async's view of a [`TestDatabase`].
pub trait TestDatabaseExt {
    /// A new connection to this database (what `AsyncPgConnection::establish(db.url())` does).
    fn establish(&self)
    -> impl Future<Output = diesel::ConnectionResult<AsyncPgConnection>> + Send;
}

impl TestDatabaseExt for TestDatabase {
    fn establish(
        &self,
    ) -> impl Future<Output = diesel::ConnectionResult<AsyncPgConnection>> + Send {
        let url = self.url().to_owned();
        async move { AsyncPgConnection::establish(&url).await }
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
