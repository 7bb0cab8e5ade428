//! `DATABASE_URL=… REDIS_URL=… PORT=8080 visits`: listens on 127.0.0.1:$PORT.

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let var = |name: &str| std::env::var(name).map_err(|_| anyhow::anyhow!("{name} must be set"));
    let port: u16 = var("PORT")?
        .parse()
        .map_err(|e| anyhow::anyhow!("PORT is not a port: {e}"))?;
    let database_url = var("DATABASE_URL")?;
    MIGRATOR
        .run(&sqlx::PgPool::connect(&database_url).await?)
        .await?;
    let app = visits::Application::build(visits::Settings {
        database_url,
        redis_url: var("REDIS_URL")?,
        host: "127.0.0.1".into(),
        port,
    })
    .await?;
    println!("visits listening on 127.0.0.1:{}", app.port());
    app.run_until_stopped().await?;
    Ok(())
}
