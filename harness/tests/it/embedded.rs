//! A durable server over a data directory of the caller's: what a service's `cargo run` uses.

use harness::EmbeddedPostgres;
use sqlx::Connection;

use crate::child::ScratchDir;

#[tokio::test]
async fn data_survives_a_restart_and_the_server_stops_on_request() {
    let scratch = ScratchDir::new("embedded");
    let data = scratch.0.join("pgdata");

    let first = EmbeddedPostgres::start(&data).await.unwrap();
    assert!(
        first.describe().contains("created now"),
        "{}",
        first.describe()
    );
    assert!(
        first.url().contains("@127.0.0.1:"),
        "{}",
        harness::redact(first.url())
    );
    let mut conn = sqlx::PgConnection::connect(first.url()).await.unwrap();
    sqlx::raw_sql("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let port = url::Url::parse(first.url()).unwrap().port().unwrap();
    first.stop().await;
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "stopped means not listening"
    );

    let second = EmbeddedPostgres::start(&data).await.unwrap();
    assert!(
        second.describe().contains("existing data"),
        "{}",
        second.describe()
    );
    let mut conn = sqlx::PgConnection::connect(second.url()).await.unwrap();
    let kept: String = sqlx::query_scalar("SELECT v FROM kept")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(kept, "still here");
    conn.close().await.unwrap();
    second.stop().await;
    assert!(
        data.join("PG_VERSION").is_file(),
        "the data stays after stop"
    );
}
