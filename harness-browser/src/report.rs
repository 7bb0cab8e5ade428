//! A failed browser test's report: one self-contained HTML page (`report.html`, images inlined)
//! listing every step with its duration, outcome and a screenshot after it, then the console, the
//! service log and the failed test's database dump; and `index.html` over all failed tests.
//! It opens from a CI artifact in any browser, with no server and nothing else to install.

use std::fmt::Write as _;
use std::time::Duration;

use base64::Engine as _;

use super::session::ConsoleEntry;

/// One action or assertion of a test, as the report lists it.
#[derive(Debug, Clone)]
pub(crate) struct StepRecord {
    /// e.g. `click role button named "Upload"`.
    pub(crate) description: String,
    /// When it started, from the session's start.
    pub(crate) at: Duration,
    pub(crate) took: Duration,
    /// `Err` holds the error, in words.
    pub(crate) outcome: Result<(), String>,
    /// The page after the step (PNG), unless turned off; filled in when a screenshot taken in
    /// the background arrives.
    pub(crate) screenshot: Shot,
}

/// A visual comparison that failed: the baseline, the page and their difference (PNG each).
#[derive(Debug, Clone)]
pub(crate) struct Comparison {
    /// The screenshot's name, as the test gave it.
    pub(crate) name: String,
    pub(crate) baseline: std::path::PathBuf,
    /// How they differ, in words.
    pub(crate) summary: String,
    pub(crate) expected: Vec<u8>,
    pub(crate) actual: Vec<u8>,
    /// `None` when their sizes differ.
    pub(crate) diff: Option<Vec<u8>>,
}

/// What the report shows besides the steps.
pub(crate) struct ReportInput<'a> {
    pub(crate) test: &'a str,
    pub(crate) reason: &'a str,
    pub(crate) page_url: &'a str,
    pub(crate) steps: &'a [StepRecord],
    pub(crate) final_screenshot: Option<&'a [u8]>,
    pub(crate) comparisons: &'a [Comparison],
    pub(crate) console: &'a [ConsoleEntry],
    pub(crate) service_log: Option<&'a str>,
    /// Files beside the report (the page's HTML, database dumps), linked by name.
    pub(crate) files: Vec<String>,
    pub(crate) notes: &'a str,
}

use harness_core::artifacts::escape_html as escape;

/// A step's screenshot: set once, perhaps after the step was recorded.
pub(crate) type Shot = std::sync::Arc<std::sync::OnceLock<Vec<u8>>>;

