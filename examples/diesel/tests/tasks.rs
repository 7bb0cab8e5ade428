//! The service on a database of each test's own, made by the harness from its Diesel migration
//! folders: what Diesel's test transactions gave, with real commits and in parallel.

// `updated_at` read without a date-time crate: Diesel's `Timestamp` as microseconds.
use diesel::data_types::PgTimestamp;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use harness::TestDatabase;
use harness::diesel_async_0_10::TestDatabaseExt as _;
use tasks_diesel::{add, finish, migrate, open, tasks};

fn titles(tasks: &[tasks_diesel::Task]) -> Vec<&str> {
    tasks.iter().map(|t| t.title.as_str()).collect()
}

#[harness::test]
async fn diesel_finds_every_migration_applied(db: TestDatabase) -> anyhow::Result<()> {
    let ran = migrate(db.url().to_owned())
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    assert!(ran.is_empty(), "Diesel ran {ran:?} again");
    Ok(())
}

// With the `diesel-async-0.10` feature a connection is a parameter of its own.
#[harness::test(fixtures("chores"))]
async fn lists_the_open_tasks_of_the_fixture(mut conn: AsyncPgConnection) -> anyhow::Result<()> {
    assert_eq!(
        titles(&open(&mut conn).await?),
        ["water the plants", "fix the bike"]
    );
    Ok(())
}

#[harness::test(fixtures("chores"))]
async fn a_finished_task_leaves_the_list_and_its_stamp_moves(
    mut conn: AsyncPgConnection,
) -> anyhow::Result<()> {
    let first = open(&mut conn).await?.remove(0);
    let stamp = || tasks::table.find(first.id).select(tasks::updated_at);
    let before: PgTimestamp = stamp().first(&mut conn).await?;
    assert!(finish(&mut conn, first.id).await?);
    assert!(!finish(&mut conn, 9_999).await?);
    assert_eq!(titles(&open(&mut conn).await?), ["fix the bike"]);
    // The trigger from Diesel's initial setup migration is in the template too.
    let after: PgTimestamp = stamp().first(&mut conn).await?;
    assert!(after > before, "{after:?} after {before:?}");
    Ok(())
}

#[harness::test]
async fn an_added_task_is_the_only_one_on_a_fresh_database(db: TestDatabase) -> anyhow::Result<()> {
    // Or made from the database, as a fixture of the team's own would.
    let mut conn = db.establish().await?;
    // The same as the app's own `establish` on the URL.
    AsyncPgConnection::establish(db.url()).await?;
    let task = add(&mut conn, "write the tests").await?;
    assert!(!task.done);
    assert_eq!(titles(&open(&mut conn).await?), ["write the tests"]);
    Ok(())
}
