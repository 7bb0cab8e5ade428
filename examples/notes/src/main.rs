//! `notes --bind 127.0.0.1:PORT` with `NOTES_DATABASE_URL` set.

use anyhow::Context;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut bind = "127.0.0.1:3000".to_owned();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bind" => bind = args.next().context("--bind needs an address")?,
            other => anyhow::bail!("unknown argument {other} (usage: notes [--bind IP:PORT])"),
        }
    }
    let url = std::env::var("NOTES_DATABASE_URL").context("NOTES_DATABASE_URL is not set")?;
    let pool = sqlx::PgPool::connect(&url)
        .await
        .context("cannot connect to NOTES_DATABASE_URL")?;
    notes::MIGRATOR
        .run(&pool)
        .await
        .context("migrations failed")?;
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    println!("notes listening on http://{bind}");
    axum::serve(listener, notes::app(pool)).await?;
    Ok(())
}
