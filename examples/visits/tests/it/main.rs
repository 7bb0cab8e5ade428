//! visits' tests, written as an adopter would: only the harness's public API, an actix-web app
//! served in process, Redis from Debian's `redis-server` (shared by the run, or a test's own),
//! and the binary as a child told its port as a bare number. Each test's database has the
//! crate's `migrations/` (the attribute's default); Redis is a fixture of this file's own, and a
//! page seeded in it once per run a run-scoped one.

use actix_web::{App, HttpServer, web};
use harness::sqlx_0_8::TestDatabaseExt as _;
use harness::{
    AddressFormat, ChildService, Fixture, FixtureError, InProcessService, PerRun, Ready, Service,
    TestContext, TestDatabase,
};
use redis::AsyncTypedCommands as _;
use serde_json::Value;

fn redis() -> harness::ServiceBuilder<harness::BinaryService> {
    Service::binary("redis-server")
        .listen_arg_as("--port", AddressFormat::Port)
        .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .ready(Ready::Log("Ready to accept connections".into()))
}

/// The run's Redis, started by the first test that asks and shared by every test of the run:
/// keep a test's keys apart by naming them after something of its own (its database's name).
struct SharedRedis(Service);

impl Fixture for SharedRedis {
    async fn setup(_test: &TestContext) -> Result<Self, FixtureError> {
        Ok(SharedRedis(redis().shared().await?))
    }
}

impl SharedRedis {
    fn url(&self) -> String {
        self.0.url("redis")
    }
}

/// A Redis of the test's own, empty at first, stopped when the test ends (when dropped).
struct OwnRedis(Service);

impl Fixture for OwnRedis {
    async fn setup(_test: &TestContext) -> Result<Self, FixtureError> {
        Ok(OwnRedis(redis().start().await?))
    }
}

impl OwnRedis {
    fn url(&self) -> String {
        self.0.url("redis")
    }
}

/// A page with a long history, seeded once per run in the run's Redis (as a team seeds data that
/// is slow to make and that its tests only read or add to), and removed when the run is over.
#[derive(serde::Serialize, serde::Deserialize)]
struct PopularPage {
    redis_url: String,
    slug: String,
}

const POPULAR_VISITS: i64 = 1_000;

#[harness::run_fixture]
impl harness::RunFixture for PopularPage {
    async fn setup() -> Result<Self, FixtureError> {
        let redis_url = redis().shared().await?.url("redis");
        let slug = format!("popular-{}", std::process::id());
        let mut redis = redis::Client::open(redis_url.as_str())?
            .get_multiplexed_async_connection()
            .await?;
        redis.set(format!("visits:{slug}"), POPULAR_VISITS).await?;
        Ok(PopularPage { redis_url, slug })
    }

    async fn teardown(self) -> Result<(), FixtureError> {
        // The run's Redis may have gone first (it is the run's too): then so has the page.
        let Ok(mut redis) = redis::Client::open(self.redis_url.as_str())?
            .get_multiplexed_async_connection()
            .await
        else {
            return Ok(());
        };
        redis.del(format!("visits:{}", self.slug)).await?;
        Ok(())
    }
}

/// The app in this process: actix-web on the listener the harness bound for it.
async fn serve(state: visits::AppState) -> std::io::Result<InProcessService> {
    InProcessService::start(|listener: std::net::TcpListener, shutdown| async move {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .configure(visits::routes)
        })
        .workers(1)
        // nextest's signals are for the test process, not for the server inside it.
        .disable_signals()
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(async move {
            shutdown.await;
            handle.stop(true).await;
        });
        server.await
    })
    .await
}

