//! Migrations as an open interface: whatever builds a project's schema builds its tests'
//! template.
//!
//! A [`Migrations`] is a key and an apply step. The key names the schema it makes (the same key,
//! the same template: a changed set must change it); the step runs once per key and server, into
//! an empty database that becomes the template every test's database is cloned from.
//!
//! Built in, read from a directory (`#[harness::test]` reads the crate's `migrations/` by
//! default, and [`SqlMigrations::detect`] tells the layout by its files):
//! - sqlx's (`<version>_<description>.sql`, or `.up.sql`/`.down.sql`), bookkept in
//!   `_sqlx_migrations` as sqlx bookkeeps them: the app's own `sqlx::migrate!().run(..)` finds
//!   them applied. With no sqlx in the harness's tree, whatever sqlx version the project is on.
//! - Diesel's (`<version>_<name>/up.sql`), bookkept in `__diesel_schema_migrations` as Diesel
//!   does: `run_pending_migrations` finds nothing to do.
//! - refinery's (`V<version>__<name>.sql`), bookkept in `refinery_schema_history` with
//!   refinery's checksums.
//! - plain `.sql` files, applied in the order of their names, with no bookkeeping.
//!
//! Anything else is the project's own code, under a key it gives: [`custom`] (SeaORM's
//! `Migrator::up`, migrations embedded in Rust, a hand-written setup), or
//! [`custom_keyed_by_files`] to key it by the files it is made of.

use std::borrow::Cow;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use sha2::{Digest, Sha384};

use crate::pg::PgError;
use crate::postgres::PostgresServer;
use crate::workdir::stable_hash;

/// What a [`Migrations::apply`] returns.
pub type ApplyFuture<'a> = Pin<Box<dyn Future<Output = Result<(), MigrateError>> + Send + 'a>>;

/// A project's migrations: what builds the schema of its tests' databases.
///
/// Implemented by the built-in [`SqlMigrations`], by [`Custom`] (the project's own code), by
/// [`NoMigrations`], and with the `sqlx-0.8` feature by sqlx's `Migrator`.
pub trait Migrations: Send + Sync {
    /// Names the schema these migrations make: a template is built once per key (and SQL
    /// fixtures) and server, so any change to the migrations must change it. An error (a file
    /// the key is made of cannot be read) fails the test's database.
    fn key(&self) -> Result<Cow<'_, str>, MigrateError>;

    /// Apply them to `database`, an empty database that becomes the template.
    fn apply<'a>(&'a self, database: &'a MigrationTarget) -> ApplyFuture<'a>;
}

impl<T: Migrations + ?Sized> Migrations for &T {
    fn key(&self) -> Result<Cow<'_, str>, MigrateError> {
        (**self).key()
    }

    fn apply<'a>(&'a self, database: &'a MigrationTarget) -> ApplyFuture<'a> {
        (**self).apply(database)
    }
}

impl<T: Migrations> Migrations for std::sync::LazyLock<T> {
    fn key(&self) -> Result<Cow<'_, str>, MigrateError> {
        (**self).key()
    }

    fn apply<'a>(&'a self, database: &'a MigrationTarget) -> ApplyFuture<'a> {
        (**self).apply(database)
    }
}

