//! Properties over generated input, each case over real HTTP (so the case counts stay moderate):
//! any valid trace comes back byte for byte, and no input gets a 5xx.

use std::iter::repeat_n;

use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use serde_json::Value;
use serde_json::value::RawValue;
use tunix_rt::Config;

use crate::test_app::{TestApp, example_trace};

/// `cases` cases, or `PROPTEST_CASES` for a deeper search on demand.
fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(ProptestConfig {
        cases,
        // Every shrink step is an HTTP round trip; a bounded search still finds a small case.
        max_shrink_iters: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

/// A string of 1..=`max` characters: usually short, sometimes exactly `max` or exactly one, from
/// all of Unicode (control characters, quotes and backslashes included).
fn text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => vec(any::<char>(), 1..=24).prop_map(String::from_iter),
        1 => (any::<char>(), vec(any::<char>(), 0..8)).prop_map(move |(fill, tail)| {
            repeat_n(fill, max - tail.len()).chain(tail).collect()
        }),
        1 => any::<char>().prop_map(String::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        vec(any::<char>(), 0..12).prop_map(|c| Value::from(String::from_iter(c))),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec((vec(any::<char>(), 0..6), inner), 0..4).prop_map(|members| {
                Value::Object(
                    members
                        .into_iter()
                        .map(|(k, v)| (String::from_iter(k), v))
                        .collect(),
                )
            }),
        ]
    })
}

#[derive(Debug, Clone)]
enum Meta {
    Absent,
    Null,
    /// Members in posting order; keys may repeat, as JSON allows.
    Object(Vec<(String, Value)>),
}

#[derive(Debug, Clone)]
struct GeneratedTrace {
    trace_version: String,
    prompt: String,
    final_answer: String,
    steps: Vec<(u64, String, String)>,
    meta: Meta,
    key_order: Vec<&'static str>,
    step_key_order: Vec<&'static str>,
}

impl GeneratedTrace {
    /// Compact JSON with the generated key orders, as a client might send it.
    fn to_json(&self) -> String {
        let string = |s: &str| serde_json::to_string(s).unwrap();
        let step = |(i, kind, content): &(u64, String, String)| {
            let members: Vec<String> = self
                .step_key_order
                .iter()
                .map(|key| match *key {
                    "i" => format!("\"i\":{i}"),
                    "type" => format!("\"type\":{}", string(kind)),
                    _ => format!("\"content\":{}", string(content)),
                })
                .collect();
            format!("{{{}}}", members.join(","))
        };
        let members: Vec<String> = self
            .key_order
            .iter()
            .filter_map(|key| {
                let value = match *key {
                    "trace_version" => string(&self.trace_version),
                    "prompt" => string(&self.prompt),
                    "final_answer" => string(&self.final_answer),
                    "steps" => {
                        let steps: Vec<String> = self.steps.iter().map(step).collect();
                        format!("[{}]", steps.join(","))
                    }
                    _ => match &self.meta {
                        Meta::Absent => return None,
                        Meta::Null => "null".to_owned(),
                        Meta::Object(members) => {
                            let members: Vec<String> = members
                                .iter()
                                .map(|(k, v)| format!("{}:{}", string(k), v))
                                .collect();
                            format!("{{{}}}", members.join(","))
                        }
                    },
                };
                Some(format!("\"{key}\":{value}"))
            })
            .collect();
        format!("{{{}}}", members.join(","))
    }
}

