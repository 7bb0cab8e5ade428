//! Tasks: a small Diesel service on diesel-async (tokio-postgres underneath, no libpq).

use diesel::prelude::*;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

diesel::table! {
    tasks (id) {
        id -> Int4,
        title -> Text,
        done -> Bool,
        updated_at -> Timestamp,
    }
}

/// The service's migrations, embedded as Diesel does.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!();

#[derive(Debug, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = tasks)]
pub struct Task {
    pub id: i32,
    pub title: String,
    pub done: bool,
}

#[derive(Insertable)]
#[diesel(table_name = tasks)]
struct NewTask<'a> {
    title: &'a str,
}

pub async fn add(conn: &mut AsyncPgConnection, title: &str) -> QueryResult<Task> {
    diesel::insert_into(tasks::table)
        .values(NewTask { title })
        .returning(Task::as_returning())
        .get_result(conn)
        .await
}

/// Mark a task done; whether there was one.
pub async fn finish(conn: &mut AsyncPgConnection, id: i32) -> QueryResult<bool> {
    let changed = diesel::update(tasks::table.find(id))
        .set(tasks::done.eq(true))
        .execute(conn)
        .await?;
    Ok(changed == 1)
}

pub async fn open(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Task>> {
    tasks::table
        .filter(tasks::done.eq(false))
        .order(tasks::id)
        .select(Task::as_select())
        .load(conn)
        .await
}

/// What the service does at start: apply the pending migrations, and say which ran.
pub async fn migrate(url: String) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)?;
        let ran = conn.run_pending_migrations(MIGRATIONS)?;
        Ok(ran.iter().map(ToString::to_string).collect())
    })
    .await?
}
