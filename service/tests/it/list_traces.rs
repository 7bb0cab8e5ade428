//! `GET /api/traces`: pagination, order, list items without payload, and parameter errors.

use rstest::rstest;
use serde_json::Value;

use crate::test_app::{TestApp, trace_with_prompt};

async fn page(app: &TestApp, query: &str) -> anyhow::Result<Value> {
    let response = app.get(&format!("/api/traces{query}")).await?;
    assert_eq!(response.status(), 200, "{query}");
    Ok(response.json().await?)
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[harness::test]
async fn twenty_five_traces_page_by_ten_newest_first(app: TestApp) -> anyhow::Result<()> {
    let mut created = Vec::new();
    for n in 0..25 {
        created.push(
            app.create(&trace_with_prompt(&format!("trace {n}")))
                .await?,
        );
    }
    let newest_first: Vec<String> = created.into_iter().rev().collect();

    let first = page(&app, "?limit=10").await?;
    let second = page(&app, "?limit=10&offset=10").await?;
    let third = page(&app, "?limit=10&offset=20").await?;
    for (page, offset, next) in [
        (&first, 0, Some(10)),
        (&second, 10, Some(20)),
        (&third, 20, None),
    ] {
        assert_eq!(page["pagination"]["limit"], 10);
        assert_eq!(page["pagination"]["offset"], offset);
        assert_eq!(page["pagination"]["next_offset"], serde_json::json!(next));
    }
    assert_eq!(ids(&first).len(), 10);
    assert_eq!(ids(&third).len(), 5);
    let all: Vec<String> = [ids(&first), ids(&second), ids(&third)].concat();
    assert_eq!(all, newest_first);

    let times: Vec<&str> = [&first, &second, &third]
        .iter()
        .flat_map(|page| page["data"].as_array().unwrap())
        .map(|item| item["created_at"].as_str().unwrap())
        .collect();
    let parsed: Vec<_> = times
        .iter()
        .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap())
        .collect();
    assert!(parsed.windows(2).all(|pair| pair[0] >= pair[1]));

    let defaults = page(&app, "").await?;
    assert_eq!(ids(&defaults).len(), 20);
    assert_eq!(defaults["pagination"]["limit"], 20);
    assert_eq!(defaults["pagination"]["offset"], 0);
    assert_eq!(defaults["pagination"]["next_offset"], 20);

    let beyond = page(&app, "?offset=25").await?;
    assert!(ids(&beyond).is_empty());
    assert!(beyond["pagination"]["next_offset"].is_null());

    let exact = page(&app, "?limit=25").await?;
    assert_eq!(ids(&exact).len(), 25);
    assert!(exact["pagination"]["next_offset"].is_null());
    Ok(())
}

#[harness::test]
async fn list_items_have_no_payload(app: TestApp) -> anyhow::Result<()> {
    app.create(&trace_with_prompt("p")).await?;
    let list = page(&app, "").await?;
    let item = list["data"][0].as_object().unwrap();
    let mut fields: Vec<&str> = item.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["created_at", "id", "trace_version"]);
    Ok(())
}

#[harness::test]
async fn an_empty_list_has_no_next_page(app: TestApp) -> anyhow::Result<()> {
    let list = page(&app, "").await?;
    assert_eq!(list["data"], serde_json::json!([]));
    assert!(list["pagination"]["next_offset"].is_null());
    Ok(())
}

// A case each, so that a failure names its query (and each gets an app of its own).
#[rstest]
#[case::limit_zero("?limit=0", "limit")]
#[case::limit_above_100("?limit=101", "limit")]
#[case::limit_negative("?limit=-5", "limit")]
#[case::limit_not_a_number("?limit=ten", "limit")]
#[case::limit_empty("?limit=", "limit")]
#[case::offset_negative("?offset=-1", "offset")]
#[case::offset_not_a_number("?offset=x", "offset")]
#[case::offset_negative_with_a_limit("?limit=10&offset=-1", "offset")]
#[harness::test]
async fn limit_and_offset_out_of_range_get_422_naming_them(
    #[case] query: &str,
    #[case] name: &str,
    #[ignore] app: TestApp,
) -> anyhow::Result<()> {
    let response = app.get(&format!("/api/traces{query}")).await?;
    assert_eq!(response.status(), 422, "{query}");
    let body: Value = response.json().await?;
    assert!(
        body["detail"].as_str().unwrap().contains(name),
        "{query}: {body}"
    );
    Ok(())
}

#[harness::test]
async fn limit_and_offset_in_range_are_accepted(app: TestApp) -> anyhow::Result<()> {
    for query in ["?limit=1", "?limit=100", "?offset=0"] {
        assert_eq!(
            app.get(&format!("/api/traces{query}")).await?.status(),
            200,
            "{query}"
        );
    }
    Ok(())
}
