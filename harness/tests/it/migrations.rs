//! Migrations from any tool: sqlx's and Diesel's layouts bookkept as those tools do, plain SQL
//! files, and the project's own code under its key.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use harness::TestDatabase;
use harness::error::{DatabaseError, MigrateError};
use harness::migrate::{self, Layout, SqlMigrations};
use harness::sqlx_0_8::TestDatabaseExt as _;

/// A directory of files for one test, removed when dropped.
struct Files(PathBuf);

impl Files {
    fn new(test: &str, files: &[(&str, &str)]) -> Files {
        let dir = std::env::temp_dir().join(format!(
            "harness-migrations-{test}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        for (path, content) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        Files(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn it_migrations() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/migrations")
}

#[tokio::test]
async fn a_sqlx_directory_is_bookkept_so_that_sqlx_finds_nothing_to_do() {
    let read = SqlMigrations::detect(it_migrations()).unwrap();
    assert_eq!((read.layout(), read.len()), (Layout::Sqlx, 2));
    let db = TestDatabase::new(&read).await.unwrap();
    let rows = |pool| async move {
        sqlx::query_as::<_, (i64, String, Vec<u8>, bool, String)>(
            "SELECT version, description, checksum, success, installed_on::text \
             FROM _sqlx_migrations ORDER BY version",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    };
    let before = rows(db.pool()).await;
    let versions: Vec<(i64, &str)> = before.iter().map(|r| (r.0, r.1.as_str())).collect();
    assert_eq!(versions, [(1, "notes"), (2, "note tags")]);
    // sqlx's own checksums, from `sqlx::migrate!` over the same files.
    let compiled: Vec<Vec<u8>> = crate::MIGRATOR
        .iter()
        .map(|m| m.checksum.to_vec())
        .collect();
    let stored: Vec<Vec<u8>> = before.iter().map(|r| r.2.clone()).collect();
    assert_eq!(stored, compiled);
    // The app's own migrator at start: nothing to apply, nothing rewritten.
    crate::MIGRATOR.run(db.pool()).await.unwrap();
    assert_eq!(rows(db.pool()).await, before);
    sqlx::query("INSERT INTO notes (body, tags) VALUES ('x', '{a}')")
        .execute(db.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_diesel_directory_is_bookkept_as_diesel_does() {
    let files = Files::new(
        "diesel",
        &[
            (
                "00000000000000_diesel_initial_setup/up.sql",
                "CREATE FUNCTION diesel_setup() RETURNS int AS 'SELECT 1' LANGUAGE sql;",
            ),
            (
                "00000000000000_diesel_initial_setup/down.sql",
                "DROP FUNCTION diesel_setup();",
            ),
            (
                "2024-01-01-000000_create_users/up.sql",
                "CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL);",
            ),
            (
                "2024-02-01-120000-0000_index_users/up.sql",
                "CREATE INDEX CONCURRENTLY users_name ON users (name);",
            ),
            (
                "2024-02-01-120000-0000_index_users/metadata.toml",
                "run_in_transaction = false\n",
            ),
            (".diesel_lock", ""),
        ],
    );
    let read = SqlMigrations::detect(files.path()).unwrap();
    assert_eq!((read.layout(), read.len()), (Layout::Diesel, 3));
    let db = TestDatabase::new(&read).await.unwrap();
    let versions: Vec<String> =
        sqlx::query_scalar("SELECT version FROM __diesel_schema_migrations ORDER BY version")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(
        versions,
        ["00000000000000", "20240101000000", "202402011200000000"]
    );
    let indexed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_indexes WHERE indexname = 'users_name'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(indexed, 1, "the migration outside a transaction ran");
}

#[tokio::test]
async fn a_refinery_directory_is_bookkept_with_refinerys_checksums() {
    let files = Files::new(
        "refinery",
        &[
            (
                "V1__initial.sql",
                "CREATE TABLE persons (id int, name varchar(255), city varchar(255));",
            ),
            ("nested/V2__add_cars.sql", "CREATE TABLE cars (id int);"),
        ],
    );
    let read = SqlMigrations::detect(files.path()).unwrap();
    assert_eq!((read.layout(), read.len()), (Layout::Refinery, 2));
    let db = TestDatabase::new(&read).await.unwrap();
    let rows: Vec<(i32, String, String, String)> = sqlx::query_as(
        "SELECT version, name, checksum, applied_on FROM refinery_schema_history ORDER BY version",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    // The checksum refinery-core computes for the first file (see the unit test).
    assert_eq!(
        (rows[0].0, rows[0].1.as_str(), rows[0].2.as_str()),
        (1, "initial", "9011118159008407467")
    );
    assert_eq!((rows[1].0, rows[1].1.as_str()), (2, "add_cars"));
    // RFC 3339, which refinery parses back.
    let stamp = &rows[0].3;
    assert!(
        stamp.len() == 20 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
        "{stamp}"
    );
}

#[tokio::test]
async fn plain_sql_files_run_in_the_order_of_their_names_with_no_bookkeeping() {
    let files = Files::new(
        "plain",
        &[
            (
                "002-items.sql",
                "CREATE TABLE items (list int REFERENCES lists);",
            ),
            ("001-lists.sql", "CREATE TABLE lists (id int PRIMARY KEY);"),
            ("README.md", "not SQL"),
        ],
    );
    let read = SqlMigrations::detect(files.path()).unwrap();
    assert_eq!((read.layout(), read.len()), (Layout::Plain, 2));
    let db = TestDatabase::new(&read).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(tables, ["items", "lists"]);
}

#[tokio::test]
async fn the_projects_own_code_runs_once_per_key() {
    static RAN: AtomicUsize = AtomicUsize::new(0);
    // A key of this process alone: no other test process shares its template.
    let key = format!("own-code-{}", uuid::Uuid::new_v4());
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen_by = Arc::clone(&seen);
    let own = migrate::custom(key, move |db| {
        RAN.fetch_add(1, Ordering::SeqCst);
        seen_by.lock().unwrap().push(db.database().to_owned());
        async move {
            // As a migration tool of the project's would: its own connection to the URL.
            let pool = sqlx::PgPool::connect(&db.url()).await?;
            sqlx::query("CREATE TABLE accounts (id int)")
                .execute(&pool)
                .await?;
            pool.close().await;
            Ok::<(), sqlx::Error>(())
        }
    });
    let a = TestDatabase::new(&own).await.unwrap();
    let b = TestDatabase::new(&own).await.unwrap();
    assert_eq!(RAN.load(Ordering::SeqCst), 1, "one template for the key");
    assert!(seen.lock().unwrap()[0].starts_with("harness_tpl_"));
    for db in [&a, &b] {
        sqlx::query("INSERT INTO accounts VALUES (1)")
            .execute(db.pool())
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn failing_own_code_fails_the_database_with_its_error() {
    let own = migrate::custom(format!("failing-{}", uuid::Uuid::new_v4()), |_db| async {
        Err::<(), _>(std::io::Error::other("the tool said no"))
    });
    let err = TestDatabase::new(&own).await.unwrap_err();
    assert!(
        matches!(
            &err,
            DatabaseError::Migrate {
                source: MigrateError::Other(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        harness::error_chain(&err).contains("the tool said no"),
        "{}",
        harness::error_chain(&err)
    );
}

#[tokio::test]
async fn code_keyed_by_its_files_gets_a_new_template_when_one_changes() {
    let files = Files::new(
        "keyed",
        &[("m0001_create_posts.rs", "// v1"), ("mod.rs", "// list")],
    );
    let ran = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ran);
    // A directory of this test alone (its path is random), so no other process shares the key.
    let own = migrate::custom_keyed_by_files(files.path(), move |db| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move { db.execute("CREATE TABLE posts (id int)").await }
    });
    TestDatabase::new(&own).await.unwrap();
    TestDatabase::new(&own).await.unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    std::fs::write(files.path().join("m0001_create_posts.rs"), "// v2").unwrap();
    TestDatabase::new(&own).await.unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 2, "a changed file, a new template");

    let gone = migrate::custom_keyed_by_files(files.path().join("nowhere"), |_db| async {
        Ok::<(), std::io::Error>(())
    });
    let err = TestDatabase::new(&gone).await.unwrap_err();
    assert!(
        matches!(&err, DatabaseError::MigrationsKey { source: MigrateError::Read { .. } }),
        "{err:?}"
    );
    assert!(
        harness::error_chain(&err).contains("nowhere"),
        "{}",
        harness::error_chain(&err)
    );
}

#[test]
fn a_files_key_changes_with_any_file() {
    let files = Files::new("key", &[("m/one.rs", "up"), ("m/two.rs", "up")]);
    let key = || migrate::files_key(files.path()).unwrap();
    let first = key();
    assert_eq!(first, key());
    std::fs::write(files.path().join("m/two.rs"), "up, changed").unwrap();
    assert_ne!(first, key());
    let missing = migrate::files_key(files.path().join("nowhere")).unwrap_err();
    assert!(matches!(missing, MigrateError::Read { .. }), "{missing:?}");
}

#[test]
fn a_bad_sqlx_name_or_a_twin_version_is_refused_with_the_file() {
    let files = Files::new(
        "bad",
        &[("1_a.sql", "SELECT 1;"), ("x1_b.sql", "SELECT 1;")],
    );
    let err = SqlMigrations::sqlx(files.path()).unwrap_err();
    assert!(err.to_string().contains("x1_b.sql"), "{err}");
    let files = Files::new(
        "twin",
        &[("1_a.sql", "SELECT 1;"), ("01_b.sql", "SELECT 1;")],
    );
    let err = SqlMigrations::sqlx(files.path()).unwrap_err();
    assert!(err.to_string().contains("version 1"), "{err}");
    let err = SqlMigrations::detect("/no/such/dir").unwrap_err();
    assert!(matches!(err, MigrateError::Read { .. }), "{err:?}");
}

#[test]
fn keys_differ_by_layout_and_content() {
    let a = Files::new("ka", &[("1_a.sql", "CREATE TABLE a ();")]);
    let b = Files::new("kb", &[("1_a.sql", "CREATE TABLE b ();")]);
    use harness::migrate::Migrations as _;
    let sqlx_a = SqlMigrations::sqlx(a.path()).unwrap();
    let plain_a = SqlMigrations::plain(a.path()).unwrap();
    let sqlx_b = SqlMigrations::sqlx(b.path()).unwrap();
    let key = |m: &SqlMigrations| m.key().unwrap().into_owned();
    assert_ne!(key(&sqlx_a), key(&plain_a));
    assert_ne!(key(&sqlx_a), key(&sqlx_b));
    assert_eq!(key(&sqlx_a), key(&SqlMigrations::sqlx(a.path()).unwrap()));
}
