//! The service's API on a database of each test's own, made by the harness from the service's
//! `migrations/` (sqlx's layout, bookkept as sqlx 0.7 does) with no sqlx of the harness's.

use accounts_sqlx07::{app, Account, MIGRATOR};
use harness::{InProcessService, TestDatabase};
use serde_json::json;
use sqlx::PgPool;

/// The service on the test's database, with the project's own sqlx 0.7 pool on its URL.
async fn serve(db: &TestDatabase) -> anyhow::Result<(InProcessService, PgPool)> {
    let pool = PgPool::connect(db.url()).await?;
    let routes = app(pool.clone());
    let service =
        InProcessService::start(|listener: tokio::net::TcpListener, shutdown| async move {
            axum::serve(listener, routes)
                .with_graceful_shutdown(shutdown)
                .await
        })
        .await?;
    Ok((service, pool))
}

#[harness::test(fixtures("team"))]
async fn lists_the_accounts_of_the_fixture(db: TestDatabase) -> anyhow::Result<()> {
    let (service, _pool) = serve(&db).await?;
    let accounts: Vec<Account> = reqwest::get(format!("{}/accounts", service.base_url()))
        .await?
        .json()
        .await?;
    let names: Vec<(&str, &str)> = accounts
        .iter()
        .map(|a| (a.name.as_str(), a.plan.as_str()))
        .collect();
    assert_eq!(names, [("ada", "team"), ("grace", "free")]);
    Ok(())
}

#[harness::test]
async fn creates_an_account_on_an_empty_database(db: TestDatabase) -> anyhow::Result<()> {
    let (service, pool) = serve(&db).await?;
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{}/accounts", service.base_url()))
        .json(&json!({ "name": "linus" }))
        .send()
        .await?;
    assert_eq!(created.status(), 201);
    let account: Account = created.json().await?;
    assert_eq!(
        (account.name.as_str(), account.plan.as_str()),
        ("linus", "free")
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts")
        .fetch_one(&pool)
        .await?;
    assert_eq!(
        stored, 1,
        "no fixture here: the test's database held nothing before"
    );
    Ok(())
}

#[harness::test(fixtures("team"))]
async fn a_taken_name_is_a_conflict_and_a_bad_plan_unprocessable(
    db: TestDatabase,
) -> anyhow::Result<()> {
    let (service, _pool) = serve(&db).await?;
    let http = reqwest::Client::new();
    let post = |body| {
        http.post(format!("{}/accounts", service.base_url()))
            .json(&body)
            .send()
    };
    assert_eq!(post(json!({ "name": "ada" })).await?.status(), 409);
    // The second migration's CHECK is in the template too.
    assert_eq!(
        post(json!({ "name": "new", "plan": "gold" }))
            .await?
            .status(),
        422
    );
    Ok(())
}

#[harness::test]
async fn the_services_own_migrator_finds_every_migration_applied(
    db: TestDatabase,
) -> anyhow::Result<()> {
    let pool = PgPool::connect(db.url()).await?;
    let bookkept = || {
        sqlx::query_as::<_, (i64, Vec<u8>, String)>(
            "SELECT version, checksum, installed_on::text FROM _sqlx_migrations ORDER BY version",
        )
        .fetch_all(&pool)
    };
    let before = bookkept().await?;
    let expected: Vec<(i64, Vec<u8>)> = MIGRATOR
        .iter()
        .map(|m| (m.version, m.checksum.to_vec()))
        .collect();
    let stored: Vec<(i64, Vec<u8>)> = before.iter().map(|r| (r.0, r.1.clone())).collect();
    assert_eq!(stored, expected, "sqlx 0.7's own checksums");
    // What the binary does at start: sqlx 0.7 checks every row and applies nothing.
    MIGRATOR.run(&pool).await?;
    assert_eq!(bookkept().await?, before);
    Ok(())
}

#[harness::test]
async fn the_binary_migrates_nothing_and_serves(db: TestDatabase) -> anyhow::Result<()> {
    let service = harness::ChildService::builder(env!("CARGO_BIN_EXE_accounts-sqlx07"))
        .env("DATABASE_URL", db.url())
        .listen_env("LISTEN_ADDR")
        .ready_http("/accounts")
        .start()
        .await?;
    let accounts: Vec<Account> = reqwest::get(format!("{}/accounts", service.base_url()))
        .await?
        .json()
        .await?;
    assert!(accounts.is_empty());
    Ok(())
}
