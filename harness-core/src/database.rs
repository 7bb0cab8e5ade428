//! A fresh, fully migrated database per test, cloned from a template built once per migration set.

use std::borrow::Cow;
use std::time::Duration;

use tokio_postgres::Client;

use crate::migrate::{MigrateError, MigrationTarget, Migrations};
use crate::pg::{self, PgError};
use crate::postgres::server_says;
use crate::postgres::{PostgresServer, ProvisionError};
use crate::teardown::{Teardown, TeardownSlot, TestEnd};
use crate::workdir::stable_hash;
use crate::{config, redact};

/// Why a test database could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatabaseError {
    /// No server.
    #[error(transparent)]
    Provision(#[from] ProvisionError),
    /// The server refused a connection.
    #[error("cannot connect to {url}{hint}{}", server_says(.server_log))]
    Connect {
        /// The URL, password redacted.
        url: String,
        /// What a refused connection most likely means, or nothing.
        hint: &'static str,
        /// The last line of the server's log telling of a crash or a full disk, where the
        /// harness runs the server itself.
        server_log: Option<String>,
        /// The cause.
        #[source]
        source: PgError,
    },
    /// A statement of the harness's own failed.
    #[error("`{statement}` failed on {server}{}", server_says(.server_log))]
    Statement {
        /// The statement.
        statement: String,
        /// The server.
        server: String,
        /// The last line of the server's log telling of a crash or a full disk, where the
        /// harness runs the server itself.
        server_log: Option<String>,
        /// The cause.
        #[source]
        source: PgError,
    },
    /// A SQL fixture failed while building the template.
    #[error("fixture {fixture} failed while building template {template}")]
    Fixture {
        /// The fixture's name (its file).
        fixture: String,
        /// The template being built.
        template: String,
        /// The SQL error.
        #[source]
        source: PgError,
    },
    /// A `#[harness::test]` names a migrations directory that does not exist.
    #[error(
        "no migrations directory at {} (hint: `#[harness::test]` reads `migrations/` of the \
         crate by default; name another with `migrations = \"dir\"`, or a static with \
         `migrator = path::TO::MIGRATOR`)", .dir.display()
    )]
    NoMigrations {
        /// The directory looked for.
        dir: std::path::PathBuf,
    },
    /// The migrations directory could not be read.
    #[error("cannot read the migrations in {}", .dir.display())]
    ReadMigrations {
        /// The directory.
        dir: std::path::PathBuf,
        /// The cause.
        #[source]
        source: MigrateError,
    },
    /// The migrations' key could not be made (a file it is made of cannot be read).
    #[error("cannot tell which template the migrations make")]
    MigrationsKey {
        /// The cause.
        #[source]
        source: MigrateError,
    },
    /// The migrations failed while building the template (which was not made).
    #[error("cannot apply the migrations to template {template}")]
    Migrate {
        /// The template being built.
        template: String,
        /// The cause.
        #[source]
        source: MigrateError,
    },
}

/// SQL run into a database's template after the migrations (`#[harness::test(fixtures("users"))]`
/// reads `fixtures/users.sql`): every test of the set gets the rows by the clone, for nothing.
#[derive(Debug, Clone)]
pub struct SqlFixture {
    name: Cow<'static, str>,
    sql: Cow<'static, str>,
}

impl SqlFixture {
    /// A fixture named `name` (what errors call it, say its file), of SQL statements.
    pub fn new(name: impl Into<String>, sql: impl Into<String>) -> SqlFixture {
        SqlFixture {
            name: Cow::Owned(name.into()),
            sql: Cow::Owned(sql.into()),
        }
    }