/// Why migrations could not be read or applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// A directory or file could not be read.
    #[error("cannot read {}", .path.display())]
    Read {
        /// What was read.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file or folder is not a migration of the layout read.
    #[error("{}: {why}", .path.display())]
    Invalid {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// One migration failed; the template was not made.
    #[error("migration {migration} failed")]
    Apply {
        /// Which: its version and description, or its file.
        migration: String,
        /// The cause (the server's error, for SQL).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The project's own migration code failed.
    #[error("the migrations failed")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl MigrateError {
    /// Migration `migration` failed because of `source`.
    pub fn apply(
        migration: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> MigrateError {
        MigrateError::Apply {
            migration: migration.into(),
            source: source.into(),
        }
    }
}

/// The database being migrated into a template: where it is, for a migration tool that connects
/// by itself, and a connection of the harness's for SQL.
#[derive(Clone)]
pub struct MigrationTarget {
    server: PostgresServer,
    database: String,
    client: Arc<tokio_postgres::Client>,
}

impl std::fmt::Debug for MigrationTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MigrationTarget")
            .field("database", &self.database)
            .field("url", &crate::redact(&self.url()))
            .finish()
    }
}

impl MigrationTarget {
    pub(crate) fn new(
        server: &PostgresServer,
        database: &str,
        client: tokio_postgres::Client,
    ) -> MigrationTarget {
        MigrationTarget {
            server: server.clone(),
            database: database.to_owned(),
            client: Arc::new(client),
        }
    }

    /// The database's URL, with credentials.
    pub fn url(&self) -> String {
        self.server.url_for(&self.database)
    }

    /// The database's name.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// The server it is on.
    pub fn server(&self) -> &PostgresServer {
        &self.server
    }

    /// Run `sql`, one or more statements, in the database (as one implicit transaction, unless
    /// the SQL says `BEGIN`/`COMMIT` itself).
    pub async fn execute(&self, sql: &str) -> Result<(), PgError> {
        Ok(self.client.batch_execute(sql).await?)
    }

    pub(crate) fn client(&self) -> &tokio_postgres::Client {
        &self.client
    }
}

/// No migrations: an empty database (`#[harness::test(migrations = false)]`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMigrations;

impl Migrations for NoMigrations {
    fn key(&self) -> Result<Cow<'_, str>, MigrateError> {
        Ok(Cow::Borrowed("none"))
    }

    fn apply<'a>(&'a self, _database: &'a MigrationTarget) -> ApplyFuture<'a> {
        Box::pin(async { Ok(()) })
    }
}

/// The project's own migration code, under a key (see [`custom`] and [`custom_keyed_by_files`]).
/// Its type names no closure, so it can be a static's: `static MIGRATIONS: LazyLock<Custom>`.
pub struct Custom {
    key: CustomKey,
    apply: Box<dyn Fn(MigrationTarget) -> ApplyFuture<'static> + Send + Sync>,
}

enum CustomKey {
    Given(String),
    /// Hashed when asked, so that a static needs no fallible start.
    Files(PathBuf),
}

impl std::fmt::Debug for Custom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let key = match &self.key {
            CustomKey::Given(key) => key.clone(),
            CustomKey::Files(path) => format!("the files under {}", path.display()),
        };
        f.debug_struct("Custom").field("key", &key).finish()
    }
}

/// Migrations run by the project's own code, for any tool the harness has no layout for: `apply`
/// gets the template's database (connect to [`MigrationTarget::url`] with the project's client
/// library, or run SQL with [`MigrationTarget::execute`]). `key` must change whenever the
/// schema does: a version string kept beside the migrations, or (with
/// [`custom_keyed_by_files`]) their files.
///
/// ```no_run
/// # extern crate harness_core as harness; // the examples are written as users see them
/// # async fn seaorm_up(url: String) -> Result<(), std::io::Error> { Ok(()) }
/// static MIGRATIONS: std::sync::LazyLock<harness::migrate::Custom> = std::sync::LazyLock::new(|| {
///     harness::migrate::custom("schema-v7", |db| seaorm_up(db.url()))
/// });
/// ```
pub fn custom<F, Fut, E>(key: impl Into<String>, apply: F) -> Custom
where
    F: Fn(MigrationTarget) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    Custom::new(CustomKey::Given(key.into()), apply)
}

/// Like [`custom`], keyed by the files under `path` (a file or a directory, read recursively,
/// relative to the test's working directory: its crate's, under cargo and nextest): their paths
/// below it and their contents, so that editing, adding or renaming one gives a new template.
/// Name the migrations' sources, say SeaORM's `migration/src`.
pub fn custom_keyed_by_files<F, Fut, E>(path: impl Into<PathBuf>, apply: F) -> Custom
where
    F: Fn(MigrationTarget) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    Custom::new(CustomKey::Files(path.into()), apply)
}

