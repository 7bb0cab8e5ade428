//! The tokio-postgres 0.7 adapter (feature `tokio-postgres-0.7`): a test's database as
//! tokio-postgres's own types. The harness's own connections use the same crate, so the feature
//! adds nothing to the dependency tree.

use std::future::Future;

/// The tokio-postgres this adapter is built against (the harness's own).
pub use tokio_postgres;
use tokio_postgres::{Client, Config};

use crate::testing::{Fixture, FixtureError, TestContext};
use crate::{PostgresServer, TestDatabase};

/// tokio-postgres's view of a [`TestDatabase`].
pub trait TestDatabaseExt {
    /// Connection settings for this database, for a service that connects (or pools) itself:
    /// `config.connect(NoTls)`, or `deadpool_postgres::Manager::new(config, NoTls)`.
    fn config(&self) -> Config;

    /// A new connection to this database, without TLS (the harness's servers listen on
    /// 127.0.0.1). Its I/O runs as a task of the current runtime; it closes when the client is
    /// dropped.
    fn connect(&self) -> impl Future<Output = Result<Client, tokio_postgres::Error>> + Send;
}

impl TestDatabaseExt for TestDatabase {
    fn config(&self) -> Config {
        self.server().config(self.name())
    }

    fn connect(&self) -> impl Future<Output = Result<Client, tokio_postgres::Error>> + Send {
        let config = self.config();
        async move { crate::pg::open(&config).await }
    }
}

/// tokio-postgres's view of a [`PostgresServer`].
pub trait PostgresServerExt {
    /// Settings for one database on this server: the parts of
    /// [`url_for`](PostgresServer::url_for), or an external server's URL with its query kept;
    /// a connection gives up after 10 seconds.
    fn config(&self, database: &str) -> Config;
}

impl PostgresServerExt for PostgresServer {
    fn config(&self, database: &str) -> Config {
        crate::pg::config(self, database)
    }
}

/// A connection to the test's own database, which the harness keeps and cleans up by the test's
/// outcome.
impl Fixture for Client {
    async fn setup(test: &TestContext) -> Result<Self, FixtureError> {
        let db = test.database().await?;
        let client = db.connect().await?;
        test.hold(db);
        Ok(client)
    }
}
