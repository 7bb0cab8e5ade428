//! `POST /api/traces`: the 201 shape, every trace rule, 413 and 422.

use std::io::{Read, Write};
use std::time::Duration;

use serde_json::{Value, json};
use tunix_rt::Config;

use crate::test_app::{TestApp, example_trace, trace_with_prompt};

#[harness::test]
async fn a_valid_trace_is_created(app: TestApp) -> anyhow::Result<()> {
    let response = app.post_trace(&example_trace()).await?;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await?;
    let fields: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(fields.len(), 3, "{body}");
    uuid::Uuid::parse_str(body["id"].as_str().unwrap())?;
    chrono::DateTime::parse_from_rfc3339(body["created_at"].as_str().unwrap())?;
    assert_eq!(body["trace_version"], "1.0");
    Ok(())
}

/// One broken rule, where the 422 must point at, and the error type it must name.
struct Broken {
    what: &'static str,
    edit: fn(&mut Value),
    loc: Value,
    kind: &'static str,
}

#[harness::test]
async fn every_trace_rule_is_enforced_with_a_located_422(app: TestApp) -> anyhow::Result<()> {
    let cases = [
        Broken {
            what: "trace_version missing",
            edit: |t| drop(t.as_object_mut().unwrap().remove("trace_version")),
            loc: json!(["body", "trace_version"]),
            kind: "missing",
        },
        Broken {
            what: "trace_version empty",
            edit: |t| t["trace_version"] = json!(""),
            loc: json!(["body", "trace_version"]),
            kind: "string_too_short",
        },
        Broken {
            what: "trace_version 65 chars",
            edit: |t| t["trace_version"] = json!("v".repeat(65)),
            loc: json!(["body", "trace_version"]),
            kind: "string_too_long",
        },
        Broken {
            what: "trace_version with NUL",
            edit: |t| t["trace_version"] = json!("1\u{0}"),
            loc: json!(["body", "trace_version"]),
            kind: "value_error",
        },
        Broken {
            what: "prompt missing",
            edit: |t| drop(t.as_object_mut().unwrap().remove("prompt")),
            loc: json!(["body", "prompt"]),
            kind: "missing",
        },
        Broken {
            what: "prompt empty",
            edit: |t| t["prompt"] = json!(""),
            loc: json!(["body", "prompt"]),
            kind: "string_too_short",
        },
        Broken {
            what: "prompt 50001 chars",
            edit: |t| t["prompt"] = json!("p".repeat(50_001)),
            loc: json!(["body", "prompt"]),
            kind: "string_too_long",
        },
        Broken {
            what: "prompt not a string",
            edit: |t| t["prompt"] = json!(["p"]),
            loc: json!(["body", "prompt"]),
            kind: "string_type",
        },
        Broken {
            what: "final_answer missing",
            edit: |t| drop(t.as_object_mut().unwrap().remove("final_answer")),
            loc: json!(["body", "final_answer"]),
            kind: "missing",
        },
        Broken {
            what: "final_answer empty",
            edit: |t| t["final_answer"] = json!(""),
            loc: json!(["body", "final_answer"]),
            kind: "string_too_short",
        },
        Broken {
            what: "final_answer 50001 chars",
            edit: |t| t["final_answer"] = json!("a".repeat(50_001)),
            loc: json!(["body", "final_answer"]),
            kind: "string_too_long",
        },
        Broken {
            what: "steps missing",
            edit: |t| drop(t.as_object_mut().unwrap().remove("steps")),
            loc: json!(["body", "steps"]),
            kind: "missing",
        },
        Broken {
            what: "steps empty",
            edit: |t| t["steps"] = json!([]),
            loc: json!(["body", "steps"]),
            kind: "too_short",
        },
        Broken {
            what: "1001 steps",
            edit: |t| {
                t["steps"] = (0..1001)
                    .map(|i| json!({"i": i, "type": "t", "content": "c"}))
                    .collect()
            },
            loc: json!(["body", "steps"]),
            kind: "too_long",
        },
        Broken {
            what: "steps not a list",
            edit: |t| t["steps"] = json!({"i": 0}),
            loc: json!(["body", "steps"]),
            kind: "list_type",
        },
        Broken {
            what: "a step that is not an object",
            edit: |t| t["steps"][1] = json!("step"),
            loc: json!(["body", "steps", 1]),
            kind: "model_attributes_type",
        },
        Broken {
            what: "step i missing",
            edit: |t| drop(t["steps"][2].as_object_mut().unwrap().remove("i")),
            loc: json!(["body", "steps", 2, "i"]),
            kind: "missing",
        },
        Broken {
            what: "step i negative",
            edit: |t| t["steps"][2]["i"] = json!(-1),
            loc: json!(["body", "steps", 2, "i"]),
            kind: "greater_than_equal",
        },
        Broken {
            what: "step i not an integer",
            edit: |t| t["steps"][2]["i"] = json!(2.5),
            loc: json!(["body", "steps", 2, "i"]),
            kind: "int_type",
        },
        Broken {
            what: "step i a string",
            edit: |t| t["steps"][2]["i"] = json!("2"),
            loc: json!(["body", "steps", 2, "i"]),
            kind: "int_type",
        },
        Broken {
            what: "step type empty",
            edit: |t| t["steps"][0]["type"] = json!(""),
            loc: json!(["body", "steps", 0, "type"]),
            kind: "string_too_short",
        },
        Broken {
            what: "step type 65 chars",
            edit: |t| t["steps"][0]["type"] = json!("t".repeat(65)),
            loc: json!(["body", "steps", 0, "type"]),
            kind: "string_too_long",
        },
        Broken {
            what: "step content missing",
            edit: |t| drop(t["steps"][4].as_object_mut().unwrap().remove("content")),
            loc: json!(["body", "steps", 4, "content"]),
            kind: "missing",
        },
        Broken {
            what: "step content 20001 chars",
            edit: |t| t["steps"][4]["content"] = json!("c".repeat(20_001)),
            loc: json!(["body", "steps", 4, "content"]),
            kind: "string_too_long",
        },
        Broken {
            what: "step indices not unique",
            edit: |t| t["steps"][3]["i"] = json!(1),
            loc: json!(["body", "steps"]),
            kind: "value_error",
        },
        Broken {
            what: "meta not an object",
            edit: |t| t["meta"] = json!(["a"]),
            loc: json!(["body", "meta"]),
            kind: "dict_type",
        },
    ];

    for case in cases {
        let mut trace = example_trace();
        (case.edit)(&mut trace);
        let response = app.post_trace(&trace).await?;
        assert_eq!(response.status(), 422, "{}", case.what);
        let body: Value = response.json().await?;
        let errors = body["detail"].as_array().expect("a list detail");
        assert_eq!(errors.len(), 1, "{}: {body}", case.what);
        assert_eq!(errors[0]["loc"], case.loc, "{}", case.what);
        assert_eq!(errors[0]["type"], case.kind, "{}", case.what);
        assert!(errors[0]["msg"].is_string(), "{}", case.what);
        if case.loc == json!(["body", "steps"]) && case.kind == "value_error" {
            assert!(errors[0]["msg"].as_str().unwrap().contains("unique"));
        }
    }
    Ok(())
}

