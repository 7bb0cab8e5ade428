//! Development services, declared once beside the tests that use the same ones: `harness up`
//! starts them, with the project's migrations, and prints their addresses for `cargo build`
//! (sqlx's `query!`), `cargo sqlx prepare` and the app's `cargo run`.
//!
//! ```ignore
//! pub fn redis() -> harness::ServiceBuilder<harness::BinaryService> {
//!     harness::Service::binary("redis-server") // the tests call `redis().shared()` too
//!         .listen_arg_as("--port", harness::AddressFormat::Port)
//!         .args(["--bind", "127.0.0.1", "--save", ""])
//! }
//!
//! #[harness::dev_services]
//! fn my_app() -> harness::dev::DevServices {
//!     harness::dev::DevServices::new()
//!         .database("DATABASE_URL", "my_app", &my_app::MIGRATOR)
//!         .service("REDIS_URL", redis(), |redis| redis.url("redis"))
//! }
//! ```
//!
//! `#[harness::dev_services]` adds a hidden `#[ignore]`d test that `harness up` runs (as `cargo
//! test --workspace --tests -- --ignored`) with `HARNESS_LINGER` set: what it starts is a warm
//! run's, so the tests of a run with `HARNESS_LINGER` use the very same servers, and it stays
//! until `harness down` or until it has been idle that long.

use std::future::Future;
use std::pin::Pin;

use crate::backing_service::{Service, ServiceBuilder, ServiceKind};
use crate::database::{SqlFixture, dev_database};
use crate::migrate::Migrations;
use crate::postgres::PostgresServer;

type Started = Result<String, Box<dyn std::error::Error + Send + Sync>>;
type Start = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = Started> + Send>> + Send>;

/// What `harness up` starts, each with the environment variable it prints.
#[must_use]
#[derive(Default)]
pub struct DevServices {
    items: Vec<(String, Start)>,
}

impl std::fmt::Debug for DevServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.items.iter().map(|(var, _)| var))
            .finish()
    }
}

/// One of them could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {variable}'s service")]
pub struct UpError {
    /// The variable it would have set.
    pub variable: String,
    /// Why.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl DevServices {
    /// Nothing yet.
    pub fn new() -> DevServices {
        DevServices::default()
    }

    /// A database `name` with `migrations` applied (any [`Migrations`]: a directory, sqlx's
    /// `Migrator` with its adapter, the project's own code), on the run's Postgres server; `var`
    /// (say `DATABASE_URL`) is its URL. Its data stays while the migrations do: changed
    /// migrations make it again, empty but for them.
    pub fn database(
        self,
        var: impl Into<String>,
        name: impl Into<String>,
        migrations: impl Migrations + 'static,
    ) -> DevServices {
        self.database_with_fixtures(var, name, migrations, Vec::new())
    }

    /// [`database`](Self::database), with SQL fixtures applied after the migrations (seed data).
    pub fn database_with_fixtures(
        mut self,
        var: impl Into<String>,
        name: impl Into<String>,
        migrations: impl Migrations + 'static,
        fixtures: Vec<SqlFixture>,
    ) -> DevServices {
        let name = name.into();
        self.items.push((
            var.into(),
            Box::new(move || {
                Box::pin(async move {
                    let server = PostgresServer::shared().await?;
                    let (url, _) = dev_database(server, &migrations, &fixtures, &name).await?;
                    Ok(url)
                })
            }),
        ));
        self
    }

    /// Another service, as the tests declare it: started as their [`shared`](ServiceBuilder::shared)
    /// instance, `var` set to what `value` says of it (`|redis| redis.url("redis")`).
    pub fn service<Kind: ServiceKind + Send + 'static>(
        mut self,
        var: impl Into<String>,
        service: ServiceBuilder<Kind>,
        value: impl FnOnce(&Service) -> String + Send + 'static,
    ) -> DevServices {
        self.items.push((
            var.into(),
            Box::new(move || {
                Box::pin(async move {
                    let started = service.shared().await?;
                    Ok(value(&started))
                })
            }),
        ));
        self
    }

    /// Start every one of them, in order: each variable and its value.
    pub async fn up(self) -> Result<Vec<(String, String)>, UpError> {
        let mut values = Vec::new();
        for (variable, start) in self.items {
            match start().await {
                Ok(value) => values.push((variable, value)),
                Err(source) => return Err(UpError { variable, source }),
            }
        }
        Ok(values)
    }
}

/// The variable through which `harness up` tells its entries the directory to write into.
pub const OUTPUT_ENV: &str = "HARNESS_UP_OUTPUT";

/// The hidden test `#[harness::dev_services]` adds, `name` its path: with [`OUTPUT_ENV`] set (by
/// `harness up`), start the services and write `VAR=value` lines into `<name>.env` there (so that
/// `up` sees how many declarations ran); without it, nothing.
#[doc(hidden)]
pub fn entry(name: &str, declared: fn() -> DevServices) {
    let Some(dir) = std::env::var_os(OUTPUT_ENV) else {
        return;
    };
    // libtest names a test by its path without the crate's name.
    let test = name.split_once("::").map_or(name, |(_, path)| path);
    let output = std::path::Path::new(&dir).join(format!("{}.env", test.replace("::", ".")));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    match runtime.block_on(declared().up()) {
        Ok(values) => {
            let text: String = values
                .iter()
                .map(|(var, value)| format!("{var}={value}\n"))
                .collect();
            // Passwords: readable by this user only.
            crate::workdir::write_private(&output, &text).expect("harness up's output file");
        }
        Err(e) => {
            let _ = crate::workdir::write_private(
                &output.with_extension("error"),
                &crate::error_chain(&e),
            );
            panic!("harness up: {}", crate::error_chain(&e));
        }
    }
}