impl Custom {
    fn new<F, Fut, E>(key: CustomKey, apply: F) -> Custom
    where
        F: Fn(MigrationTarget) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        Custom {
            key,
            apply: Box::new(move |database| {
                let applied = apply(database);
                Box::pin(async move { applied.await.map_err(|e| MigrateError::Other(e.into())) })
            }),
        }
    }
}

impl Migrations for Custom {
    fn key(&self) -> Result<Cow<'_, str>, MigrateError> {
        Ok(Cow::Owned(match &self.key {
            CustomKey::Given(key) => format!("custom:{key}"),
            CustomKey::Files(path) => format!("custom:{}", files_key(path)?),
        }))
    }

    fn apply<'a>(&'a self, database: &'a MigrationTarget) -> ApplyFuture<'a> {
        (self.apply)(database.clone())
    }
}

/// A key from the files under `path` (a file or a directory, read recursively): their paths below
/// it and their contents, so that editing, adding or renaming one gives a new template (what
/// [`custom_keyed_by_files`] keys by).
pub fn files_key(path: impl AsRef<Path>) -> Result<String, MigrateError> {
    let path = path.as_ref();
    let mut files = Vec::new();
    collect_files(path, path, &mut files)?;
    files.sort();
    let mut parts: Vec<Vec<u8>> = Vec::new();
    for (relative, file) in files {
        let content = std::fs::read(&file).map_err(|source| MigrateError::Read {
            path: file.clone(),
            source,
        })?;
        parts.push(relative.into_bytes());
        parts.push(content);
    }
    let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    Ok(format!("files:{:016x}", stable_hash(&parts)))
}

fn collect_files(
    root: &Path,
    path: &Path,
    files: &mut Vec<(String, PathBuf)>,
) -> Result<(), MigrateError> {
    let read = |source| MigrateError::Read {
        path: path.to_owned(),
        source,
    };
    if path.is_file() {
        let relative = path.strip_prefix(root).unwrap_or(path);
        // One spelling on every platform: the key of a checkout is the same on Windows.
        let relative = relative.to_string_lossy().replace('\\', "/");
        files.push((relative, path.to_owned()));
        return Ok(());
    }
    for entry in std::fs::read_dir(path).map_err(read)? {
        let entry = entry.map_err(read)?;
        collect_files(root, &entry.path(), files)?;
    }
    Ok(())
}

/// Which tool's layout and bookkeeping a directory of SQL migrations follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Layout {
    /// sqlx: `<version>_<description>.sql` (or `.up.sql`, with a `.down.sql` beside it), bookkept
    /// in `_sqlx_migrations`.
    Sqlx,
    /// Diesel: a folder `<version>_<name>/` per migration with `up.sql`, bookkept in
    /// `__diesel_schema_migrations`.
    Diesel,
    /// refinery: `V<version>__<name>.sql` (or `U…`, unversioned), in any folder below, bookkept in
    /// `refinery_schema_history`.
    Refinery,
    /// `.sql` files applied in the order of their names, with no bookkeeping.
    Plain,
}

impl std::fmt::Display for Layout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Layout::Sqlx => "sqlx",
            Layout::Diesel => "diesel",
            Layout::Refinery => "refinery",
            Layout::Plain => "plain SQL",
        })
    }
}

/// One migration read from a directory.
#[derive(Debug, Clone)]
struct SqlMigration {
    /// sqlx: the number; Diesel: the folder name's version; plain: the file name.
    version: String,
    description: String,
    sql: String,
    /// sqlx's `-- no-transaction` first line; Diesel's `run_in_transaction = false`.
    no_transaction: bool,
}

/// SQL migrations read from a directory, applied and bookkept as their tool does.
#[derive(Debug, Clone)]
pub struct SqlMigrations {
    layout: Layout,
    dir: PathBuf,
    migrations: Vec<SqlMigration>,
}

