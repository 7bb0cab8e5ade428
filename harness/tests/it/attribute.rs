//! `#[harness::test]`: what its parameters get, and how the test's outcome decides what becomes of
//! its database and its browser. The outcomes are helpers run as child processes of the same
//! nextest run (so on the same server), each failing in its own way.

use harness::sqlx_0_8::TestDatabaseExt as _;
use std::process::{Command, Stdio};

use harness::browser::Browser;
use harness::{PostgresServer, TestDatabase};
use sqlx::{Connection, PgConnection, PgPool};

// A bare name is `fixtures/<name>.sql` beside this file, as with #[sqlx::test].
#[harness::test(migrations = "tests/it/migrations", fixtures("notes"))]
async fn a_database_has_its_migrations_and_fixtures(db: TestDatabase) -> anyhow::Result<()> {
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM notes ORDER BY id")
        .fetch_all(db.pool())
        .await?;
    assert_eq!(bodies, ["first", "second"]);
    // Both migrations, read from the directory when the test ran.
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(db.pool())
        .await?;
    assert_eq!(applied, 2);
    // Named after the test (the path's front is dropped where the name is long), or handed
    // ready-made from the run's pool of clones of this template.
    assert!(
        db.name()
            .starts_with("t_a_database_has_its_migrations_and_fixtures_")
            || db.name().starts_with("t_ready_"),
        "{}",
        db.name()
    );
    Ok(())
}

#[harness::test(
    migrator = crate::MIGRATOR,
    fixtures("fixtures/notes.sql", "fixtures/more_notes.sql")
)]
async fn fixtures_apply_in_order_and_a_pool_comes_alone(pool: PgPool) {
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM notes ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(bodies, ["first", "second", "third"]);
}

#[harness::test(migrations = "tests/it/migrations")]
async fn two_databases_of_one_test_are_apart(a: TestDatabase, b: TestDatabase) {
    assert_ne!(a.name(), b.name());
    sqlx::query("INSERT INTO notes (body) VALUES ('only in a')")
        .execute(a.pool())
        .await
        .unwrap();
    let in_b: i64 = sqlx::query_scalar("SELECT count(*) FROM notes")
        .fetch_one(b.pool())
        .await
        .unwrap();
    assert_eq!(in_b, 0);
}

#[harness::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_without_fixtures_runs_on_the_runtime_it_asked_for() {
    let metrics = tokio::runtime::Handle::current().metrics();
    assert_eq!(metrics.num_workers(), 2);
}

/// A fixture of the test's own, made of the harness's: it inherits their cleanup.
struct Notes {
    db: TestDatabase,
}

impl harness::Fixture for Notes {
    async fn setup(test: &harness::TestContext) -> Result<Self, harness::FixtureError> {
        let db = test.database().await?;
        sqlx::query("INSERT INTO notes (body) VALUES ($1)")
            .bind(test.name())
            .execute(db.pool())
            .await?;
        Ok(Notes { db })
    }
}

#[harness::test(migrations = "tests/it/migrations")]
async fn a_fixture_of_ones_own_gets_the_test_context(notes: Notes) -> anyhow::Result<()> {
    let body: String = sqlx::query_scalar("SELECT body FROM notes")
        .fetch_one(notes.db.pool())
        .await?;
    assert_eq!(
        body,
        "attribute::a_fixture_of_ones_own_gets_the_test_context"
    );
    Ok(())
}