#[harness::test]
async fn boundary_lengths_are_accepted(app: TestApp) -> anyhow::Result<()> {
    let mut trace = example_trace();
    trace["trace_version"] = json!("é".repeat(64));
    trace["prompt"] = json!("日".repeat(50_000));
    trace["final_answer"] = json!("a".repeat(50_000));
    trace["steps"][0]["type"] = json!("t".repeat(64));
    trace["steps"][0]["content"] = json!("🦀".repeat(20_000));
    assert_eq!(app.post_trace(&trace).await?.status(), 201);

    let mut trace = example_trace();
    trace["steps"] = (0..1000)
        .map(|i| json!({"i": 999 - i, "type": "t", "content": "c"}))
        .collect();
    assert_eq!(app.post_trace(&trace).await?.status(), 201);

    let mut trace = example_trace();
    trace.as_object_mut().unwrap().remove("meta");
    assert_eq!(app.post_trace(&trace).await?.status(), 201);
    Ok(())
}

#[harness::test]
async fn unknown_fields_are_ignored(app: TestApp) -> anyhow::Result<()> {
    let mut trace = example_trace();
    trace["model"] = json!("gpt");
    trace["steps"][0]["confidence"] = json!(0.9);
    let id = app.create(&trace).await?;

    let stored: Value = app.get(&format!("/api/traces/{id}")).await?.json().await?;
    assert_eq!(stored["payload"], example_trace());
    Ok(())
}

