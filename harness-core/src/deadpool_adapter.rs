//! The deadpool-postgres 0.14 adapter (feature `deadpool-postgres-0.14`): a pool of
//! tokio-postgres connections on a test's database, as deadpool's own type.

use std::time::Duration;

/// The deadpool-postgres this adapter is built against.
pub use deadpool_postgres;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use crate::TestDatabase;
use crate::testing::{Fixture, FixtureError, TestContext};
use crate::tokio_postgres_0_7::TestDatabaseExt as _;

/// deadpool-postgres's view of a [`TestDatabase`].
pub trait TestDatabaseExt {
    /// A new pool of connections to this database (at most 5), connecting on first use. A
    /// service that builds its own takes [`config`](crate::tokio_postgres_0_7::TestDatabaseExt::config).
    fn deadpool(&self) -> Pool;
}

impl TestDatabaseExt for TestDatabase {
    fn deadpool(&self) -> Pool {
        let manager = Manager::from_config(
            self.config(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        Pool::builder(manager)
            .max_size(5)
            // A stopped server fails the test in seconds, not at deadpool's default of never.
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(3)))
            .create_timeout(Some(crate::pg::CONNECT_TIMEOUT))
            .build()
            // Only a timeout without a runtime fails to build, and the runtime is set above.
            .expect("a deadpool with a runtime builds")
    }
}

/// A pool on the test's own database, which the harness keeps and cleans up by the test's
/// outcome.
impl Fixture for Pool {
    async fn setup(test: &TestContext) -> Result<Self, FixtureError> {
        let db = test.database().await?;
        let pool = db.deadpool();
        test.hold(db);
        Ok(pool)
    }
}