impl SqlMigrations {
    /// Read `dir`, telling its layout by its contents: folders with an `up.sql` are Diesel's;
    /// `.sql` files named `<number>_<description>.sql` are sqlx's, `V<number>__<name>.sql`
    /// refinery's; other `.sql` files are plain.
    pub fn detect(dir: impl AsRef<Path>) -> Result<SqlMigrations, MigrateError> {
        let dir = dir.as_ref();
        let entries = read_dir(dir)?;
        let diesel = entries
            .iter()
            .any(|path| path.is_dir() && path.join("up.sql").is_file());
        if diesel {
            return SqlMigrations::diesel(dir);
        }
        let sql = sql_files(dir)?;
        if !sql.is_empty() && sql.iter().all(|(path, _)| sqlx_name(path).is_some()) {
            return SqlMigrations::sqlx(dir);
        }
        let mut all_sql = Vec::new();
        collect_files(dir, dir, &mut all_sql)?;
        let all_sql: Vec<_> = all_sql
            .into_iter()
            .filter(|(_, path)| file_name(path).ends_with(".sql"))
            .collect();
        if !all_sql.is_empty()
            && all_sql
                .iter()
                .all(|(_, path)| refinery_name(path).is_some())
        {
            return SqlMigrations::refinery(dir);
        }
        SqlMigrations::plain(dir)
    }

    /// Read sqlx's layout from `dir`.
    pub fn sqlx(dir: impl AsRef<Path>) -> Result<SqlMigrations, MigrateError> {
        let dir = dir.as_ref();
        let mut migrations = Vec::new();
        // As sqlx: whatever is not a `.sql` file is no migration, nor is a reversible one's down
        // half.
        for (path, name) in sql_files(dir)? {
            if name.ends_with(".down.sql") {
                continue;
            }
            let Some((version, description)) = sqlx_name(&path) else {
                return Err(MigrateError::Invalid {
                    path,
                    why: "not a sqlx migration's name (`<version>_<description>.sql`, the version \
                          a number)"
                        .to_owned(),
                });
            };
            let sql = read_sql(&path)?;
            let no_transaction = sql.starts_with("-- no-transaction");
            let migration = SqlMigration {
                version: version.to_string(),
                description,
                sql,
                no_transaction,
            };
            migrations.push((version, path, migration));
        }
        SqlMigrations::numbered(Layout::Sqlx, dir, migrations)
    }

