//! The tasks service under the harness: each test's database comes from the service's own
//! refinery files (bookkept as refinery does), handed out as tokio-postgres's and deadpool's own
//! types.

use deadpool_postgres::Pool;
use harness::InProcessService;
use harness::deadpool_postgres_0_14::TestDatabaseExt as _;
use harness::tokio_postgres_0_7::TestDatabaseExt as _;
use serde_json::json;
use tokio_postgres::Client;

#[harness::test]
async fn the_services_own_refinery_run_finds_every_migration_applied(
    db: harness::TestDatabase,
) -> anyhow::Result<()> {
    let mut client = db.connect().await?;
    assert_eq!(tasks::migrate(&mut client).await?, 0);
    let versions: Vec<i32> = client
        .query(
            "SELECT version FROM refinery_schema_history ORDER BY version",
            &[],
        )
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, [1, 2]);
    Ok(())
}

#[harness::test]
async fn a_client_parameter_is_a_connection_to_the_tests_own_database(
    client: Client,
) -> anyhow::Result<()> {
    let name: String = client
        .query_one("SELECT current_database()", &[])
        .await?
        .get(0);
    assert!(name.starts_with("t_"), "{name}");
    client
        .execute("INSERT INTO tasks (title) VALUES ('only here')", &[])
        .await?;
    let count: i64 = client
        .query_one("SELECT count(*) FROM tasks", &[])
        .await?
        .get(0);
    assert_eq!(count, 1, "another test's rows are in this database");
    Ok(())
}

async fn open_tasks(
    http: &reqwest::Client,
    app: &InProcessService,
) -> reqwest::Result<Vec<String>> {
    http.get(format!("{}/tasks", app.base_url()))
        .send()
        .await?
        .json()
        .await
}

#[harness::test(fixtures("chores"))]
async fn the_api_serves_a_deadpool_on_the_tests_database(pool: Pool) -> anyhow::Result<()> {
    let app = InProcessService::serve(tasks::routes(pool)).await?;
    let http = reqwest::Client::new();
    assert_eq!(open_tasks(&http, &app).await?, ["water the plants"]);

    let id: i64 = http
        .post(format!("{}/tasks", app.base_url()))
        .json(&json!({"title": "buy bread"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let done = http
        .post(format!("{}/tasks/{id}/done", app.base_url()))
        .send()
        .await?;
    assert_eq!(done.status(), 204);
    let missing = http
        .post(format!("{}/tasks/999999/done", app.base_url()))
        .send()
        .await?;
    assert_eq!(missing.status(), 404);
    let empty = http
        .post(format!("{}/tasks", app.base_url()))
        .json(&json!({"title": " "}))
        .send()
        .await?;
    assert_eq!(empty.status(), 422);

    assert_eq!(open_tasks(&http, &app).await?, ["water the plants"]);
    Ok(())
}

#[harness::test]
async fn a_deadpool_of_the_database_sees_its_migrations_and_names_it(
    db: harness::TestDatabase,
) -> anyhow::Result<()> {
    let pool = db.deadpool();
    let client = pool.get().await?;
    let due: Option<String> = client
        .query_one(
            "SELECT data_type FROM information_schema.columns \
             WHERE table_name = 'tasks' AND column_name = 'due'",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(due.as_deref(), Some("date"));
    assert_eq!(db.config().get_dbname(), Some(db.name()));
    Ok(())
}
