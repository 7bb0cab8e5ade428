//! Parametrized tests: rstest's `#[case]` and `#[values]` over `#[harness::test]`. `#[rstest]`
//! goes first (it expands first, into one function per case, each with the harness's attribute);
//! the harness's fixtures are marked `#[ignore]`, which tells rstest to leave them to the test
//! attribute. Each case is a test of its own: its own name, process and database.

use harness::TestDatabase;
use harness::sqlx_0_8::TestDatabaseExt as _;
use rstest::rstest;

#[rstest]
#[case::a_migrated_table("notes", true)]
#[case::no_such_table("missing", false)]
#[harness::test(migrations = "tests/it/migrations")]
async fn each_case_gets_a_database_of_its_own(
    #[case] table: &str,
    #[case] exists: bool,
    #[ignore] db: TestDatabase,
    #[ignore] test: harness::TestContext,
) -> anyhow::Result<()> {
    let found: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
        .bind(table)
        .fetch_one(db.pool())
        .await?;
    assert_eq!(found.is_some(), exists, "{table}");
    // The test is named after the case (its database is its own, but may come from the run's
    // pool of ready clones, named for that).
    assert!(
        test.name()
            .starts_with("cases::each_case_gets_a_database_of_its_own::case_"),
        "{}",
        test.name()
    );
    Ok(())
}

#[rstest]
#[harness::test(migrations = "tests/it/migrations")]
async fn values_make_a_matrix_of_tests(
    #[values("first", "second")] body: &str,
    #[values(1, 2)] copies: i64,
    #[ignore] db: TestDatabase,
) -> anyhow::Result<()> {
    for _ in 0..copies {
        sqlx::query("INSERT INTO notes (body) VALUES ($1)")
            .bind(body)
            .execute(db.pool())
            .await?;
    }
    // Each test of the matrix starts from an empty table: no case sees another's rows.
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM notes WHERE body = $1")
        .bind(body)
        .fetch_one(db.pool())
        .await?;
    assert_eq!(count, copies);
    Ok(())
}

/// nextest and libtest list every case as a test of its own, named after its case.
#[test]
fn every_case_is_listed_as_a_test() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--list", "cases::"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    let tests: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .filter(|t| !t.ends_with("every_case_is_listed_as_a_test"))
        .collect();
    assert_eq!(tests.len(), 2 + 4, "{listed}");
    for case in ["case_1_a_migrated_table", "case_2_no_such_table"] {
        assert!(
            tests.contains(&format!("cases::each_case_gets_a_database_of_its_own::{case}").as_str()),
            "{case} in {listed}"
        );
    }
}