    /// Migrations numbered by their files' names, in the order of their numbers; a number named
    /// twice is refused, as the tools do.
    fn numbered(
        layout: Layout,
        dir: &Path,
        mut migrations: Vec<(i64, PathBuf, SqlMigration)>,
    ) -> Result<SqlMigrations, MigrateError> {
        migrations.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        if let Some(twins) = migrations.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(MigrateError::Invalid {
                path: twins[1].1.clone(),
                why: format!(
                    "version {} also names `{}`",
                    twins[0].0,
                    file_name(&twins[0].1)
                ),
            });
        }
        Ok(SqlMigrations {
            layout,
            dir: dir.to_owned(),
            migrations: migrations.into_iter().map(|(_, _, m)| m).collect(),
        })
    }

    /// Read Diesel's layout from `dir`.
    pub fn diesel(dir: impl AsRef<Path>) -> Result<SqlMigrations, MigrateError> {
        let dir = dir.as_ref();
        let mut migrations = Vec::new();
        for path in read_dir(dir)? {
            if !path.is_dir() {
                continue;
            }
            let name = file_name(&path);
            let up = path.join("up.sql");
            if name.starts_with('.') {
                continue;
            }
            if !up.is_file() {
                // As Diesel, which refuses the whole directory.
                return Err(MigrateError::Invalid {
                    path,
                    why: "a Diesel migration's folder without an `up.sql`".to_owned(),
                });
            }
            let version = diesel_version(&name).ok_or_else(|| MigrateError::Invalid {
                path: path.clone(),
                why: "not a Diesel migration's name (`<version>_<name>`)".to_owned(),
            })?;
            let metadata = path.join("metadata.toml");
            let no_transaction = metadata.is_file()
                && std::fs::read_to_string(&metadata)
                    .map_err(|source| MigrateError::Read {
                        path: metadata.clone(),
                        source,
                    })?
                    .lines()
                    .any(|line| {
                        let line: String = line.split_whitespace().collect();
                        line == "run_in_transaction=false"
                    });
            migrations.push(SqlMigration {
                version,
                description: name,
                sql: read_sql(&up)?,
                no_transaction,
            });
        }
        migrations.sort_by(|a, b| a.version.cmp(&b.version));
        if let Some(twins) = migrations.windows(2).find(|w| w[0].version == w[1].version) {
            return Err(MigrateError::Invalid {
                path: dir.join(&twins[1].description),
                why: format!(
                    "version {} also names `{}`",
                    twins[0].version, twins[0].description
                ),
            });
        }
        Ok(SqlMigrations {
            layout: Layout::Diesel,
            dir: dir.to_owned(),
            migrations,
        })
    }

    /// Read refinery's layout from `dir` and the folders below it.
    pub fn refinery(dir: impl AsRef<Path>) -> Result<SqlMigrations, MigrateError> {
        let dir = dir.as_ref();
        let mut files = Vec::new();
        collect_files(dir, dir, &mut files)?;
        let mut migrations = Vec::new();
        for (_, path) in files {
            // As refinery, which passes over other files with a warning.
            let Some((version, name)) = refinery_name(&path) else {
                continue;
            };
            let migration = SqlMigration {
                version: version.to_string(),
                description: name,
                sql: read_sql(&path)?,
                no_transaction: false,
            };
            migrations.push((i64::from(version), path, migration));
        }
        SqlMigrations::numbered(Layout::Refinery, dir, migrations)
    }

    /// Read every `.sql` file of `dir`, to be applied in the order of their names.
    pub fn plain(dir: impl AsRef<Path>) -> Result<SqlMigrations, MigrateError> {
        let dir = dir.as_ref();
        let mut migrations = Vec::new();
        for (path, name) in sql_files(dir)? {
            migrations.push(SqlMigration {
                version: name.clone(),
                description: name,
                sql: read_sql(&path)?,
                no_transaction: false,
            });
        }
        migrations.sort_by(|a, b| a.version.cmp(&b.version));
        Ok(SqlMigrations {
            layout: Layout::Plain,
            dir: dir.to_owned(),
            migrations,
        })
    }

    /// The layout it was read as.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The directory it was read from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many migrations it holds.
    pub fn len(&self) -> usize {
        self.migrations.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.migrations.is_empty()
    }

    async fn apply_all(&self, db: &MigrationTarget) -> Result<(), MigrateError> {
        let client = db.client();
        let setup = match self.layout {
            // sqlx-postgres' own table, column for column: the app's `Migrator::run` reads it.
            Layout::Sqlx => Some(
                "CREATE TABLE IF NOT EXISTS _sqlx_migrations ( \
                     version BIGINT PRIMARY KEY, \
                     description TEXT NOT NULL, \
                     installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), \
                     success BOOLEAN NOT NULL, \
                     checksum BYTEA NOT NULL, \
                     execution_time BIGINT NOT NULL \
                 )",
            ),
            // diesel_migrations' own table.
            Layout::Diesel => Some(
                "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations ( \
                     version VARCHAR(50) PRIMARY KEY NOT NULL, \
                     run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP \
                 )",
            ),
            // refinery-core's own table.
            Layout::Refinery => Some(
                "CREATE TABLE IF NOT EXISTS refinery_schema_history ( \
                     version INT4 PRIMARY KEY, \
                     name VARCHAR(255), \
                     applied_on VARCHAR(255), \
                     checksum VARCHAR(255) \
                 )",
            ),
            Layout::Plain => None,
        };
        if let Some(setup) = setup {
            client
                .batch_execute(setup)
                .await
                .map_err(|e| MigrateError::Other(Box::new(PgError::from(e))))?;
        }
        for migration in &self.migrations {
            self.apply_one(client, migration)
                .await
                .map_err(|e| MigrateError::apply(migration.name(self.layout), e))?;
        }
        Ok(())
    }

    async fn apply_one(
        &self,
        client: &tokio_postgres::Client,
        migration: &SqlMigration,
    ) -> Result<(), PgError> {
        let started = Instant::now();
        if !migration.no_transaction {
            client.batch_execute("BEGIN").await?;
        }
        let applied = async {
            client.batch_execute(&migration.sql).await?;
            match self.layout {
                Layout::Sqlx => {
                    let version: i64 = migration.version.parse().unwrap_or_default();
                    let checksum = Sha384::digest(migration.sql.as_bytes()).to_vec();
                    // As sqlx: the time is filled in after the commit.
                    client
                        .execute(
                            "INSERT INTO _sqlx_migrations \
                             (version, description, success, checksum, execution_time) \
                             VALUES ($1, $2, TRUE, $3, -1)",
                            &[&version, &migration.description, &checksum],
                        )
                        .await?;
                }
                Layout::Diesel => {
                    client
                        .execute(
                            "INSERT INTO __diesel_schema_migrations (version) VALUES ($1)",
                            &[&migration.version],
                        )
                        .await?;
                }
                Layout::Refinery => {
                    let version: i32 = migration.version.parse().unwrap_or_default();
                    let checksum =
                        refinery_checksum(&migration.description, version, &migration.sql);
                    // refinery reads `applied_on` back as RFC 3339.
                    client
                        .execute(
                            "INSERT INTO refinery_schema_history \
                             (version, name, applied_on, checksum) VALUES ($1, $2, \
                             to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), $3)",
                            &[&version, &migration.description, &checksum.to_string()],
                        )
                        .await?;
                }
                Layout::Plain => {}
            }
            Ok::<(), tokio_postgres::Error>(())
        }
        .await;
        if let Err(e) = applied {
            if !migration.no_transaction {
                let _ = client.batch_execute("ROLLBACK").await;
            }
            return Err(e.into());
        }
        if !migration.no_transaction {
            client.batch_execute("COMMIT").await?;
        }
        if self.layout == Layout::Sqlx {
            let version: i64 = migration.version.parse().unwrap_or_default();
            let nanos = i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX);
            client
                .execute(
                    "UPDATE _sqlx_migrations SET execution_time = $1 WHERE version = $2",
                    &[&nanos, &version],
                )
                .await?;
        }
        Ok(())
    }
}