/// Print the names of the helper's three databases (two parameters', one its body makes as a
/// test's helper function would), then end as `HELPER_OUTCOME` says.
#[harness::test(migrations = "tests/it/migrations", timeout = "2s")]
#[ignore = "helper run by other tests as a child process"]
async fn helper_outcome(db: TestDatabase, pool: PgPool) -> Result<(), String> {
    let of_pool: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&pool)
        .await
        .unwrap();
    let own = TestDatabase::new(&crate::MIGRATOR).await.unwrap();
    println!("\nDATABASES {} {of_pool} {}", db.name(), own.name());
    match std::env::var("HELPER_OUTCOME").as_deref() {
        Ok("ok") => Ok(()),
        // Dropped before the end: what becomes of it is still the outcome's to decide.
        Ok("err") => {
            drop(db);
            Err("the helper fails as asked".into())
        }
        Ok("panic") => panic!("the helper panics as asked"),
        // Moved into a task that outlives the body: the outcome still decides.
        Ok(spawned @ ("spawned-ok" | "spawned-err")) => {
            tokio::spawn(async move {
                let _held = db;
                std::future::pending::<()>().await;
            });
            tokio::task::yield_now().await;
            match spawned {
                "spawned-ok" => Ok(()),
                _ => Err("the helper fails as asked, its database in a task".into()),
            }
        }
        Ok("timeout") => {
            // Waits for its own timeout: that is what this outcome is.
            std::future::pending::<()>().await;
            Ok(())
        }
        other => panic!("HELPER_OUTCOME={other:?}"),
    }
}

/// The databases of a helper that ended with `outcome`, whether each still exists, and what it
/// printed.
fn run_helper(test: &str, outcome: &str) -> (bool, String) {
    run_helper_with(test, outcome, &[])
}

pub(crate) fn run_helper_with(
    test: &str,
    outcome: &str,
    env: &[(&str, &str)],
) -> (bool, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--ignored", "--nocapture"])
        .env("HELPER_OUTCOME", outcome)
        .env_remove(harness::env::KEEP_FAILED_DB)
        .env_remove(harness::env::BROWSER_REUSE)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn existing(names: &[&str]) -> Vec<String> {
    let server = PostgresServer::shared().await.unwrap();
    let mut admin = PgConnection::connect(&server.admin_url()).await.unwrap();
    let found: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname = ANY($1) ORDER BY 1")
            .bind(names)
            .fetch_all(&mut admin)
            .await
            .unwrap();
    admin.close().await.unwrap();
    found
}

/// Takes a database of the helper's set first, so that the server and the template are ready
/// before the helper's 2 s timeout starts counting.
#[harness::test(migrations = "tests/it/migrations")]
async fn the_outcome_decides_whether_the_databases_are_kept(_warm: TestDatabase) {
    let mut from_the_pool = 0;
    for (outcome, passes, kept, says) in [
        ("ok", true, false, ""),
        ("spawned-ok", true, false, ""),
        ("err", false, true, "the helper fails as asked"),
        ("spawned-err", false, true, "its database in a task"),
        ("panic", false, true, "the helper panics as asked"),
        ("timeout", false, true, "timed out after 2s"),
    ] {
        let (passed, text) = run_helper("attribute::helper_outcome", outcome);
        assert_eq!(passed, passes, "{outcome}: {text}");
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix("DATABASES "))
            .unwrap_or_else(|| panic!("{outcome}: no databases printed: {text}"));
        let names: Vec<&str> = line.split(' ').collect();
        from_the_pool += names.iter().filter(|n| n.starts_with("t_ready_")).count();
        if kept {
            // Kept under the test's own words, whichever way each was made (a pool's clone is
            // renamed after its test).
            let kept: Vec<&str> = text
                .lines()
                .filter_map(|l| l.split_once("kept database ")?.1.split(' ').next())
                .collect();
            assert_eq!(kept.len(), 3, "{outcome}: all three kept: {text}");
            assert_eq!(existing(&kept).await.len(), 3, "{outcome}: {text}");
            for name in &kept {
                assert!(name.starts_with("t_attribute__helper_outcome_"), "{name}: {text}");
            }
            assert!(text.contains("URL postgres://"), "{text}");
            assert!(text.contains(says), "{outcome}: {text}");
            post_mortem_of(&kept, &text).await;
        } else {
            assert!(!text.contains("kept database"), "{text}");
            let left = dropped_in_the_background(&names).await;
            assert!(left.is_empty(), "{outcome}: {left:?} left: {text}");
        }
    }
    // The helpers share this run's server and its ready clones: some of theirs were the pool's,
    // and those kept were renamed after the test (checked above).
    let server = PostgresServer::shared().await.unwrap();
    if server.backend() != harness::Backend::External && harness::settings().unwrap().db_pool != Some(0) {
        assert!(from_the_pool > 0, "no database came from the ready pool");
    }
}