fn valid_trace() -> impl Strategy<Value = GeneratedTrace> {
    let steps = btree_set(any::<u64>(), 1..=4)
        .prop_map(Vec::from_iter)
        .prop_shuffle()
        .prop_flat_map(|indices| {
            let n = indices.len();
            (Just(indices), vec((text(64), text(20_000)), n))
        })
        .prop_map(|(indices, fields)| {
            indices
                .into_iter()
                .zip(fields)
                .map(|(i, (kind, content))| (i, kind, content))
                .collect::<Vec<_>>()
        });
    let meta = prop_oneof![
        Just(Meta::Absent),
        Just(Meta::Null),
        vec(
            (
                vec(any::<char>(), 0..8).prop_map(String::from_iter),
                json_value()
            ),
            0..5
        )
        .prop_map(Meta::Object),
    ];
    (
        // NUL is the one character trace_version refuses (it has a Postgres text column).
        text(64).prop_filter("no NUL", |version| !version.contains('\0')),
        text(50_000),
        text(50_000),
        steps,
        meta,
        Just(vec![
            "trace_version",
            "prompt",
            "final_answer",
            "steps",
            "meta",
        ])
        .prop_shuffle(),
        Just(vec!["i", "type", "content"]).prop_shuffle(),
    )
        .prop_map(
            |(trace_version, prompt, final_answer, steps, meta, key_order, step_key_order)| {
                GeneratedTrace {
                    trace_version,
                    prompt,
                    final_answer,
                    steps,
                    meta,
                    key_order,
                    step_key_order,
                }
            },
        )
}

#[derive(serde::Deserialize)]
struct Created {
    id: String,
    trace_version: String,
}

#[derive(serde::Deserialize)]
struct Fetched {
    trace_version: String,
    payload: Box<RawValue>,
}

async fn round_trip(app: &TestApp, trace: &GeneratedTrace) -> anyhow::Result<()> {
    let posted = trace.to_json();
    let response = app.post_raw(posted.clone()).await?;
    anyhow::ensure!(
        response.status() == 201,
        "POST answered {}: {}",
        response.status(),
        response.text().await?
    );
    let created: Created = response.json().await?;
    anyhow::ensure!(created.trace_version == trace.trace_version);

    let response = app.get(&format!("/api/traces/{}", created.id)).await?;
    anyhow::ensure!(
        response.status() == 200,
        "GET answered {}",
        response.status()
    );
    let fetched: Fetched = response.json().await?;
    anyhow::ensure!(fetched.trace_version == trace.trace_version);
    anyhow::ensure!(
        fetched.payload.get() == posted,
        "payload differs:\nposted  {posted}\nfetched {}",
        fetched.payload.get()
    );
    Ok(())
}

#[test]
fn any_valid_trace_round_trips_byte_for_byte() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    // Boundary-length strings of escaped characters can exceed the default 1 MiB.
    let config = Config {
        trace_max_bytes: 10 * 1024 * 1024,
        ..Config::default()
    };
    let app = runtime
        .block_on(TestApp::start_with(config))
        .expect("the service starts");
    let result = runner(32).run(&valid_trace(), |trace| {
        runtime
            .block_on(round_trip(&app, &trace))
            .map_err(|err| TestCaseError::fail(format!("{err:#}")))
    });
    let stopped = runtime.block_on(app.stop());
    if let Err(err) = result {
        panic!("{err}");
    }
    stopped.expect("the test database is dropped");
}

/// Bodies a careless or hostile client might send: random bytes, random JSON, and the example
/// trace with one field replaced by a random JSON value.
fn any_body() -> impl Strategy<Value = Vec<u8>> {
    let fields = [
        "/trace_version",
        "/prompt",
        "/final_answer",
        "/steps",
        "/steps/0",
        "/steps/0/i",
        "/steps/0/type",
        "/steps/0/content",
        "/meta",
    ];
    prop_oneof![
        vec(any::<u8>(), 0..256),
        json_value().prop_map(|value| value.to_string().into_bytes()),
        (proptest::sample::select(fields.to_vec()), json_value()).prop_map(|(field, value)| {
            let mut trace = example_trace();
            *trace.pointer_mut(field).expect("the field exists") = value;
            trace.to_string().into_bytes()
        }),
    ]
}

#[test]
fn no_body_gets_a_server_error() {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let app = runtime
        .block_on(TestApp::start())
        .expect("the service starts");
    let result = runner(32).run(&any_body(), |body| {
        let status = runtime
            .block_on(app.post_raw(body))
            .map_err(|err| TestCaseError::fail(format!("{err:#}")))?
            .status();
        prop_assert!(
            [201, 413, 422].contains(&status.as_u16()),
            "answered {status}"
        );
        Ok(())
    });
    let stopped = runtime.block_on(app.stop());
    if let Err(err) = result {
        panic!("{err}");
    }
    stopped.expect("the test database is dropped");
}
