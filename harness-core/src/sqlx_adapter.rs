//! The sqlx adapters: one body for every sqlx version the harness serves, each behind its own
//! feature and in its own module (`harness::sqlx_0_8`, `harness::sqlx_0_9`), since sqlx's types
//! differ per version and a project uses exactly one.

/// The items of one sqlx adapter: `$sqlx` is that version's crate, `$slot` the field of
/// `TestDatabase` that keeps its pool, `$version` its version for the docs and keys.
macro_rules! sqlx_adapter {
    ($sqlx:ident, $slot:ident, $version:literal) => {
        use std::borrow::Cow;
        use std::time::Duration;

        #[doc = concat!("The sqlx ", $version, " this adapter is built against.")]
        pub use $sqlx as sqlx;
        use $sqlx::PgPool;
        use $sqlx::postgres::{PgConnectOptions, PgPoolOptions};

        use crate::migrate::{ApplyFuture, MigrateError, MigrationTarget, Migrations};
        use crate::testing::{Fixture, FixtureError, TestContext};
        use crate::workdir::stable_hash;
        use crate::{PostgresServer, TestDatabase};

        #[doc = concat!("sqlx ", $version, "'s view of a [`TestDatabase`].")]
        pub trait TestDatabaseExt {
            /// A pool of connections to this database (at most 5), made when first asked for;
            /// it connects on its first query.
            fn pool(&self) -> &PgPool;

            /// Connection settings for this database, for a service that builds its own pool
            /// (`PgPoolOptions::new().connect_with(db.connect_options())`).
            fn connect_options(&self) -> PgConnectOptions;
        }

        impl TestDatabaseExt for TestDatabase {
            fn pool(&self) -> &PgPool {
                self.$slot.get_or_init(|| {
                    // A stopped server fails the test in seconds, not at a long default (a
                    // healthy one hands out a connection in milliseconds even when all five are
                    // busy).
                    PgPoolOptions::new()
                        .max_connections(5)
                        .acquire_timeout(Duration::from_secs(3))
                        .connect_lazy_with(self.connect_options())
                })
            }

            fn connect_options(&self) -> PgConnectOptions {
                self.server().connect_options(self.name())
            }
        }

        #[doc = concat!("sqlx ", $version, "'s view of a [`PostgresServer`].")]
        pub trait PostgresServerExt {
            /// Settings for one database on this server: the parts of
            /// [`url_for`](PostgresServer::url_for), with nothing to parse or percent-decode.
            fn connect_options(&self, database: &str) -> PgConnectOptions;
        }

        impl PostgresServerExt for PostgresServer {
            fn connect_options(&self, database: &str) -> PgConnectOptions {
                if self.base_url.is_some()
                    && let Ok(options) = self.url_for(database).parse::<PgConnectOptions>()
                {
                    // The external URL's query (sslmode, options…) is kept.
                    return options;
                }
                PgConnectOptions::new()
                    .host(self.host())
                    .port(self.port())
                    .username(self.user())
                    .password(self.password())
                    .database(database)
            }
        }

        /// A pool on the test's own database, which the harness keeps and cleans up by the
        /// test's outcome.
        impl Fixture for PgPool {
            async fn setup(test: &TestContext) -> Result<Self, FixtureError> {
                let db = test.database().await?;
                let pool = db.pool().clone();
                test.hold(db);
                Ok(pool)
            }
        }

        /// `sqlx::migrate!()`'s migrations, applied by sqlx itself.
        impl Migrations for $sqlx::migrate::Migrator {
            fn key(&self) -> Result<Cow<'_, str>, MigrateError> {
                let mut parts: Vec<Vec<u8>> = Vec::new();
                for migration in self.iter() {
                    parts.push(migration.version.to_le_bytes().to_vec());
                    parts.push(migration.checksum.to_vec());
                }
                let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
                Ok(Cow::Owned(format!(
                    "sqlx-{}-migrator:{:016x}",
                    $version,
                    stable_hash(&parts)
                )))
            }

            fn apply<'a>(&'a self, database: &'a MigrationTarget) -> ApplyFuture<'a> {
                Box::pin(async move {
                    let options = database.server().connect_options(database.database());
                    // A pool of one, not a `&mut PgConnection`: with a connection, the future's
                    // `Acquire` bound is not general enough to be `Send`.
                    let pool = PgPoolOptions::new()
                        .max_connections(1)
                        .connect_with(options)
                        .await
                        .map_err(|e| MigrateError::Other(Box::new(e)))?;
                    let ran = self.run(&pool).await;
                    pool.close().await;
                    ran.map_err(|e| match &e {
                        $sqlx::migrate::MigrateError::ExecuteMigration(_, version) => {
                            let description = self
                                .iter()
                                .find(|m| m.version == *version)
                                .map(|m| m.description.to_string())
                                .unwrap_or_default();
                            // sqlx's message holds its cause's already: one line says it all.
                            MigrateError::apply(format!("{version} ({description})"), e.to_string())
                        }
                        _ => MigrateError::Other(Box::new(e)),
                    })
                })
            }
        }
    };
}

pub(crate) use sqlx_adapter;