    /// A fixture compiled in (`include_str!`), as the attribute makes them.
    pub const fn from_static(name: &'static str, sql: &'static str) -> SqlFixture {
        SqlFixture {
            name: Cow::Borrowed(name),
            sql: Cow::Borrowed(sql),
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its SQL.
    pub fn sql(&self) -> &str {
        &self.sql
    }
}

/// A database of its own for one test: a clone of the migrated template, dropped when the test
/// ends. If the test fails it is kept (unless `HARNESS_KEEP_FAILED_DB=0`) and its URL printed:
/// under `#[harness::test]` when the test panics, returns an `Err` or times out; made by hand, when
/// it is dropped during a panic.
///
/// It hands out where it is ([`url`](Self::url), or its parts for a client's own settings); the
/// adapters hand out the project's own client types (with the `sqlx-0.8` feature,
/// `harness::sqlx_0_8::TestDatabaseExt::pool`).
pub struct TestDatabase {
    name: String,
    url: String,
    server: PostgresServer,
    closed: bool,
    /// The `#[harness::test]` whose outcome decides what becomes of it.
    slot: Option<TeardownSlot>,
    /// The adapters' pools, made when first asked for.
    #[cfg(feature = "sqlx-0.8")]
    pub(crate) sqlx_0_8: std::sync::OnceLock<::sqlx::PgPool>,
    #[cfg(feature = "sqlx-0.9")]
    pub(crate) sqlx_0_9: std::sync::OnceLock<::sqlx_0_9::PgPool>,
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDatabase")
            .field("name", &self.name)
            .field("url", &redact(&self.url))
            .finish()
    }
}

impl TestDatabase {
    /// A fresh database with `migrations` applied, on the run's shared server: a directory read
    /// with [`SqlMigrations::detect`](crate::migrate::SqlMigrations::detect), the project's own
    /// code ([`migrate::custom`](crate::migrate::custom)), or with the `sqlx-0.8` feature a sqlx
    /// `Migrator`.
    pub async fn new(
        migrations: &(impl Migrations + ?Sized),
    ) -> Result<TestDatabase, DatabaseError> {
        TestDatabase::with_fixtures(migrations, &[]).await
    }

    /// A fresh database with `migrations` and then `fixtures` applied (both in its template, so
    /// each further database of the same set costs a clone only).
    pub async fn with_fixtures(
        migrations: &(impl Migrations + ?Sized),
        fixtures: &[SqlFixture],
    ) -> Result<TestDatabase, DatabaseError> {
        let server = PostgresServer::shared().await?;
        let (test, slot) = made_here();
        TestDatabase::create(server, &migrations, fixtures, &test, slot).await
    }

    /// A fresh migrated database on a given server.
    pub async fn on(
        server: &PostgresServer,
        migrations: &(impl Migrations + ?Sized),
    ) -> Result<TestDatabase, DatabaseError> {
        let (test, slot) = made_here();
        TestDatabase::create(server, &migrations, &[], &test, slot).await
    }

    /// A fresh database with migrations and fixtures, on a given server.
    pub async fn on_with_fixtures(
        server: &PostgresServer,
        migrations: &(impl Migrations + ?Sized),
        fixtures: &[SqlFixture],
    ) -> Result<TestDatabase, DatabaseError> {
        let (test, slot) = made_here();
        TestDatabase::create(server, &migrations, fixtures, &test, slot).await
    }

    pub(crate) async fn create(
        server: &PostgresServer,
        migrations: &dyn Migrations,
        fixtures: &[SqlFixture],
        test: &str,
        slot: Option<TeardownSlot>,
    ) -> Result<TestDatabase, DatabaseError> {
        // A clone made in advance, if one is waiting: no connection, no CREATE DATABASE.
        let key = migrations
            .key()
            .map_err(|source| DatabaseError::MigrationsKey { source })?;
        let wanted = template_name(&key, fixtures);
        let taking = crate::timings::span(|| "database: take a ready clone".to_owned());
        let taken = crate::db_pool::take(server, &wanted);
        drop(taking);
        if let Some(name) = taken {
            crate::db_pool::refill(server, &wanted);
            return Ok(TestDatabase::made(server, name, slot));
        }
        // One admin connection serves the template check and the clone: each connection costs a
        // handshake and an authentication round.
        let _span = crate::timings::span(|| "database: template check and clone".to_owned());
        let admin = connect(server, "postgres").await?;
        let (template, file_copy) =
            template_for(&admin, server, migrations, fixtures, wanted).await?;
        let name = database_name(test);
        // FILE_COPY (Postgres 15+) copies files instead of WAL-logging every block: faster when
        // durability is off, as on the harness's own servers.
        let strategy = if file_copy { " STRATEGY FILE_COPY" } else { "" };
        let create = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"{strategy}");
        run(&admin, server, &create).await?;
        drop(admin);
        // The next test of the run finds one ready.
        crate::db_pool::refill(server, &template);
        Ok(TestDatabase::made(server, name, slot))
    }

