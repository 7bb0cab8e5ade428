//! The notes service, tested only through the harness's public API: each test gets a database
//! of its own with the crate's `migrations/` (the attribute's default), and its browser test is in
//! a module named `e2e`, by which a run without a browser leaves it out.

use harness::sqlx_0_8::TestDatabaseExt as _;
use harness::{ChildService, InProcessService, TestDatabase};
use notes::Note;

#[harness::test]
async fn its_own_migrations_are_applied_in_a_database_of_its_own(db: TestDatabase) {
    let inbox: String = sqlx::query_scalar("SELECT name FROM notebooks")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(inbox, "inbox", "the seed row of the first migration");
    let notes: i64 = sqlx::query_scalar("SELECT count(*) FROM notes")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(notes, 0);
}

#[harness::test]
async fn notes_round_trip_in_process(db: TestDatabase) {
    let app = InProcessService::serve(notes::app(db.pool().clone()))
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{}/notes", app.base_url()))
        .json(&serde_json::json!({ "text": "buy milk" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let too_long = client
        .post(format!("{}/notes", app.base_url()))
        .json(&serde_json::json!({ "text": "x".repeat(501) }))
        .send()
        .await
        .unwrap();
    assert_eq!(too_long.status(), 422);
    let listed: Vec<Note> = client
        .get(format!("{}/notes", app.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed.iter().map(|n| n.text.as_str()).collect::<Vec<_>>(),
        ["buy milk"]
    );
}

#[harness::test]
async fn the_binary_listens_where_told_by_flag_and_is_probed_on_its_own_path(db: TestDatabase) {
    let service = ChildService::builder(env!("CARGO_BIN_EXE_notes"))
        .env("NOTES_DATABASE_URL", db.url())
        .listen_arg("--bind")
        .ready_http("/healthz")
        .start()
        .await
        .unwrap();
    assert!(service.base_url().starts_with("http://127.0.0.1:"));
    let listed: Vec<Note> = reqwest::get(format!("{}/notes", service.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed.is_empty());
    assert!(
        service
            .log()
            .contains("notes listening on http://127.0.0.1:"),
        "{}",
        service.log()
    );
}

/// Browser tests, by the module's name.
mod e2e {
    use harness::browser::Browser;

    use super::*;

    #[harness::test]
    async fn a_note_saved_in_the_page_shows_in_its_list(db: TestDatabase, browser: Browser) {
        let app = InProcessService::serve(notes::app(db.pool().clone()))
            .await
            .unwrap();
        browser.goto(app.base_url()).await.unwrap();
        browser.expect("h1").to_contain_text("Notes").await.unwrap();
        browser.expect(".note").to_have_count(0).await.unwrap();
        browser.fill("#text", "water the plants").await.unwrap();
        browser.click("#save").await.unwrap();
        browser
            .expect(".note")
            .to_contain_text("water the plants")
            .await
            .unwrap();
        browser.expect(".note").to_have_count(1).await.unwrap();
        let stored: String = sqlx::query_scalar("SELECT text FROM notes")
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(stored, "water the plants");
    }
}
