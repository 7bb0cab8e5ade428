//! Tasks on Diesel's own blocking `PgConnection` (libpq). The schema is the diesel-async
//! example's: its migration folders are read from there rather than copied.

use diesel::prelude::*;
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
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../diesel/migrations");

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

pub fn add(conn: &mut PgConnection, title: &str) -> QueryResult<Task> {
    diesel::insert_into(tasks::table)
        .values(NewTask { title })
        .returning(Task::as_returning())
        .get_result(conn)
}

/// Mark a task done; whether there was one.
pub fn finish(conn: &mut PgConnection, id: i32) -> QueryResult<bool> {
    let changed = diesel::update(tasks::table.find(id))
        .set(tasks::done.eq(true))
        .execute(conn)?;
    Ok(changed == 1)
}

pub fn open(conn: &mut PgConnection) -> QueryResult<Vec<Task>> {
    tasks::table
        .filter(tasks::done.eq(false))
        .order(tasks::id)
        .select(Task::as_select())
        .load(conn)
}

/// What the service does at start: apply the pending migrations, and say which ran.
pub fn migrate(
    conn: &mut PgConnection,
) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
    let ran = conn.run_pending_migrations(MIGRATIONS)?;
    Ok(ran.iter().map(ToString::to_string).collect())
}
