//! visits: counts page visits in Redis (fast) and logs each in Postgres (durable). An actix-web
//! app, so that the harness is shown serving a framework other than axum.

use actix_web::{HttpResponse, web};
use redis::AsyncTypedCommands;
use serde_json::json;
use sqlx::PgPool;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The visit log.
    pub pool: PgPool,
    /// The counters.
    pub redis: redis::aio::MultiplexedConnection,
}

impl AppState {
    /// Connect to Redis at `redis_url` (`redis://127.0.0.1:6379/`).
    pub async fn new(pool: PgPool, redis_url: &str) -> anyhow::Result<AppState> {
        let client = redis::Client::open(redis_url)?;
        let redis = client.get_multiplexed_async_connection().await?;
        Ok(AppState { pool, redis })
    }
}

/// What the binary is given: where its database and Redis are, and where to listen (port `0`:
/// any free one).
pub struct Settings {
    /// `postgres://…`.
    pub database_url: String,
    /// `redis://…`.
    pub redis_url: String,
    /// The address to bind, `127.0.0.1`.
    pub host: String,
    /// The port; `0` for any.
    pub port: u16,
}

/// The app as many services build theirs: it binds its own listener and reports the port it
/// got, and runs when asked. The binary runs it; the tests adopt it as it is
/// (`InProcessService::adopt`), with no change made for them.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
}

impl Application {
    /// Connect, bind, and make the server (not yet running).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let pool = PgPool::connect(&settings.database_url).await?;
        let state = AppState::new(pool, &settings.redis_url).await?;
        let listener = std::net::TcpListener::bind((settings.host.as_str(), settings.port))?;
        let port = listener.local_addr()?.port();
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(web::Data::new(state.clone()))
                .configure(routes)
        })
        .listen(listener)?
        .run();
        Ok(Application { port, server })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serve until the server is stopped.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The routes, for `App::new().configure(visits::routes)`.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/health", web::get().to(health))
        .route("/pages/{slug}/visits", web::post().to(visit))
        .route("/pages/{slug}", web::get().to(page));
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "healthy"}))
}

fn failed(what: &str, error: impl std::fmt::Display) -> HttpResponse {
    eprintln!("visits: {what}: {error}");
    HttpResponse::ServiceUnavailable().json(json!({"detail": format!("{what} failed")}))
}

async fn visit(state: web::Data<AppState>, slug: web::Path<String>) -> HttpResponse {
    let mut redis = state.redis.clone();
    let count = match redis.incr(format!("visits:{slug}"), 1).await {
        Ok(count) => count,
        Err(e) => return failed("counting", e),
    };
    if let Err(e) = sqlx::query("INSERT INTO visits (slug) VALUES ($1)")
        .bind(slug.as_str())
        .execute(&state.pool)
        .await
    {
        return failed("logging", e);
    }
    HttpResponse::Created().json(json!({"slug": slug.as_str(), "count": count}))
}

async fn page(state: web::Data<AppState>, slug: web::Path<String>) -> HttpResponse {
    let mut redis = state.redis.clone();
    let count: i64 = match redis.get(format!("visits:{slug}")).await {
        Ok(count) => count.and_then(|c| c.parse().ok()).unwrap_or(0),
        Err(e) => return failed("counting", e),
    };
    let logged: i64 = match sqlx::query_scalar("SELECT count(*) FROM visits WHERE slug = $1")
        .bind(slug.as_str())
        .fetch_one(&state.pool)
        .await
    {
        Ok(n) => n,
        Err(e) => return failed("reading the log", e),
    };
    HttpResponse::Ok().json(json!({"slug": slug.as_str(), "count": count, "logged": logged}))
}