/// A PNG, or a step's JPEG (`FF D8` first), inlined.
fn png_data_uri(image: &[u8]) -> String {
    let kind = if image.starts_with(&[0xFF, 0xD8]) {
        "jpeg"
    } else {
        "png"
    };
    format!(
        "data:image/{kind};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(image)
    )
}

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1b1b;max-width:1200px}\
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin-top:2rem}\
.why{background:#fdecea;border-left:4px solid #c62828;padding:.6rem .9rem;white-space:pre-wrap;font-family:ui-monospace,monospace}\
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}\
tr.failed td{background:#fdecea}.ok{color:#2e7d32}.err{color:#c62828;white-space:pre-wrap;font-family:ui-monospace,monospace}\
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
img.thumb{width:160px;border:1px solid #ccc}img.full{max-width:100%;border:1px solid #ccc}\
pre{background:#f6f8fa;padding:.8rem;overflow:auto;max-height:30rem}code{font-family:ui-monospace,monospace}";

/// The report page of one failed test.
pub(crate) fn render(input: &ReportInput<'_>) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} failed</title>\
         <style>{STYLE}</style></head><body><p><a href=\"../index.html\">All failed tests</a></p>\
         <h1>{}</h1><p>Failed on page <code>{}</code></p><div class=\"why\">{}</div>",
        escape(input.test),
        escape(input.test),
        escape(input.page_url),
        escape(input.reason)
    );
    let _ = write!(
        html,
        "<h2>Steps ({})</h2><table><tr><th>#</th><th>step</th><th class=\"num\">at</th>\
         <th class=\"num\">took</th><th>outcome</th><th>after it</th></tr>",
        input.steps.len()
    );
    for (i, step) in input.steps.iter().enumerate() {
        let (class, outcome) = match &step.outcome {
            Ok(()) => ("", "<span class=\"ok\">ok</span>".to_owned()),
            Err(e) => (
                " class=\"failed\"",
                format!("<span class=\"err\">{}</span>", escape(e)),
            ),
        };
        let shot = step.screenshot.get().map_or(String::new(), |png| {
            format!(
                "<details><summary><img class=\"thumb\" alt=\"after step {n}\" src=\"{uri}\"></summary>\
                 <img class=\"full\" alt=\"after step {n}\" src=\"{uri}\"></details>",
                n = i + 1,
                uri = png_data_uri(png)
            )
        });
        let _ = write!(
            html,
            "<tr{class}><td class=\"num\">{}</td><td><code>{}</code></td><td class=\"num\">{:.3} s</td>\
             <td class=\"num\">{} ms</td><td>{outcome}</td><td>{shot}</td></tr>",
            i + 1,
            escape(&step.description),
            step.at.as_secs_f64(),
            step.took.as_millis()
        );
    }
    html.push_str("</table>");
    if input.steps.is_empty() {
        html.push_str("<p>No step was recorded: the test failed before its first action.</p>");
    }
    for comparison in input.comparisons {
        let _ = write!(
            html,
            "<h2>Screenshot <code>{}</code>: not as its baseline</h2><p>{} (baseline <code>{}</code>)</p>\
             <table><tr><th>baseline</th><th>the page</th><th>difference</th></tr><tr>",
            escape(&comparison.name),
            escape(&comparison.summary),
            escape(&comparison.baseline.display().to_string())
        );
        for (png, what) in [
            (Some(&comparison.expected), "baseline"),
            (Some(&comparison.actual), "the page"),
            (comparison.diff.as_ref(), "difference"),
        ] {
            match png {
                Some(png) => {
                    let _ = write!(
                        html,
                        "<td><img class=\"full\" alt=\"{what}\" src=\"{}\"></td>",
                        png_data_uri(png)
                    );
                }
                None => html.push_str("<td>(the sizes differ)</td>"),
            }
        }
        html.push_str("</tr></table>");
    }
    html.push_str("<h2>The page when the test failed</h2>");
    match input.final_screenshot {
        Some(png) => {
            let _ = write!(
                html,
                "<img class=\"full\" alt=\"the page at the failure\" src=\"{}\">",
                png_data_uri(png)
            );
        }
        None => html.push_str("<p>No screenshot could be taken (see the notes).</p>"),
    }
    let _ = write!(html, "<h2>Console ({} messages)</h2>", input.console.len());
    if input.console.is_empty() {
        html.push_str("<p>Nothing was logged.</p>");
    } else {
        html.push_str("<table><tr><th>level</th><th>source</th><th>message</th></tr>");
        for entry in input.console {
            let _ = write!(
                html,
                "<tr{}><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                if entry.level == "SEVERE" {
                    " class=\"failed\""
                } else {
                    ""
                },
                escape(&entry.level),
                escape(&entry.source),
                escape(&entry.message)
            );
        }
        html.push_str("</table>");
    }
    html.push_str("<h2>Service log</h2>");
    match input.service_log {
        Some(log) if !log.trim().is_empty() => {
            let _ = write!(html, "<pre>{}</pre>", escape(log));
        }
        _ => html.push_str("<p>No service log was captured.</p>"),
    }
    html.push_str("<h2>Files</h2><ul>");
    for file in &input.files {
        let _ = write!(
            html,
            "<li><a href=\"{f}\">{f}</a>{}</li>",
            if file.ends_with(".sql") {
                " (the failed test's database, by pg_dump: <code>psql -f</code> it into an empty database)"
            } else {
                ""
            },
            f = escape(file)
        );
    }
    html.push_str("</ul>");
    if !input.notes.trim().is_empty() {
        let _ = write!(html, "<h2>Notes</h2><pre>{}</pre>", escape(input.notes));
    }
    html.push_str("</body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(description: &str, outcome: Result<(), String>) -> StepRecord {
        StepRecord {
            description: description.into(),
            at: Duration::from_millis(1250),
            took: Duration::from_millis(42),
            outcome,
            screenshot: std::sync::Arc::new(std::sync::OnceLock::from(vec![
                0x89, b'P', b'N', b'G',
            ])),
        }
    }

    #[test]
    fn a_report_lists_each_step_with_its_outcome_and_escapes_the_page_s_text() {
        let steps = [
            step("click css \"#go\"", Ok(())),
            step(
                "expect css \"<b>\" to be visible",
                Err("waited 5s & gave up".into()),
            ),
        ];
        let console = [ConsoleEntry {
            level: "SEVERE".into(),
            message: "Uncaught <script>".into(),
            source: "javascript".into(),
            timestamp: 1,
        }];
        let html = render(&ReportInput {
            test: "e2e::upload",
            reason: "the test panicked",
            page_url: "http://127.0.0.1:1/?a=1&b=2",
            steps: &steps,
            final_screenshot: None,
            comparisons: &[],
            console: &console,
            service_log: Some("INFO started <ok>"),
            files: vec!["page.html".into(), "database-t1.sql".into()],
            notes: "",
        });
        assert!(html.contains("<h2>Steps (2)</h2>"), "{html}");
        assert!(
            html.contains("<code>click css &quot;#go&quot;</code>"),
            "{html}"
        );
        assert!(html.contains("<td class=\"num\">1.250 s</td><td class=\"num\">42 ms</td>"));
        assert!(
            html.contains("<tr class=\"failed\"><td class=\"num\">2</td>"),
            "{html}"
        );
        assert!(html.contains("waited 5s &amp; gave up"), "{html}");
        assert!(
            html.contains("src=\"data:image/png;base64,iVBORw==\""),
            "{html}"
        );
        assert!(html.contains("Uncaught &lt;script&gt;"), "{html}");
        assert!(html.contains("INFO started &lt;ok&gt;"), "{html}");
        assert!(html.contains("<a href=\"database-t1.sql\">database-t1.sql</a> (the failed"));
        assert!(
            !html.contains("<script>"),
            "nothing of the page runs in the report"
        );
    }
}