    fn made(server: &PostgresServer, name: String, slot: Option<TeardownSlot>) -> TestDatabase {
        TestDatabase {
            url: server.url_for(&name),
            name,
            server: server.clone(),
            closed: false,
            slot,
            #[cfg(feature = "sqlx-0.8")]
            sqlx_0_8: std::sync::OnceLock::new(),
            #[cfg(feature = "sqlx-0.9")]
            sqlx_0_9: std::sync::OnceLock::new(),
        }
    }

    /// The database's URL, with credentials, for a service under test.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The server's host: `127.0.0.1`, or the external server's own host.
    pub fn host(&self) -> &str {
        self.server.host()
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// The user to connect as.
    pub fn user(&self) -> &str {
        self.server.user()
    }

    /// Its password, as it is (not percent-encoded).
    pub fn password(&self) -> &str {
        self.server.password()
    }

    /// The server it lives on.
    pub fn server(&self) -> &PostgresServer {
        &self.server
    }

    /// Drop the database now, waiting for it.
    pub async fn close(mut self) -> Result<(), DatabaseError> {
        self.closed = true;
        self.close_clients().await;
        let dropped = drop_database(&self.server, &self.name).await;
        if self.slot.is_none() {
            // Off the attribute, as in `Drop`.
            crate::timings::report(&current_test_name());
        }
        dropped
    }

    /// Close the pools the adapters made, so that the drop does not have to end their sessions.
    async fn close_clients(&self) {
        #[cfg(feature = "sqlx-0.8")]
        if let Some(pool) = self.sqlx_0_8.get() {
            pool.close().await;
        }
        #[cfg(feature = "sqlx-0.9")]
        if let Some(pool) = self.sqlx_0_9.get() {
            pool.close().await;
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        if let Some(slot) = self.slot.take()
            && slot.defer(|| Ending {
                server: self.server.clone(),
                name: self.name.clone(),
                url: self.url.clone(),
            })
        {
            return;
        }
        // Made by hand (or outliving its test), a database knows of a failure only by a panic.
        let failed = std::thread::panicking();
        // Drop cannot await, and blocking this runtime's thread on work that needs it would hang a
        // current-thread runtime: the drop runs on a thread of its own with its own runtime.
        let (server, name, url) = (self.server.clone(), self.name.clone(), self.url.clone());
        let test = current_test_name();
        let ended = std::thread::spawn(move || match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(end(&server, &name, &url, failed, &test, None)),
            Err(e) => eprintln!("harness: cannot drop test database {name}: {e}"),
        })
        .join();
        if ended.is_err() {
            eprintln!("harness: dropping test database {} panicked", self.name);
        }
        // Off the attribute no runner prints the timeline at the test's end: its database's end
        // is the last the harness sees of the test.
        crate::timings::report(&current_test_name());
    }
}

/// What a failed test's kept database leaves to look at: its dump (or why there is none), and
/// a file holding its URL, to connect by while the run lasts.
struct PostMortem {
    dump: Result<std::path::PathBuf, String>,
    url_file: Option<std::path::PathBuf>,
}

/// Dump the database into `dir`, and write its URL, password included, into a file only this
/// user can read, in the server's own directory: it goes with the server, so no password
/// outlives the run or lands in a CI's uploaded artifacts. The external backend's server is the
/// user's, its credentials theirs: no file.
async fn keep_for_post_mortem(
    server: &PostgresServer,
    name: &str,
    url: &str,
    dir: &std::path::Path,
) -> PostMortem {
    let path = dir.join(format!("database-{name}.sql"));
    let dump = match std::fs::create_dir_all(dir) {
        Ok(()) => dump(server, name, &path).await.map(|()| path.clone()),
        Err(e) => Err(format!("cannot create {}: {e}", dir.display())),
    };
    if let Err(why) = &dump {
        let _ = std::fs::write(&path, format!("-- no dump of {name}: {why}\n"));
    }
    let url_file = server
        .pool_dir
        .as_deref()
        .and_then(std::path::Path::parent)
        .map(|server_dir| server_dir.join("kept").join(format!("{name}.url")))
        .filter(|file| crate::workdir::write_private(file, url).is_ok());
    PostMortem { dump, url_file }
}

fn report_kept(server: &PostgresServer, name: &str, url: &str, test: &str, kept: &PostMortem) {
    let dump = match &kept.dump {
        Ok(path) => format!("its dump: {}", path.display()),
        Err(why) => format!("no dump: {why}"),
    };
    let connect = match &kept.url_file {
        Some(file) => format!(
            "connect while it is kept: psql \"$(cat {})\"",
            file.display()
        ),
        None => format!(
            "connect with {}'s credentials, database {name}",
            config::POSTGRES_URL
        ),
    };
    eprintln!(
        "harness: test failed; kept database {name} (of {test}) on {} ({}) {}; URL {}{}\n\
         harness:   {dump}\n\
         harness:   {connect}",
        server.description(),
        server.backend(),
        match crate::workdir::Run::current().linger {
            Some(linger) =>
                format!("for {linger:?} after the run ends (`harness down` ends it sooner)"),
            None => format!("until the run ends ({}=10m keeps it after)", config::KEEP),
        },
        redact(url),
        // A test whose connection was reset learns here that the server crashed, and why.
        server_says(&server.last_complaint())
    );
}

/// A clone from the ready pool (`t_ready_…`, named before any test took it) renamed after the
/// failed test it is kept for, so that whoever looks finds it by the test's own words; `None`
/// when it keeps its name (not a pool's, or the rename did not go through). The test is over:
/// connections still open to it (its pool's, dropped a moment ago) are ended first.
async fn named_after(server: &PostgresServer, name: &str, test: &str) -> Option<String> {
    if !name.starts_with(crate::db_pool::PREFIX) {
        return None;
    }
    let new = database_name(test);
    let admin = connect(server, "postgres").await.ok()?;
    const OTHERS: &str = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                          WHERE datname = $1 AND pid <> pg_backend_pid()";
    let rename = format!("ALTER DATABASE \"{name}\" RENAME TO \"{new}\"");
    for _ in 0..5 {
        let _ = admin.execute(OTHERS, &[&name]).await;
        if admin.batch_execute(&rename).await.is_ok() {
            return Some(new);
        }
        // A connection came back between the two: once more.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

/// The end of a test's database: kept when the test failed (and `HARNESS_KEEP_FAILED_DB`
/// allows), dumped into the test's artifacts directory (`artifacts`, else the test's own), else
/// dropped.
async fn end(
    server: &PostgresServer,
    name: &str,
    url: &str,
    failed: bool,
    test: &str,
    artifacts: Option<&std::path::Path>,
) {
    if failed && config::keep_failed_db() {
        let dir = artifacts.map_or_else(
            || crate::artifacts::test_dir(test),
            std::path::Path::to_path_buf,
        );
        let renamed = named_after(server, name, test).await;
        let (name, url) = match &renamed {
            Some(new) => (new.as_str(), server.url_for(new)),
            None => (name, url.to_owned()),
        };
        let kept = keep_for_post_mortem(server, name, &url, &dir).await;
        report_kept(server, name, &url, test, &kept);
        return;
    }
    if crate::db_pool::discard(server, name) {
        return;
    }
    if let Err(e) = drop_database(server, name).await {
        eprintln!(
            "harness: cannot drop test database {name}: {}",
            crate::error_chain(&e)
        );
    }
}

/// A `#[harness::test]`'s database, handed over when dropped, to end by the test's outcome.
struct Ending {
    server: PostgresServer,
    name: String,
    url: String,
}

impl Teardown for Ending {
    async fn teardown(self, end: &TestEnd<'_>) {
        // Dumped beside the test's other artifacts (a browser's report links it): the database
        // goes with the server when the run ends, and a CI run's with it.
        self::end(
            &self.server,
            &self.name,
            &self.url,
            end.failed(),
            end.test(),
            end.artifacts_dir(),
        )
        .await
    }
}

/// Write a failed test's database to `path` with `pg_dump` (plain SQL), for its report. Uses the
/// local Postgres binaries' `pg_dump` whatever the backend; `Err` says why there is no dump.
async fn dump(server: &PostgresServer, name: &str, path: &std::path::Path) -> Result<(), String> {
    // Beside the Postgres binaries the harness would run (following links, as Debian's are),
    // else whatever `pg_dump` is on PATH.
    let program = crate::postgres::local::find_binaries()
        .ok()
        .and_then(|binaries| {
            let beside = binaries.tool("pg_dump");
            if beside.is_file() {
                return Some(beside);
            }
            let real = std::fs::canonicalize(binaries.tool("postgres")).ok()?;
            Some(real.parent()?.join(beside.file_name()?)).filter(|p| p.is_file())
        })
        .unwrap_or_else(|| std::path::PathBuf::from("pg_dump"));
    let output = tokio::process::Command::new(&program)
        .args(["--no-owner", "--no-privileges", "--host", server.host()])
        .arg(format!("--port={}", server.port()))
        .args(["--username", server.user(), "--dbname", name, "--file"])
        .arg(path)
        .env("PGPASSWORD", server.password())
        .env("PGCONNECT_TIMEOUT", "10")
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} failed ({}): {}",
            program.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

async fn connect(server: &PostgresServer, database: &str) -> Result<Client, DatabaseError> {
    pg::connect(server, database)
        .await
        .map_err(|source| connect_error(server, &server.url_for(database), source))
}

fn connect_error(server: &PostgresServer, url: &str, source: PgError) -> DatabaseError {
    DatabaseError::Connect {
        url: redact(url),
        hint: if source.is_connection_refused() {
            " (nothing listens there any more: the run's server was stopped, or the Docker \
             engine running it was)"
        } else {
            ""
        },
        server_log: server.last_complaint(),
        source,
    }
}

async fn run(
    client: &Client,
    server: &PostgresServer,
    statement: &str,
) -> Result<(), DatabaseError> {
    client
        .batch_execute(statement)
        .await
        .map_err(|source| statement_error(server, statement, source.into()))
}

fn statement_error(server: &PostgresServer, statement: &str, source: PgError) -> DatabaseError {
    DatabaseError::Statement {
        statement: statement.to_owned(),
        server: server.description().to_owned(),
        server_log: server.last_complaint(),
        source,
    }
}

async fn drop_database(server: &PostgresServer, name: &str) -> Result<(), DatabaseError> {
    let admin = connect(server, "postgres").await?;
    // DROP … WITH (FORCE) signals the test's remaining connections, then re-checks only every
    // 100 ms whether they are gone; signalling them here and polling briefly is much faster.
    let _ = admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
            &[&name],
        )
        .await;
    for _ in 0..200 {
        let left: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                &[&name],
            )
            .await
            .map_or(0, |row| row.get(0));
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    run(
        &admin,
        server,
        &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
    )
    .await
}

/// `harness up`'s database `name`: a clone of the migrations' template that no test owns, kept
/// with its data while its template stays the same. Changed migrations (a new template) make it
/// again from the new one. Its URL, and whether it was made now.
pub(crate) async fn dev_database(
    server: &PostgresServer,
    migrations: &dyn Migrations,
    fixtures: &[SqlFixture],
    name: &str,
) -> Result<(String, bool), DatabaseError> {
    let key = migrations
        .key()
        .map_err(|source| DatabaseError::MigrationsKey { source })?;
    let admin = connect(server, "postgres").await?;
    let (template, file_copy) = template_for(
        &admin,
        server,
        migrations,
        fixtures,
        template_name(&key, fixtures),
    )
    .await?;
    // The database's comment names the template it was cloned from.
    const MADE_FROM: &str = "SELECT shobj_description(oid, 'pg_database') FROM pg_database \
                             WHERE datname = $1";
    let made_from: Option<Option<String>> = admin
        .query_opt(MADE_FROM, &[&name])
        .await
        .map_err(|source| statement_error(server, MADE_FROM, source.into()))?
        .map(|row| row.get(0));
    let mark = format!("harness up: from {template}");
    if made_from.as_ref() == Some(&Some(mark.clone())) {
        return Ok((server.url_for(name), false));
    }
    if made_from.is_some() {
        run(
            &admin,
            server,
            &format!("DROP DATABASE \"{name}\" WITH (FORCE)"),
        )
        .await?;
    }
    let strategy = if file_copy { " STRATEGY FILE_COPY" } else { "" };
    run(
        &admin,
        server,
        &format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"{strategy}"),
    )
    .await?;
    run(
        &admin,
        server,
        &format!("COMMENT ON DATABASE \"{name}\" IS '{mark}'"),
    )
    .await?;
    Ok((server.url_for(name), true))
}

/// The template's name: a hash of the migrations' key, then of each fixture's name and SQL in
/// order, so that a changed set gets a new template and an unchanged one reuses it.
pub(crate) fn template_name(key: &str, fixtures: &[SqlFixture]) -> String {
    let mut parts: Vec<&[u8]> = vec![key.as_bytes()];
    for fixture in fixtures {
        parts.extend([
            b"fixture".as_slice(),
            fixture.name.as_bytes(),
            fixture.sql.as_bytes(),
        ]);
    }
    format!("harness_tpl_{:016x}", stable_hash(&parts))
}

/// The template's name and whether the server clones with FILE_COPY. The template is built once
/// per server, under an advisory lock so that parallel test processes wait for one builder
/// instead of racing; a built template costs one round trip to find.
async fn template_for(
    admin: &Client,
    server: &PostgresServer,
    migrations: &dyn Migrations,
    fixtures: &[SqlFixture],
    template: String,
) -> Result<(String, bool), DatabaseError> {
    let statement =
        |s: &str, source: tokio_postgres::Error| statement_error(server, s, source.into());
    const PROBE: &str = "SELECT current_setting('server_version_num')::int >= 150000, \
                         (SELECT datistemplate FROM pg_database WHERE datname = $1)";
    let row = admin
        .query_one(PROBE, &[&template])
        .await
        .map_err(|e| statement(PROBE, e))?;
    let (file_copy, built): (bool, Option<bool>) = (row.get(0), row.get(1));
    if built == Some(true) {
        return Ok((template, file_copy));
    }
    let lock_id = stable_hash(&[b"harness template", template.as_bytes()]) as i64;
    admin
        .execute("SELECT pg_advisory_lock($1)", &[&lock_id])
        .await
        .map_err(|e| statement("SELECT pg_advisory_lock", e))?;
    let result = build_template(admin, server, migrations, fixtures, &template).await;
    let _ = admin
        .execute("SELECT pg_advisory_unlock($1)", &[&lock_id])
        .await;
    result.map(|()| (template, file_copy))
}

async fn build_template(
    admin: &Client,
    server: &PostgresServer,
    migrations: &dyn Migrations,
    fixtures: &[SqlFixture],
    template: &str,
) -> Result<(), DatabaseError> {
    const COMPLETE: &str = "SELECT datistemplate FROM pg_database WHERE datname = $1";
    let complete: Option<bool> = admin
        .query_opt(COMPLETE, &[&template])
        .await
        .map_err(|source| statement_error(server, COMPLETE, source.into()))?
        .map(|row| row.get(0));
    match complete {
        Some(true) => return Ok(()),
        // Half-built by a process that died: start over.
        Some(false) => {
            run(
                admin,
                server,
                &format!("DROP DATABASE \"{template}\" WITH (FORCE)"),
            )
            .await?
        }
        None => {}
    }
    run(admin, server, &format!("CREATE DATABASE \"{template}\"")).await?;
    let built = migrate_and_fill(server, migrations, fixtures, template).await;
    if built.is_err() {
        let _ = run(
            admin,
            server,
            &format!("DROP DATABASE IF EXISTS \"{template}\" WITH (FORCE)"),
        )
        .await;
        return built;
    }
    // Nobody may connect to a template: a connection would make every clone fail.
    let seal =
        format!("ALTER DATABASE \"{template}\" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false");
    run(admin, server, &seal).await
}

/// The migrations, then the SQL fixtures, into the template being built.
async fn migrate_and_fill(
    server: &PostgresServer,
    migrations: &dyn Migrations,
    fixtures: &[SqlFixture],
    template: &str,
) -> Result<(), DatabaseError> {
    let client = connect(server, template).await?;
    let target = MigrationTarget::new(server, template, client);
    migrations
        .apply(&target)
        .await
        .map_err(|source| DatabaseError::Migrate {
            template: template.to_owned(),
            source,
        })?;
    for fixture in fixtures {
        if let Err(source) = target.client().batch_execute(&fixture.sql).await {
            return Err(DatabaseError::Fixture {
                fixture: fixture.name.to_string(),
                template: template.to_owned(),
                source: source.into(),
            });
        }
    }
    Ok(())
}

/// The running test's name: libtest names each test's thread after it.
pub fn current_test_name() -> String {
    match std::thread::current().name() {
        Some(name) if name != "main" && !name.starts_with("tokio-runtime") => name.to_owned(),
        _ => std::env::var("NEXTEST_TEST_NAME").unwrap_or_else(|_| "test".to_owned()),
    }
}

/// The test a database made by hand is for, and its teardown slot when an attribute's test runs
/// it (a helper's database follows the test's outcome, as a parameter's does).
fn made_here() -> (String, Option<TeardownSlot>) {
    let slot = crate::teardown::current_slot();
    let test = slot
        .as_ref()
        .map_or_else(current_test_name, |slot| slot.test().to_owned());
    (test, slot)
}

/// `t_<the test's last whole path segments>_<hash><random>`, at most 63 bytes (Postgres' limit),
/// lower case. The end of a test's path (its function name) says most, so segments are dropped
/// from the front, whole, and a function name too long by itself keeps its first words; the hash
/// of the full path tells apart tests whose ends are alike.
pub(crate) fn database_name(test: &str) -> String {
    let segments: Vec<String> = test
        .split("::")
        .map(|segment| {
            segment
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
                .trim_matches('_')
                .to_owned()
        })
        .filter(|segment| !segment.is_empty())
        .collect();
    let hash = stable_hash(&[test.as_bytes()]) as u32 & 0xff_ffff;
    let random = &uuid::Uuid::new_v4().simple().to_string()[..6];
    let suffix = format!("{hash:06x}{random}");
    // "t_" + tail + "_" + suffix
    const BUDGET: usize = 63 - 2 - 1 - 12;
    let mut tail = String::new();
    for segment in segments.iter().rev() {
        let joined = if tail.is_empty() {
            segment.clone()
        } else {
            format!("{segment}__{tail}")
        };
        if joined.len() > BUDGET {
            if tail.is_empty() {
                // One segment longer than the budget (a long function name): its beginning, the
                // words a person reads first, whole.
                let cut = &segment[..BUDGET];
                tail = cut[..cut.rfind('_').unwrap_or(BUDGET)].to_owned();
            }
            break;
        }
        tail = joined;
    }
    if tail.is_empty() {
        tail.push_str("test");
    }
    format!("t_{tail}_{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_fit_postgres_and_keep_the_test_name() {
        let name = database_name(
            "api::traces::posting_a_valid_trace_returns_201_and_its_id_which_is_long",
        );
        assert!(name.len() <= 63, "{name}");
        assert!(
            name.starts_with("t_posting_a_valid_trace_returns_201_and_its_id_"),
            "{name}"
        );
        assert!(!name.contains("_whi_"), "words are kept whole: {name}");
        // Segments go whole from the front: never a cut word such as `wser` for `browser`.
        let name =
            database_name("suite::tests::e2e::browser::a_wrong_password_is_refused_and_says_so");
        assert!(
            name.starts_with("t_browser__a_wrong_password_is_refused_and_says_so_"),
            "{name}"
        );
        // A function name longer than the budget keeps its first words.
        let long = database_name(
            "subscriptions::subscribe_returns_a_400_when_fields_are_present_but_invalid_or_empty",
        );
        assert!(
            long.starts_with("t_subscribe_returns_a_400_when_fields_are_present_"),
            "{long}"
        );
        assert!(long.len() <= 63, "{long}");
        let short = database_name("e2e::browser::page_loads");
        assert!(short.starts_with("t_e2e__browser__page_loads_"), "{short}");
        // The same test gets the same hash, another test another.
        let hash = |name: &str| name[name.len() - 12..name.len() - 6].to_owned();
        assert_eq!(hash(&database_name("a::b")), hash(&database_name("a::b")));
        assert_ne!(hash(&database_name("a::b")), hash(&database_name("a::c")));
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        );
        assert_ne!(database_name("a"), database_name("a"));
    }

