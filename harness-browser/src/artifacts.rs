//! What a failed browser test leaves for whoever reads the failure: a screenshot, the page's
//! HTML, the browser console and the service's log, under `target/harness-artifacts/<test>/`.
//!
//! Everything is read over plain WebDriver HTTP calls, so the same code serves an explicit
//! `save_artifacts` and `Drop`, which runs on a runtime of its own.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use serde_json::{Value, json};

use super::driver::http_json;
use super::error::ActionError;
use super::report::{self, Comparison, ReportInput, StepRecord};
use super::session::ConsoleEntry;
use harness_core::artifacts::{root, safe_name};

/// What is needed to save a failed test's artifacts, detached from the `Browser`.
#[derive(Debug)]
pub(crate) struct FailureJob {
    pub(crate) test: String,
    pub(crate) reason: String,
    pub(crate) driver_url: String,
    pub(crate) session_id: String,
    /// Console entries read earlier (chromedriver hands each out once).
    pub(crate) console: Vec<ConsoleEntry>,
    pub(crate) service_log: Option<String>,
    /// The steps taken, for the report.
    pub(crate) steps: Vec<StepRecord>,
    /// The visual comparisons that failed.
    pub(crate) comparisons: Vec<Comparison>,
    /// Firefox: the log holding the page's console (read instead of chromedriver's endpoint).
    pub(crate) console_file: Option<ConsoleFile>,
}

/// The test's directory: its name made safe for every file system; a second browser of the same
/// test process gets `-2`, and so on. Whatever an earlier run left there is removed.
fn directory_for(test: &str) -> PathBuf {
    static USED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let safe = safe_name(test);
    let mut used = USED.lock().unwrap_or_else(|e| e.into_inner());
    let n = used.iter().filter(|t| **t == safe).count();
    used.push(safe.clone());
    let name = if n == 0 {
        safe
    } else {
        format!("{safe}-{}", n + 1)
    };
    root().join(name)
}

/// Drain the session's console (chromedriver's `se/log`).
pub(crate) async fn read_console(
    driver_url: &str,
    session_id: &str,
) -> Result<Vec<ConsoleEntry>, String> {
    let body = http_json(
        reqwest::Method::POST,
        &format!("{driver_url}/session/{session_id}/se/log"),
        Some(json!({"type": "browser"})),
    )
    .await?;
    serde_json::from_value(body["value"].clone())
        .map_err(|_| format!("the console could not be read: {body}"))
}

/// A log Firefox writes the pages' console into, from where this session's part begins: a lent
/// Firefox's log holds every earlier borrower's too.
#[derive(Debug, Clone)]
pub(crate) struct ConsoleFile {
    pub(crate) path: PathBuf,
    pub(crate) from: u64,
}

impl ConsoleFile {
    /// The part of the log written from now on.
    pub(crate) fn from_now(path: PathBuf) -> ConsoleFile {
        let from = fs::metadata(&path).map_or(0, |m| m.len());
        ConsoleFile { path, from }
    }

    /// The page's console as Firefox writes it to its stdout with
    /// `devtools.console.stdout.content` (`console.error: "text"`), and its uncaught errors
    /// (`JavaScript error: url, line n: …`).
    pub(crate) fn read(&self) -> std::io::Result<Vec<ConsoleEntry>> {
        use std::io::{Read as _, Seek as _};
        let mut file = fs::File::open(&self.path)?;
        file.seek(std::io::SeekFrom::Start(self.from))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(parse_firefox_console(&String::from_utf8_lossy(&bytes)))
    }
}

fn parse_firefox_console(text: &str) -> Vec<ConsoleEntry> {
    let mut entries = Vec::new();
    for line in text.lines() {
        let (level, source, message) = if let Some(rest) = line.strip_prefix("console.") {
            let Some((method, message)) = rest.split_once(": ") else {
                continue;
            };
            let level = match method {
                "error" | "assert" => "SEVERE",
                "warn" => "WARNING",
                "debug" | "trace" => "DEBUG",
                _ => "INFO",
            };
            (level, "console-api", message)
        } else if let Some(message) = line.strip_prefix("JavaScript error: ") {
            ("SEVERE", "javascript", message)
        } else {
            continue;
        };
        // Strings come quoted, as the console prints them.
        let message = message
            .strip_prefix('"')
            .and_then(|m| m.strip_suffix('"'))
            .unwrap_or(message);
        entries.push(ConsoleEntry {
            level: level.into(),
            message: message.to_owned(),
            source: source.into(),
            timestamp: 0,
        });
    }
    entries
}

fn value_of(answer: Result<Value, String>) -> Result<Value, String> {
    let body = answer?;
    match body.get("value") {
        Some(value) if value.get("error").is_none() => Ok(value.clone()),
        Some(value) => Err(format!(
            "{}: {}",
            value["error"].as_str().unwrap_or("error"),
            value["message"].as_str().unwrap_or_default()
        )),
        None => Err(format!("not a WebDriver answer: {body}")),
    }
}

