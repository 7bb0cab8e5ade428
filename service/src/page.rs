//! The web page at `/`: plain HTML, CSS and JavaScript compiled into the binary, no build step.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::{IntoResponse, Response};

const INDEX_TEMPLATE: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const STYLE_CSS: &str = include_str!("page/style.css");
/// The trace behind "Load Example"; the same file the tests use.
pub const EXAMPLE_TRACE: &str = include_str!("../../fixtures/example-trace.json");

/// The page with the example trace inlined as a JSON data block. `</` is escaped (`<\/` means the
/// same in JSON) so no string in the trace can close the script element.
static INDEX_HTML: LazyLock<String> = LazyLock::new(|| {
    INDEX_TEMPLATE.replace("{{EXAMPLE_TRACE}}", &EXAMPLE_TRACE.replace("</", "<\\/"))
});

// Scripts and styles come from our own files only, so injected markup could not run anyway.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

fn asset(content_type: &'static str, body: impl IntoResponse) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // Small, and must change with the binary: no stale page after an upgrade.
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        ],
        body,
    )
        .into_response()
}

pub(crate) async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML.as_str())
}

pub(crate) async fn script() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

pub(crate) async fn stylesheet() -> Response {
    asset("text/css; charset=utf-8", STYLE_CSS)
}

pub(crate) async fn example_trace() -> Response {
    asset("application/json", EXAMPLE_TRACE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_trace_is_a_valid_trace() {
        let trace = crate::trace::validate(EXAMPLE_TRACE.as_bytes()).expect("valid example");
        let payload: serde_json::Value = serde_json::from_str(&trace.payload).unwrap();
        assert_eq!(payload["prompt"], "Convert 68°F to Celsius");
        assert_eq!(payload["final_answer"], "20°C");
        let steps = payload["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 5);
        for (n, step) in steps.iter().enumerate() {
            assert_eq!(step["i"], n);
        }
        assert!(payload["meta"].is_object());
    }

    #[test]
    fn the_page_meets_its_dom_contract() {
        for hook in [
            "<h1>Tunix RT</h1>",
            "id=\"trace-json\"",
            ">Load Example</button>",
            ">Upload</button>",
            ">Fetch</button>",
            "API Status",
            "RediAI Integration",
            "src=\"/app.js\"",
        ] {
            assert!(INDEX_TEMPLATE.contains(hook), "missing {hook}");
        }
        assert_eq!(INDEX_TEMPLATE.matches("class=\"status-card").count(), 2);
        for hook in [
            "data-testid",
            "api-status",
            "redi-status",
            "status-healthy",
            "status-down",
            "status-loading",
            "Loading...",
            "trace-success",
            "trace-error",
            "trace-result",
            "Success! Trace uploaded with ID: ",
            "Upload failed: ",
            "Invalid JSON format",
            "Fetch failed: ",
            "30000",
        ] {
            assert!(
                APP_JS.contains(hook) || INDEX_TEMPLATE.contains(hook),
                "missing {hook}"
            );
        }
        // Every dynamic text goes through textContent; innerHTML would allow markup injection.
        assert!(!APP_JS.contains("innerHTML"));
    }

    #[test]
    fn the_example_is_inlined_and_cannot_close_its_script_element() {
        assert!(INDEX_HTML.contains("Convert 68°F to Celsius"));
        assert!(!INDEX_HTML.contains("{{EXAMPLE_TRACE}}"));
        let inlined = INDEX_HTML.split("id=\"example-trace\">").nth(1).unwrap();
        assert_eq!(inlined.find("</"), inlined.find("</script>"));
    }
}