    #[test]
    fn the_template_is_keyed_by_the_migrations_and_the_fixtures_in_order() {
        let users = SqlFixture::from_static("users.sql", "INSERT INTO users VALUES (1);");
        let orders = SqlFixture::new("orders.sql", "INSERT INTO orders VALUES (1);");
        let name = |fixtures: &[SqlFixture]| template_name("sqlx:0", fixtures);
        let both = name(&[users.clone(), orders.clone()]);
        assert_eq!(both, name(&[users.clone(), orders.clone()]));
        assert_ne!(both, name(&[orders.clone(), users.clone()]), "order counts");
        assert_ne!(name(&[]), name(std::slice::from_ref(&users)));
        let changed = SqlFixture::new("users.sql", "INSERT INTO users VALUES (2);");
        assert_ne!(name(&[users]), name(&[changed]), "the SQL counts");
        assert_ne!(
            name(&[]),
            template_name("sqlx:1", &[]),
            "the migrations count"
        );
        assert!(
            both.starts_with("harness_tpl_") && both.len() <= 63,
            "{both}"
        );
    }

    #[test]
    fn the_test_name_comes_from_the_thread_libtest_names() {
        let named = |name: &str| {
            std::thread::Builder::new()
                .name(name.into())
                .spawn(current_test_name)
                .unwrap()
                .join()
                .unwrap()
        };
        assert_eq!(named("api::posts_a_trace"), "api::posts_a_trace");
        // A runtime's worker or the main thread names no test: the fallback does.
        let fallback = std::env::var("NEXTEST_TEST_NAME").unwrap_or_else(|_| "test".to_owned());
        assert_eq!(named("tokio-runtime-worker"), fallback);
        assert_eq!(named("main"), fallback);
    }
}
