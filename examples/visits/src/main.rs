//! `DATABASE_URL=… REDIS_URL=… PORT=8080 visits`: listens on 127.0.0.1:$PORT.

use actix_web::{App, HttpServer, web};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let var = |name: &str| std::env::var(name).map_err(|_| anyhow::anyhow!("{name} must be set"));
    let port: u16 = var("PORT")?
        .parse()
        .map_err(|e| anyhow::anyhow!("PORT is not a port: {e}"))?;
    let pool = sqlx::PgPool::connect(&var("DATABASE_URL")?).await?;
    MIGRATOR.run(&pool).await?;
    let state = visits::AppState::new(pool, &var("REDIS_URL")?).await?;
    println!("visits listening on 127.0.0.1:{port}");
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .configure(visits::routes)
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await?;
    Ok(())
}