async fn post(base: &str, path: &str) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn get(base: &str, path: &str) -> Value {
    let response = reqwest::get(format!("{base}{path}")).await.unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[harness::test(flavor = "multi_thread", worker_threads = 2)]
async fn visits_are_counted_in_redis_and_logged_in_postgres(db: TestDatabase, redis: SharedRedis) {
    let state = visits::AppState::new(db.pool().clone(), &redis.url())
        .await
        .unwrap();
    let app = serve(state).await.unwrap();
    // The run's Redis is shared: a slug of this test's own keeps its counter apart.
    let slug = format!("home-{}", db.name());
    for expected in 1..=3 {
        let visit = post(app.base_url(), &format!("/pages/{slug}/visits")).await;
        assert_eq!(visit["count"], expected);
    }
    let page = get(app.base_url(), &format!("/pages/{slug}")).await;
    assert_eq!(page["count"], 3);
    assert_eq!(page["logged"], 3);
}

#[harness::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_to_the_popular_page_adds_to_its_history(
    db: TestDatabase,
    redis: SharedRedis,
    popular: PerRun<PopularPage>,
) {
    assert_eq!(popular.redis_url, redis.url(), "seeded in the run's Redis");
    let state = visits::AppState::new(db.pool().clone(), &redis.url())
        .await
        .unwrap();
    let app = serve(state).await.unwrap();
    let visit = post(app.base_url(), &format!("/pages/{}/visits", popular.slug)).await;
    assert!(visit["count"].as_i64().unwrap() > POPULAR_VISITS, "{visit}");
    // The visit log is the test's own database's: one row, whatever the page's history.
    assert_eq!(
        get(app.base_url(), &format!("/pages/{}", popular.slug)).await["logged"],
        1
    );
}

/// The app as its binary builds it: `Application::build` binds its own listener (port 0) and
/// reports the port; the harness adopts that server as it is, no change made to the app.
#[harness::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_built_as_its_binary_builds_it_is_adopted(db: TestDatabase, redis: SharedRedis) {
    let app = visits::Application::build(visits::Settings {
        database_url: db.url().to_owned(),
        redis_url: redis.url(),
        host: "127.0.0.1".into(),
        port: 0,
    })
    .await
    .unwrap();
    let port = app.port();
    let app = InProcessService::adopt(("127.0.0.1", port), app.run_until_stopped())
        .await
        .unwrap();
    assert_eq!(app.base_url(), format!("http://127.0.0.1:{port}"));
    let slug = format!("adopted-{}", db.name());
    assert_eq!(
        post(app.base_url(), &format!("/pages/{slug}/visits")).await["count"],
        1
    );
    assert_eq!(
        get(app.base_url(), &format!("/pages/{slug}")).await["logged"],
        1
    );
    app.stop().await;
}

#[harness::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_with_its_own_redis_starts_from_nothing(db: TestDatabase, redis: OwnRedis) {
    let state = visits::AppState::new(db.pool().clone(), &redis.url())
        .await
        .unwrap();
    let app = serve(state).await.unwrap();
    let page = get(app.base_url(), "/pages/home").await;
    assert_eq!(page["count"], 0, "a fresh Redis and a fresh database");
    assert_eq!(page["logged"], 0);
    assert_eq!(post(app.base_url(), "/pages/home/visits").await["count"], 1);
}

#[harness::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_settings_come_in_parts_too(db: TestDatabase) {
    // A service with its own settings struct builds its pool from the parts, nothing parsed.
    let pool = sqlx::PgPool::connect_with(db.connect_options())
        .await
        .unwrap();
    let (name,): (String,) = sqlx::query_as("SELECT current_database()")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(name, db.name());
    assert!(db.url().contains(&format!(":{}/", db.port())));
    pool.close().await;
}

#[harness::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_runs_with_its_port_as_a_bare_number(db: TestDatabase, redis: SharedRedis) {
    let service = ChildService::builder(env!("CARGO_BIN_EXE_visits"))
        .env("DATABASE_URL", db.url())
        .env("REDIS_URL", redis.url())
        .listen_env_as("PORT", AddressFormat::Port)
        .ready_http("/health")
        .start()
        .await
        .unwrap();
    let slug = format!("child-{}", db.name());
    let visit = post(service.base_url(), &format!("/pages/{slug}/visits")).await;
    assert_eq!(visit["count"], 1);
    assert!(service.log().contains("visits listening on 127.0.0.1:"));
}
