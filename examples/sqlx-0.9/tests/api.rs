//! The service on a database of each test's own, as sqlx 0.9's own `PgPool`: the harness's
//! `sqlx-0.9` adapter, with the service's `sqlx::migrate!()` static as the migrations.

use bookmarks_sqlx09::{MIGRATOR, routes};
use harness::InProcessService;
use serde_json::json;
use sqlx::PgPool;

async fn titles(service: &InProcessService, tag: &str) -> anyhow::Result<Vec<String>> {
    Ok(reqwest::get(format!("{}/tags/{tag}", service.base_url()))
        .await?
        .json()
        .await?)
}

#[harness::test(migrator = MIGRATOR, fixtures("reading_list"))]
async fn finds_the_fixtures_bookmarks_by_tag(pool: PgPool) -> anyhow::Result<()> {
    let service = InProcessService::serve(routes(pool)).await?;
    assert_eq!(titles(&service, "rust").await?, ["The Book"]);
    assert_eq!(titles(&service, "sql").await?, ["PostgreSQL docs"]);
    assert!(titles(&service, "cooking").await?.is_empty());
    Ok(())
}

#[harness::test(migrator = MIGRATOR, fixtures("reading_list"))]
async fn an_added_bookmark_is_found_by_each_of_its_tags(pool: PgPool) -> anyhow::Result<()> {
    let service = InProcessService::serve(routes(pool.clone())).await?;
    let added = reqwest::Client::new()
        .post(format!("{}/bookmarks", service.base_url()))
        .json(&json!({ "url": "https://docs.rs/sqlx", "title": "sqlx", "tags": ["rust", "sql"] }))
        .send()
        .await?;
    assert_eq!(added.status(), 201);
    assert_eq!(titles(&service, "rust").await?, ["The Book", "sqlx"]);
    assert_eq!(titles(&service, "sql").await?, ["PostgreSQL docs", "sqlx"]);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM bookmarks")
        .fetch_one(&pool)
        .await?;
    assert_eq!(count, 3);
    Ok(())
}

/// The harness reads `migrations/` itself (no `migrator`): sqlx 0.9's own migrator then finds
/// both applied, the one outside a transaction included.
#[harness::test]
async fn the_directory_read_by_the_harness_is_what_sqlx_0_9_bookkeeps(
    pool: PgPool,
) -> anyhow::Result<()> {
    let rows = || {
        sqlx::query_as::<_, (i64, String, Vec<u8>)>(
            "SELECT version, description, checksum FROM _sqlx_migrations ORDER BY version",
        )
        .fetch_all(&pool)
    };
    let before = rows().await?;
    let expected: Vec<(i64, String, Vec<u8>)> = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| (m.version, m.description.to_string(), m.checksum.to_vec()))
        .collect();
    assert_eq!(before, expected);
    MIGRATOR.run(&pool).await?;
    assert_eq!(rows().await?, before, "sqlx 0.9 applied nothing");
    Ok(())
}