/// The porting guide's route, off the attribute: a panic keeps the database, under the test's
/// own words (a clone from the ready pool is renamed after its test).
#[tokio::test]
#[ignore = "helper run by other tests as a child process"]
async fn helper_by_hand_panics() {
    let db = TestDatabase::new(&crate::MIGRATOR).await.unwrap();
    println!("\nDATABASE {}", db.name());
    panic!("the helper panics as asked");
}

#[tokio::test]
async fn a_database_made_by_hand_is_kept_under_its_tests_words() {
    // The template is built and the pool filling: the helper's database is a pool's clone.
    TestDatabase::new(&crate::MIGRATOR)
        .await
        .unwrap()
        .close()
        .await
        .unwrap();
    let (passed, text) = run_helper("attribute::helper_by_hand_panics", "panic");
    assert!(!passed, "{text}");
    let kept = text
        .lines()
        .find_map(|l| l.split_once("kept database ")?.1.split(' ').next())
        .unwrap_or_else(|| panic!("nothing kept: {text}"));
    assert!(
        kept.starts_with("t_attribute__helper_by_hand_panics_"),
        "{kept}: {text}"
    );
    assert_eq!(existing(&[kept]).await, [kept], "{text}");
    let _ = std::fs::remove_dir_all(
        harness::artifacts::root().join("attribute__helper_by_hand_panics"),
    );
}

/// The porting guide's route, passing: its database dropped when it goes out of scope.
#[tokio::test]
#[ignore = "helper run by other tests as a child process"]
async fn helper_by_hand_passes() {
    let db = TestDatabase::new(&crate::MIGRATOR).await.unwrap();
    drop(db);
}

/// `HARNESS_TIMINGS=1` prints the harness's share of a test, under the attribute (at its end)
/// and off it (when its database ends).
#[test]
fn timings_are_printed_on_and_off_the_attribute() {
    let timings = [(harness::env::TIMINGS, "1")];
    for (helper, phase) in [
        ("attribute::helper_outcome", "fixture db: TestDatabase"),
        ("attribute::helper_by_hand_passes", "postgres server (found or started)"),
    ] {
        let (passed, text) = run_helper_with(helper, "ok", &timings);
        assert!(passed, "{text}");
        assert!(
            text.contains(&format!("harness timings of {helper}")),
            "{helper}: no timeline: {text}"
        );
        assert!(text.contains(phase), "{helper}: {text}");
    }
}