impl SqlMigration {
    fn name(&self, layout: Layout) -> String {
        match layout {
            Layout::Sqlx => format!("{} ({})", self.version, self.description),
            Layout::Refinery => format!("V{}__{}", self.version, self.description),
            Layout::Diesel | Layout::Plain => self.description.clone(),
        }
    }
}

impl Migrations for SqlMigrations {
    fn key(&self) -> Result<Cow<'_, str>, MigrateError> {
        let layout = self.layout.to_string();
        let mut parts: Vec<&[u8]> = vec![layout.as_bytes()];
        let flags: Vec<[u8; 1]> = self
            .migrations
            .iter()
            .map(|m| [u8::from(m.no_transaction)])
            .collect();
        for (m, flag) in self.migrations.iter().zip(&flags) {
            parts.extend([m.version.as_bytes(), flag.as_slice(), m.sql.as_bytes()]);
        }
        Ok(Cow::Owned(format!("{layout}:{:016x}", stable_hash(&parts))))
    }

    fn apply<'a>(&'a self, database: &'a MigrationTarget) -> ApplyFuture<'a> {
        Box::pin(self.apply_all(database))
    }
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>, MigrateError> {
    let read = |source| MigrateError::Read {
        path: dir.to_owned(),
        source,
    };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read)? {
        paths.push(entry.map_err(read)?.path());
    }
    paths.sort();
    Ok(paths)
}

/// The `.sql` files directly in `dir` (not hidden ones), with their names.
fn sql_files(dir: &Path) -> Result<Vec<(PathBuf, String)>, MigrateError> {
    Ok(read_dir(dir)?
        .into_iter()
        .map(|path| {
            let name = file_name(&path);
            (path, name)
        })
        .filter(|(path, name)| !name.starts_with('.') && name.ends_with(".sql") && path.is_file())
        .collect())
}

