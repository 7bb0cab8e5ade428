//! The service on a database of each test's own, made by the harness from its Diesel migration
//! folders, over Diesel's own libpq connection. Diesel's calls block: in a test's body that is
//! harmless (the test's runtime runs nothing else), as it is in a `#[test]`.

use diesel::data_types::PgTimestamp;
use diesel::prelude::*;
use harness::TestDatabase;
use harness::diesel_2::TestDatabaseExt as _;
use tasks_diesel_sync::{add, finish, migrate, open, tasks};

fn titles(tasks: &[tasks_diesel_sync::Task]) -> Vec<&str> {
    tasks.iter().map(|t| t.title.as_str()).collect()
}

// The migrations and the fixture are the diesel-async example's (paths from this crate, and
// from this file).
#[harness::test(migrations = "../diesel/migrations")]
async fn diesel_finds_every_migration_applied(mut conn: PgConnection) -> anyhow::Result<()> {
    let ran = migrate(&mut conn).map_err(|e| anyhow::anyhow!(e))?;
    assert!(ran.is_empty(), "Diesel ran {ran:?} again");
    Ok(())
}

#[harness::test(
    migrations = "../diesel/migrations",
    fixtures("../../diesel/tests/fixtures/chores.sql")
)]
async fn a_finished_task_leaves_the_list_and_its_stamp_moves(
    mut conn: PgConnection,
) -> anyhow::Result<()> {
    assert_eq!(
        titles(&open(&mut conn)?),
        ["water the plants", "fix the bike"]
    );
    let first = open(&mut conn)?.remove(0);
    let stamp = || tasks::table.find(first.id).select(tasks::updated_at);
    let before: PgTimestamp = stamp().first(&mut conn)?;
    assert!(finish(&mut conn, first.id)?);
    assert!(!finish(&mut conn, 9_999)?);
    assert_eq!(titles(&open(&mut conn)?), ["fix the bike"]);
    // The trigger from Diesel's initial setup migration is in the template too.
    let after: PgTimestamp = stamp().first(&mut conn)?;
    assert!(after > before, "{after:?} after {before:?}");
    Ok(())
}

#[harness::test(migrations = "../diesel/migrations")]
async fn an_added_task_is_the_only_one_on_a_fresh_database(db: TestDatabase) -> anyhow::Result<()> {
    // Or made from the database, as a fixture of the team's own would.
    let mut conn = db.establish()?;
    // The same as the app's own `establish` on the URL.
    PgConnection::establish(db.url())?;
    let task = add(&mut conn, "write the tests")?;
    assert!(!task.done);
    assert_eq!(titles(&open(&mut conn)?), ["write the tests"]);
    Ok(())
}