/// A failed test's kept databases: each dumped into its artifacts directory, and the printed
/// command's file connects to it while the run lasts, though no password is printed.
async fn post_mortem_of(names: &[&str], text: &str) {
    let server = PostgresServer::shared().await.unwrap();
    assert!(!text.contains(server.password()), "a password printed: {text}");
    let dir = harness::artifacts::root().join("attribute__helper_outcome");
    for name in names {
        let dump = std::fs::read_to_string(dir.join(format!("database-{name}.sql")))
            .unwrap_or_else(|e| panic!("no dump of {name} ({e}): {text}"));
        assert!(dump.contains("CREATE TABLE public.notes"), "{dump}");
        if server.backend() == harness::Backend::External {
            // The user's server, with the user's credentials: no file holds them.
            assert!(text.contains("connect with HARNESS_POSTGRES_URL's credentials"), "{text}");
            continue;
        }
        let file = text
            .lines()
            .filter_map(|l| l.split_once("psql \"$(cat ")?.1.strip_suffix(")\""))
            .find(|file| file.ends_with(&format!("{name}.url")))
            .unwrap_or_else(|| panic!("no command to connect to {name}: {text}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(file).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{file} is readable by others");
        }
        let url = std::fs::read_to_string(file).unwrap();
        let mut conn = PgConnection::connect(&url).await.unwrap();
        let (current,): (String,) = sqlx::query_as("SELECT current_database()")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(current, *name);
        conn.close().await.unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Which of `names` still exist once the run's database pool has had its chance to drop them: a
/// passing test hands its databases over instead of dropping them on its way out, and the next
/// test's pool worker drops them (here: this process's, asked by taking a database). Waits up to
/// 10 s; without a pool (the external backend) they are gone at once.
async fn dropped_in_the_background(names: &[&str]) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let left = existing(names).await;
        if left.is_empty() || std::time::Instant::now() > deadline {
            return left;
        }
        let next = TestDatabase::new(&crate::MIGRATOR).await.unwrap();
        next.close().await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A fixture of one's own that ends by its test's outcome through the trait the built-in ones
/// end by: it logs how the test ended to `HELPER_TEARDOWN_LOG` and, when the test failed, leaves
/// a file in the test's artifacts directory.
struct Tenant;

struct EndTenant {
    log: std::path::PathBuf,
}

impl harness::Teardown for EndTenant {
    async fn teardown(self, end: &harness::TestEnd<'_>) {
        let line = match end.outcome().failure() {
            None => format!("{} passed", end.test()),
            Some(failure) => {
                let dir = end.artifacts_dir().expect("the fixture asked for it");
                std::fs::create_dir_all(dir).unwrap();
                std::fs::write(dir.join("tenant.txt"), failure.message()).unwrap();
                format!("{} failed {:?}", end.test(), failure.kind())
            }
        };
        std::fs::write(&self.log, line).unwrap();
    }
}

impl harness::Fixture for Tenant {
    async fn setup(test: &harness::TestContext) -> Result<Self, harness::FixtureError> {
        let log = std::env::var_os("HELPER_TEARDOWN_LOG").ok_or("no HELPER_TEARDOWN_LOG")?;
        test.on_teardown(EndTenant { log: log.into() });
        // Asked for, so that a failed test's kept database is dumped there too.
        let _ = test.artifacts_dir();
        Ok(Tenant)
    }
}

/// A fixture that fails to set up when `HELPER_OUTCOME=setup`.
struct Refused;

impl harness::Fixture for Refused {
    async fn setup(_: &harness::TestContext) -> Result<Self, harness::FixtureError> {
        match std::env::var("HELPER_OUTCOME").as_deref() {
            Ok("setup") => Err("refused as asked".into()),
            _ => Ok(Refused),
        }
    }
}

#[harness::test(migrations = "tests/it/migrations", timeout = "2s")]
#[ignore = "helper run by other tests as a child process"]
async fn helper_teardown(_tenant: Tenant, db: TestDatabase, _refused: Refused) -> Result<(), String> {
    println!("\nDATABASE {}", db.name());
    match std::env::var("HELPER_OUTCOME").as_deref() {
        Ok("ok") => Ok(()),
        Ok("err") => Err("the helper fails as asked".into()),
        Ok("panic") => panic!("the helper panics as asked"),
        Ok("timeout") => {
            // Waits for its own timeout: that is what this outcome is.
            std::future::pending::<()>().await;
            Ok(())
        }
        other => panic!("HELPER_OUTCOME={other:?}"),
    }
}

/// A user's fixture's teardown runs once, after the body, told how the test ended; a failed test
/// that asked for its artifacts directory gets its own files and its kept database's dump there.
#[harness::test(migrations = "tests/it/migrations")]
async fn a_fixture_of_ones_own_ends_by_the_outcome(_warm: TestDatabase) {
    let dir = harness::artifacts::root().join("attribute__helper_teardown");
    // Removed when dropped, also when an assertion below fails.
    let scratch = crate::child::ScratchDir::new("teardown");
    let log = scratch.0.join("teardown.log");
    for (outcome, says, why) in [
        ("ok", "attribute::helper_teardown passed", ""),
        (
            "err",
            "attribute::helper_teardown failed ReturnedError",
            "the test returned an error: \"the helper fails as asked\"",
        ),
        (
            "panic",
            "attribute::helper_teardown failed Panicked",
            "the test panicked: the helper panics as asked",
        ),
        (
            "timeout",
            "attribute::helper_teardown failed TimedOut",
            "the test timed out after 2s",
        ),
        (
            "setup",
            "attribute::helper_teardown failed SetupFailed",
            "a fixture could not be set up: _refused: Refused: refused as asked",
        ),
    ] {
        let _ = std::fs::remove_file(&log);
        let env = [("HELPER_TEARDOWN_LOG", log.to_str().unwrap())];
        let (passed, text) = run_helper_with("attribute::helper_teardown", outcome, &env);
        assert_eq!(passed, outcome == "ok", "{outcome}: {text}");
        let logged = std::fs::read_to_string(&log)
            .unwrap_or_else(|e| panic!("{outcome}: no teardown ran ({e}): {text}"));
        assert_eq!(logged, says, "{outcome}: {text}");
        if outcome == "ok" {
            assert!(!dir.exists(), "no artifacts for a passing test: {text}");
            continue;
        }
        let told = std::fs::read_to_string(dir.join("tenant.txt")).unwrap();
        assert_eq!(told, why, "{outcome}: {text}");
        let dumps: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("database-t_"))
            .collect();
        assert_eq!(dumps.len(), 1, "{outcome}: one kept database dumped: {text}");
        let sql = std::fs::read_to_string(dumps[0].path()).unwrap();
        assert!(sql.contains("CREATE TABLE public.notes"), "{outcome}: {sql}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// A browser test with a database that passes without `close()`, or fails, as `HELPER_OUTCOME`
/// says.
#[harness::test(migrations = "tests/it/migrations")]
#[ignore = "helper run by other tests as a child process"]
async fn helper_browser_outcome(db: sqlx::PgPool, browser: Browser) -> Result<(), String> {
    sqlx::query("INSERT INTO notes (body) VALUES ('written-before-the-failure')")
        .execute(&db)
        .await
        .unwrap();
    browser
        .execute("document.title = 'outcome'", vec![])
        .await
        .unwrap();
    println!("\nSESSION {}", browser.session_id());
    match std::env::var("HELPER_OUTCOME").as_deref() {
        Ok("ok") => Ok(()),
        _ => Err("the browser helper fails as asked".into()),
    }
}

/// Browser tests (in a module of that name: a run without a browser leaves them out by it).
mod browser {
    use super::*;

    /// Once with a browser of the test's own, once with a context in the run's shared browser
    /// (whose tab goes when its DevTools connection closes: it must stay open until the
    /// artifacts are saved).
    #[harness::test]
    async fn a_passing_browser_test_needs_no_close_and_a_failing_one_keeps_artifacts() {
        let dir = harness::browser::artifacts_root().join("attribute__helper_browser_outcome");
        for reuse in ["0", "1"] {
            let env = [(harness::env::BROWSER_REUSE, reuse)];
            let (passed, text) = run_helper_with("attribute::helper_browser_outcome", "ok", &env);
            assert!(passed, "reuse={reuse}: {text}");
            assert!(!text.contains("browser test failed"), "{text}");
            assert!(!text.contains("may not have closed"), "{text}");
            assert!(!dir.exists(), "no artifacts for a passing test: {text}");

            let (passed, text) = run_helper_with("attribute::helper_browser_outcome", "err", &env);
            assert!(!passed, "{text}");
            // The report's path on a line of its own; the reason once, as the test's outcome.
            let line = format!(
                "harness: browser test failed; its report: {} (",
                dir.join("report.html").display()
            );
            assert!(text.contains(&line), "reuse={reuse}: {text}");
            assert_eq!(
                text.matches("the browser helper fails as asked").count(),
                1,
                "reuse={reuse}: the error is printed once: {text}"
            );
            assert!(
                dir.join("screenshot.png").is_file(),
                "reuse={reuse}: {text}"
            );
            let html = std::fs::read_to_string(dir.join("page.html")).unwrap();
            assert!(
                html.contains("<title>outcome</title>"),
                "reuse={reuse}: {html}"
            );
            // The report, linking the failed test's database as pg_dump wrote it.
            let report = std::fs::read_to_string(dir.join("report.html")).unwrap();
            assert!(report.contains("<h2>Steps (1)</h2>"), "{report}");
            // The step's screenshot, taken while the test went on, made it into the report.
            assert!(
                report.contains("alt=\"after step 1\""),
                "reuse={reuse}: {report}"
            );
            assert!(
                report.contains("the browser helper fails as asked"),
                "{report}"
            );
            let dump = std::fs::read_dir(&dir)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .find(|p| p.extension().is_some_and(|x| x == "sql"))
                .unwrap_or_else(|| panic!("no database dump beside the report: {text}"));
            let name = dump.file_name().unwrap().to_string_lossy().into_owned();
            assert!(report.contains(&format!("<a href=\"{name}\">")), "{report}");
            let sql = std::fs::read_to_string(&dump).unwrap();
            assert!(sql.contains("CREATE TABLE public.notes"), "{sql}");
            assert!(sql.contains("written-before-the-failure"), "{sql}");
            let index =
                std::fs::read_to_string(harness::browser::artifacts_root().join("index.html"))
                    .unwrap();
            assert!(
                index.contains("attribute__helper_browser_outcome/report.html"),
                "{index}"
            );
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[harness::test(migrations = "tests/it/migrations")]
    async fn a_database_and_a_browser_start_together(db: TestDatabase, browser: Browser) {
        browser.goto("about:blank").await.unwrap();
        assert!(!db.name().is_empty());
    }
}

/// What a missing migrations directory says.
#[test]
fn a_missing_migrations_directory_is_named() {
    let (passed, text) = run_helper("attribute::helper_no_migrations", "-");
    assert!(!passed, "{text}");
    assert!(text.contains("a fixture could not be set up"), "{text}");
    assert!(
        text.contains("db: harness::TestDatabase: no migrations directory at "),
        "{text}"
    );
    assert!(text.contains("tests/it/no_such_dir"), "{text}");
}

#[harness::test(migrations = "tests/it/no_such_dir")]
#[ignore = "helper run by other tests as a child process"]
async fn helper_no_migrations(db: harness::TestDatabase) {
    let _ = db;
}

#[harness::test(migrations = "tests/it/migrations", fixtures("notes"))]
async fn a_test_can_make_its_fixtures_in_its_body(test: harness::TestContext) {
    assert_eq!(
        test.name(),
        "attribute::a_test_can_make_its_fixtures_in_its_body"
    );
    assert_eq!(test.fixtures().len(), 1);
    let db = test.database().await.unwrap();
    let notes: i64 = sqlx::query_scalar("SELECT count(*) FROM notes")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(notes, 2, "the test's fixtures");
}

/// A fixture whose SQL fails names itself and the template, with the server's error.
#[test]
fn a_failing_sql_fixture_is_named() {
    let (passed, text) = run_helper("attribute::helper_broken_fixture", "-");
    assert!(!passed, "{text}");
    assert!(
        text.contains("fixture fixtures/broken.sql failed while building template harness_tpl_"),
        "{text}"
    );
    assert!(text.contains("no_such_table"), "{text}");
}

#[harness::test(migrations = "tests/it/migrations", fixtures("fixtures/broken.sql"))]
#[ignore = "helper run by other tests as a child process"]
async fn helper_broken_fixture(db: TestDatabase) {
    let _ = db;
}

#[harness::test(migrations = false)]
#[should_panic(expected = "as it should")]
async fn a_should_panic_test_passes_by_panicking(db: TestDatabase) {
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_name <> '_sqlx_migrations'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(tables, 0, "migrations = false: nothing applied");
    panic!("as it should");
}