fn read_sql(path: &Path) -> Result<String, MigrateError> {
    std::fs::read_to_string(path).map_err(|source| MigrateError::Read {
        path: path.to_owned(),
        source,
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A sqlx migration's version and description, as sqlx reads them off its file's name: the
/// number before the first `_`, and the rest without `.sql` (or `.up.sql`), `_` read as spaces.
fn sqlx_name(path: &Path) -> Option<(i64, String)> {
    let name = file_name(path);
    let (version, rest) = name.split_once('_')?;
    let version: i64 = version.parse().ok()?;
    let stem = rest.strip_suffix(".sql")?;
    let stem = stem
        .strip_suffix(".up")
        .or_else(|| stem.strip_suffix(".down"))
        .unwrap_or(stem);
    Some((version, stem.replace('_', " ")))
}

/// A refinery migration's version and name, as refinery reads them off its file's name:
/// `V<version>__<name>.sql` (or `U`), the name of word characters.
fn refinery_name(path: &Path) -> Option<(i32, String)> {
    let name = file_name(path);
    let stem = name.strip_suffix(".sql")?;
    let rest = stem.strip_prefix('V').or_else(|| stem.strip_prefix('U'))?;
    let (version, name) = rest.split_once("__")?;
    let version: i32 = version.parse().ok()?;
    let words = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    words.then(|| (version, name.to_owned()))
}

/// refinery's checksum of a migration: SipHash-1-3 with zero keys over its name, version and SQL
/// as Rust's `Hash` writes them (a string's bytes and `0xff`, an `i32`'s four bytes).
fn refinery_checksum(name: &str, version: i32, sql: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = siphasher::sip::SipHasher13::new();
    name.hash(&mut hasher);
    version.hash(&mut hasher);
    sql.hash(&mut hasher);
    hasher.finish()
}

/// A Diesel migration's version, as diesel_migrations reads it off its folder's name: what comes
/// before the first `_`, without its dashes (`2024-01-01-000000_create_users` is `20240101000000`).
fn diesel_version(name: &str) -> Option<String> {
    let (version, _) = name.split_once('_')?;
    let version: String = version.chars().filter(|c| *c != '-').collect();
    (!version.is_empty()).then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlx_names_give_version_and_description() {
        let name = |n: &str| sqlx_name(Path::new(n));
        assert_eq!(
            name("20240101_create_users.sql"),
            Some((20240101, "create users".into()))
        );
        assert_eq!(name("1_a_b.up.sql"), Some((1, "a b".into())));
        assert_eq!(name("notes.sql"), None);
        assert_eq!(name("x1_notes.sql"), None);
    }

    #[test]
    fn refinery_names_and_checksums_are_refinerys() {
        let name = |n: &str| refinery_name(Path::new(n));
        assert_eq!(name("V1__initial.sql"), Some((1, "initial".into())));
        assert_eq!(name("U002__seed_data.sql"), Some((2, "seed_data".into())));
        assert_eq!(name("V1_initial.sql"), None);
        assert_eq!(name("1_initial.sql"), None);
        // Computed by refinery-core 0.8.16's own code (siphasher 1.0.4) for the same inputs.
        assert_eq!(
            refinery_checksum(
                "initial",
                1,
                "CREATE TABLE persons (id int, name varchar(255), city varchar(255));"
            ),
            9_011_118_159_008_407_467
        );
        assert_eq!(
            refinery_checksum("add_cars", 2, "x\r\n"),
            4_123_950_082_348_719_709
        );
    }

    #[test]
    fn diesel_versions_drop_their_dashes() {
        assert_eq!(
            diesel_version("2024-01-01-000000_create_users").as_deref(),
            Some("20240101000000")
        );
        assert_eq!(
            diesel_version("00000000000000_diesel_initial_setup").as_deref(),
            Some("00000000000000")
        );
        assert_eq!(diesel_version("nothing"), None);
    }
}