#[harness::test]
async fn bodies_that_are_not_a_trace_object_get_422(app: TestApp) -> anyhow::Result<()> {
    for (body, kind) in [
        ("{\"trace_version\": ", "json_invalid"),
        ("not json", "json_invalid"),
        ("{} {}", "json_invalid"),
        ("", "missing"),
        ("[]", "model_attributes_type"),
        ("42", "model_attributes_type"),
        ("null", "model_attributes_type"),
    ] {
        let response = app.post_raw(body).await?;
        assert_eq!(response.status(), 422, "{body:?}");
        let detail: Value = response.json().await?;
        assert_eq!(detail["detail"][0]["loc"], json!(["body"]), "{body:?}");
        assert_eq!(detail["detail"][0]["type"], kind, "{body:?}");
    }

    let response = app
        .http
        .post(app.url("/api/traces"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(trace_with_prompt("p").to_string())
        .send()
        .await?;
    assert_eq!(response.status(), 422);

    // Unlabelled JSON is accepted, as FastAPI did.
    let response = app
        .http
        .post(app.url("/api/traces"))
        .body(trace_with_prompt("p").to_string())
        .send()
        .await?;
    assert_eq!(response.status(), 201);
    Ok(())
}

const SMALL_LIMIT: usize = 2048;

/// A valid trace padded with trailing whitespace (still valid JSON) to exactly `len` bytes.
fn trace_of_exactly(len: usize) -> String {
    let mut body = trace_with_prompt("padded").to_string();
    assert!(body.len() <= len);
    body.extend(std::iter::repeat_n(' ', len - body.len()));
    body
}

/// The service with `trace_max_bytes` at [`SMALL_LIMIT`], on the test's own database.
/// The service with a small `TRACE_MAX_BYTES`, on the test's database.
async fn small_limit_app(test: &harness::TestContext) -> anyhow::Result<TestApp> {
    let config = Config {
        trace_max_bytes: SMALL_LIMIT,
        ..Config::default()
    };
    TestApp::setup_with(test, config).await
}

#[harness::test]
async fn a_body_over_trace_max_bytes_gets_413(test: harness::TestContext) -> anyhow::Result<()> {
    let app = small_limit_app(&test).await?;
    assert_eq!(
        app.post_raw(trace_of_exactly(SMALL_LIMIT)).await?.status(),
        201
    );

    let response = app.post_raw(trace_of_exactly(SMALL_LIMIT + 1)).await?;
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await?;
    assert!(
        body["detail"].as_str().unwrap().contains("exceeds maximum"),
        "{body}"
    );
    Ok(())
}

#[harness::test]
async fn the_default_limit_is_one_mebibyte(app: TestApp) -> anyhow::Result<()> {
    let response = app.post_raw(trace_of_exactly(1024 * 1024 + 1)).await?;
    assert_eq!(response.status(), 413);
    Ok(())
}

/// A chunked body announces no length: the service must stop reading at the limit and answer 413
/// while the client is still sending, instead of buffering whatever arrives.
#[harness::test]
async fn an_endless_chunked_body_gets_413(test: harness::TestContext) -> anyhow::Result<()> {
    let app = small_limit_app(&test).await?;
    let address = app.service.addr();
    let answer = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
        let mut stream = std::net::TcpStream::connect(address)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        write!(
            stream,
            "POST /api/traces HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\n\r\n"
        )?;
        let chunk = format!("400\r\n{}\r\n", " ".repeat(0x400));
        // Far more than the limit; the server answers long before, and may then close the
        // connection under our writes, which is why write errors end the loop quietly.
        for _ in 0..1024 {
            if stream.write_all(chunk.as_bytes()).is_err() {
                break;
            }
        }
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        Ok(String::from_utf8_lossy(&answer).into_owned())
    })
    .await??;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("exceeds maximum"), "{answer}");
    Ok(())
}
