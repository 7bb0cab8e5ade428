//! `GET /api/traces/{id}`: the stored trace, 404 and 422.

use serde_json::value::RawValue;
use serde_json::{Value, json};

use crate::test_app::{TestApp, example_trace};

#[harness::test]
async fn a_created_trace_is_returned_with_its_payload(app: TestApp) -> anyhow::Result<()> {
    let created: Value = app.post_trace(&example_trace()).await?.json().await?;
    let id = created["id"].as_str().unwrap();

    let response = app.get(&format!("/api/traces/{id}")).await?;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await?;
    let mut fields: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["created_at", "id", "payload", "trace_version"]);
    assert_eq!(body["id"], created["id"]);
    assert_eq!(body["created_at"], created["created_at"]);
    assert_eq!(body["trace_version"], "1.0");
    assert_eq!(body["payload"], example_trace());
    Ok(())
}

#[harness::test]
async fn the_payload_comes_back_as_posted_byte_for_byte(app: TestApp) -> anyhow::Result<()> {
    // Key order that is neither alphabetical nor jsonb's, escapes, a number beyond f64, unicode.
    let posted = r#"{"steps":[{"type":"t","i":7,"content":"a\"b\\c\u0000d"}],"prompt":"Ünïcödé 🦀 \u2028","meta":{"z":1.50,"a":[true,null],"big":123456789012345678901234567890,"nested":{"y":{},"x":[]}},"final_answer":"42","trace_version":"v1"}"#;
    let created: Value = app.post_raw(posted).await?.json().await?;
    let id = created["id"].as_str().unwrap();

    #[derive(serde::Deserialize)]
    struct Detail {
        payload: Box<RawValue>,
    }
    let detail: Detail = app.get(&format!("/api/traces/{id}")).await?.json().await?;
    assert_eq!(detail.payload.get(), posted);
    Ok(())
}

#[harness::test]
async fn an_unknown_id_gets_404(app: TestApp) -> anyhow::Result<()> {
    let id = uuid::Uuid::new_v4();
    let response = app.get(&format!("/api/traces/{id}")).await?;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.json::<Value>().await?,
        json!({"detail": format!("Trace with id {id} not found")})
    );
    Ok(())
}

#[harness::test]
async fn a_malformed_id_gets_422(app: TestApp) -> anyhow::Result<()> {
    for id in [
        "not-a-uuid",
        "123",
        "00000000-0000-0000-0000-00000000000g",
        "%FF%FE",
    ] {
        let response = app.get(&format!("/api/traces/{id}")).await?;
        assert_eq!(response.status(), 422, "{id}");
        let body: Value = response.json().await?;
        assert_eq!(
            body["detail"][0]["loc"],
            json!(["path", "trace_id"]),
            "{id}"
        );
        assert_eq!(body["detail"][0]["type"], "uuid_parsing", "{id}");
    }
    Ok(())
}