fn write(path: &Path, contents: impl AsRef<[u8]>) -> Result<(), ActionError> {
    fs::write(path, contents).map_err(|source| ActionError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Save everything that can still be read; what cannot is said in `failure.txt`.
pub(crate) async fn save(job: &FailureJob) -> Result<PathBuf, ActionError> {
    // Not emptied first: a failed test's database dump may be there already (an earlier run's
    // files went when this test's first browser started). What an earlier save of this session
    // wrote goes, so that nothing stale stands beside a file that could not be saved now.
    let dir = directory_for(&job.test);
    for name in [
        "screenshot.png",
        "page.html",
        "console.log",
        "service.log",
        "failure.txt",
        "report.html",
    ] {
        let _ = fs::remove_file(dir.join(name));
    }
    fs::create_dir_all(&dir).map_err(|source| ActionError::Io {
        path: dir.clone(),
        source,
    })?;
    let session = format!("{}/session/{}", job.driver_url, job.session_id);
    let (screenshot_url, source_url, url_url) = (
        format!("{session}/screenshot"),
        format!("{session}/source"),
        format!("{session}/url"),
    );
    let (screenshot, source, url, console) = tokio::join!(
        http_json(reqwest::Method::GET, &screenshot_url, None),
        http_json(reqwest::Method::GET, &source_url, None),
        http_json(reqwest::Method::GET, &url_url, None),
        async {
            match &job.console_file {
                Some(file) => Ok(file
                    .read()
                    .map_err(|e| format!("cannot read {}: {e}", file.path.display()))?
                    .into_iter()
                    .skip(job.console.len())
                    .collect()),
                None => read_console(&job.driver_url, &job.session_id).await,
            }
        },
    );
    let mut notes = String::new();
    let mut note = |what: &str, why: String| {
        let _ = writeln!(notes, "{what}: not saved: {why}");
    };

    let final_screenshot = match value_of(screenshot).and_then(|v| {
        let encoded = v.as_str().ok_or("no image in the answer")?.to_owned();
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| e.to_string())
    }) {
        Ok(png) => {
            write(&dir.join("screenshot.png"), &png)?;
            Some(png)
        }
        Err(why) => {
            note("screenshot.png", why);
            None
        }
    };
    for comparison in &job.comparisons {
        let stem = safe_name(&comparison.name);
        write(
            &dir.join(format!("{stem}-expected.png")),
            &comparison.expected,
        )?;
        write(&dir.join(format!("{stem}-actual.png")), &comparison.actual)?;
        if let Some(diff) = &comparison.diff {
            write(&dir.join(format!("{stem}-diff.png")), diff)?;
        }
    }
    match value_of(source) {
        Ok(Value::String(html)) => write(&dir.join("page.html"), html)?,
        Ok(other) => note("page.html", format!("unexpected answer {other}")),
        Err(why) => note("page.html", why),
    }
    let mut entries = job.console.clone();
    match console {
        Ok(fresh) => entries.extend(fresh),
        Err(why) => note("console.log (the latest messages)", why),
    }
    let mut console_text = String::new();
    for entry in &entries {
        let _ = writeln!(
            console_text,
            "{} {:<7} {:<11} {}",
            entry.timestamp, entry.level, entry.source, entry.message
        );
    }
    write(&dir.join("console.log"), console_text)?;
    match &job.service_log {
        Some(log) => write(&dir.join("service.log"), log)?,
        None => note(
            "service.log",
            "nothing was logged through tracing in this process, and no log source was attached (Browser::attach_log)".into(),
        ),
    }
    let page_url = value_of(url)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into());
    let summary = format!(
        "test: {}\nwhy: {}\npage: {}\nsession: {}\nconsole messages: {}\n{}",
        job.test,
        job.reason,
        page_url,
        session,
        entries.len(),
        notes
    );
    let mut files: Vec<String> = fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name != "report.html")
                .collect()
        })
        .unwrap_or_default();
    files.push("failure.txt".into());
    files.sort();
    files.dedup();
    let html = report::render(&ReportInput {
        test: &job.test,
        reason: &job.reason,
        page_url: &page_url,
        steps: &job.steps,
        final_screenshot: final_screenshot.as_deref(),
        comparisons: &job.comparisons,
        console: &entries,
        service_log: job.service_log.as_deref(),
        files,
        notes: &notes,
    });
    write(&dir.join("failure.txt"), summary)?;
    write(&dir.join("report.html"), html)?;
    if let Err(e) = harness_core::artifacts::write_index(&root()) {
        eprintln!("harness: cannot update the failed tests' index: {e}");
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firefox_s_console_lines_are_read_from_its_log() {
        let log = "1700000000000\tgeckodriver\tINFO\tListening on 127.0.0.1:4444\n\
                   console.warn: \"page-loaded\"\n\
                   console.error: \"clicked-error\"\n\
                   console.log: 42\n\
                   JavaScript error: http://127.0.0.1:1/, line 3: ReferenceError: x is not defined\n";
        let entries = parse_firefox_console(log);
        let seen: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| (e.level.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                ("WARNING", "page-loaded"),
                ("SEVERE", "clicked-error"),
                ("INFO", "42"),
                (
                    "SEVERE",
                    "http://127.0.0.1:1/, line 3: ReferenceError: x is not defined"
                ),
            ]
        );
    }

    #[test]
    fn a_lent_firefox_s_console_is_read_from_where_the_session_began() {
        let dir = std::env::temp_dir().join(format!("harness-console-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("firefox.log");
        fs::write(&path, "console.log: \"the last test's\"\n").unwrap();
        let file = ConsoleFile::from_now(path.clone());
        use std::io::Write as _;
        let mut log = fs::OpenOptions::new().append(true).open(&path).unwrap();
        writeln!(log, "console.log: \"this test's\"").unwrap();
        let messages: Vec<String> = file
            .read()
            .unwrap()
            .into_iter()
            .map(|e| e.message)
            .collect();
        assert_eq!(messages, ["this test's"]);
        let whole = ConsoleFile { path, from: 0 }.read().unwrap();
        assert_eq!(whole.len(), 2);
        fs::remove_dir_all(&dir).unwrap();
    }
}
