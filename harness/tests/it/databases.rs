//! Per-test databases on each backend.

use harness::sqlx_0_8::TestDatabaseExt as _;
use harness::{Backend, PostgresServer, TestDatabase};

use crate::MIGRATOR;

async fn migrated_and_isolated(server: &PostgresServer) {
    let a = TestDatabase::on(server, &MIGRATOR).await.unwrap();
    let b = TestDatabase::on(server, &MIGRATOR).await.unwrap();
    assert_ne!(a.name(), b.name());
    assert!(a.url().starts_with("postgres://"));
    assert!(
        a.url().contains("@127.0.0.1:"),
        "{}",
        harness::redact(a.url())
    );
    sqlx::query("INSERT INTO notes (body, tags) VALUES ('only in a', '{x}')")
        .execute(a.pool())
        .await
        .unwrap();
    let in_a: i64 = sqlx::query_scalar("SELECT count(*) FROM notes")
        .fetch_one(a.pool())
        .await
        .unwrap();
    let in_b: i64 = sqlx::query_scalar("SELECT count(*) FROM notes")
        .fetch_one(b.pool())
        .await
        .unwrap();
    assert_eq!((in_a, in_b), (1, 0));
    // The service's own migrator finds every migration applied: the template carries sqlx's table.
    MIGRATOR.run(a.pool()).await.unwrap();
    let name = a.name().to_owned();
    a.close().await.unwrap();
    let admin = PostgresServer::admin_url(server);
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 0, "a closed test database is dropped");
}

#[tokio::test]
async fn local_backend_gives_each_test_a_migrated_database_of_its_own() {
    let server = PostgresServer::shared_with(Backend::Local).await.unwrap();
    assert_eq!(server.backend(), Backend::Local);
    migrated_and_isolated(server).await;
}

#[tokio::test]
async fn external_backend_uses_a_server_it_is_pointed_at() {
    // The "external" server is one this test starts itself: the run's local server.
    let local = PostgresServer::shared_with(Backend::Local).await.unwrap();
    let external = PostgresServer::external(&local.admin_url()).await.unwrap();
    assert_eq!(external.backend(), Backend::External);
    migrated_and_isolated(&external).await;
}

#[tokio::test]
async fn auto_reports_its_choice_and_serves_a_database() {
    let db = TestDatabase::new(&MIGRATOR).await.unwrap();
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(one, 1);
}

/// Tests that need a Docker engine (in a module of that name: a run without one leaves them out by it).
mod docker {
    use super::*;

    #[tokio::test]
    async fn docker_backend_gives_each_test_a_migrated_database_of_its_own() {
        let server = crate::child::docker_server().await;
        assert_eq!(server.backend(), Backend::Docker);
        migrated_and_isolated(server).await;
    }
}

/// Once a template has served one test, the run keeps clones of it ready: a later test's
/// database comes from that pool, as migrated and as much its own as a clone made on demand, and
/// is dropped after it the same way. Taking one is a file's removal, with no round trip.
#[tokio::test]
async fn a_later_database_comes_ready_made_and_as_much_its_own() {
    let server = PostgresServer::shared_with(Backend::Local).await.unwrap();
    let first = TestDatabase::on(server, &MIGRATOR).await.unwrap();
    sqlx::query("INSERT INTO notes (body) VALUES ('only in the first')")
        .execute(first.pool())
        .await
        .unwrap();
    // The clones are made in the background: wait for one, with a deadline.
    let started = std::time::Instant::now();
    let (ready, took) = loop {
        let asked = std::time::Instant::now();
        let db = TestDatabase::on(server, &MIGRATOR).await.unwrap();
        let took = asked.elapsed();
        if db.name().starts_with("t_ready_") {
            break (db, took);
        }
        db.close().await.unwrap();
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "no database came from the pool"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert!(
        took < std::time::Duration::from_millis(50),
        "a ready database is handed out at once, not in {took:?}"
    );
    let (notes, migrations): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM notes), (SELECT count(*) FROM _sqlx_migrations)",
    )
    .fetch_one(ready.pool())
    .await
    .unwrap();
    assert_eq!(
        (notes, migrations),
        (0, 2),
        "migrated, and nothing of the first test's"
    );
    let name = ready.name().to_owned();
    ready.close().await.unwrap();
    first.close().await.unwrap();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&server.admin_url())
        .await
        .unwrap();
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(left, 0, "a pooled database is dropped after its test too");
}
