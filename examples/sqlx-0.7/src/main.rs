//! The service's binary: migrates its database at start, then serves.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set")?;
    let listen = std::env::var("LISTEN_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    let pool = sqlx::PgPool::connect(&url).await?;
    accounts_sqlx07::MIGRATOR.run(&pool).await?;
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    axum::serve(listener, accounts_sqlx07::app(pool)).await?;
    Ok(())
}
