//! The service on a database of each test's own. Its migrations are Rust code, so the harness
//! runs them through the project's own code (SeaORM's `Migrator::up`), once per run into the
//! template, keyed by the files they are made of.

use std::sync::LazyLock;

use harness::TestDatabase;
use harness::migrate::{self, Custom};
use posts_seaorm::migration::{Migrator, MigratorTrait};
use posts_seaorm::{draft, publish, published};
use sea_orm::{Database, DatabaseConnection};

/// SeaORM's migrations, keyed by their sources: editing one gives the next run a new template.
static MIGRATIONS: LazyLock<Custom> = LazyLock::new(|| {
    migrate::custom_keyed_by_files("src/migration", |db| async move {
        let conn = Database::connect(db.url()).await?;
        Migrator::up(&conn, None).await?;
        conn.close().await
    })
});

async fn connect(db: &TestDatabase) -> anyhow::Result<DatabaseConnection> {
    Ok(Database::connect(db.url()).await?)
}

#[harness::test(migrator = MIGRATIONS)]
async fn seaorm_finds_no_pending_migration(db: TestDatabase) -> anyhow::Result<()> {
    let conn = connect(&db).await?;
    assert!(Migrator::get_pending_migrations(&conn).await?.is_empty());
    Ok(())
}

#[harness::test(migrator = MIGRATIONS, fixtures("posts"))]
async fn lists_what_the_fixture_published(db: TestDatabase) -> anyhow::Result<()> {
    let conn = connect(&db).await?;
    assert_eq!(published(&conn).await?, ["Hello, SeaORM"]);
    Ok(())
}

#[harness::test(migrator = MIGRATIONS, fixtures("posts"))]
async fn a_published_draft_is_listed_after_the_others(db: TestDatabase) -> anyhow::Result<()> {
    let conn = connect(&db).await?;
    let post = draft(&conn, "Fresh").await?;
    assert!(!post.published, "the second migration's default");
    publish(&conn, post.id).await?;
    assert_eq!(published(&conn).await?, ["Hello, SeaORM", "Fresh"]);
    Ok(())
}

#[harness::test(migrator = MIGRATIONS)]
async fn an_empty_database_lists_nothing(db: TestDatabase) -> anyhow::Result<()> {
    let conn = connect(&db).await?;
    assert!(published(&conn).await?.is_empty());
    assert!(publish(&conn, 1).await.is_err());
    Ok(())
}
