//! Where a failed test leaves files for whoever reads the failure, one directory per test under
//! `<target dir>/harness-artifacts`: a browser's screenshot and report, a kept database's dump, a
//! user's fixture's own files.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::workdir;

/// Where failed tests leave their artifacts, one directory per test:
/// `<target dir>/harness-artifacts`, else a folder in the system's temp dir.
pub fn root() -> PathBuf {
    workdir::target_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("harness-artifacts")
}

/// The directory of a test's artifacts (a second browser of the same test gets a sibling), with
/// what an earlier run of the test left there removed first.
pub(crate) fn test_dir(test: &str) -> PathBuf {
    clear_earlier(test);
    root().join(safe_name(test))
}

/// A test's name made safe for every file system.
#[doc(hidden)]
pub fn safe_name(test: &str) -> String {
    test.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Remove what an earlier run of this test left (its directory and its `-2`, `-3`… siblings):
/// artifacts of a failure that a later green run left in place would mislead whoever reads them.
/// Once per test and process, when it first asks for its directory.
#[doc(hidden)]
pub fn clear_earlier(test: &str) {
    static CLEARED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let safe = safe_name(test);
    let mut cleared = CLEARED.lock().unwrap_or_else(|e| e.into_inner());
    if cleared.contains(&safe) {
        return;
    }
    cleared.push(safe.clone());
    let Ok(entries) = fs::read_dir(root()) else {
        return;
    };
    let mut removed = false;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let earlier = name == safe
            || name
                .strip_prefix(&safe)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if earlier {
            let _ = fs::remove_dir_all(entry.path());
            removed = true;
        }
    }
    // The index must not list, with a dead link, a failure that is gone.
    if removed && root().join("index.html").is_file() {
        let _ = write_index(&root());
    }
}

/// HTML-escape text for element content and attribute values (hand-written: five characters
/// are all it takes, no crate needed).
#[doc(hidden)]
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Rewrite `index.html` in `root` from the failed browser tests' reports found there: after a
/// report is added (each process writes it whole, under a lock, so that the last writer saw every
/// report), and after an earlier failure's directory is removed.
#[doc(hidden)]
pub fn write_index(root: &Path) -> std::io::Result<()> {
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(root.join(".index.lock"))?;
    lock.lock()?;
    let mut rows = Vec::new();
    for entry in fs::read_dir(root)?.flatten() {
        let dir = entry.path();
        let Ok(summary) = fs::read_to_string(dir.join("failure.txt")) else {
            continue;
        };
        if !dir.join("report.html").is_file() {
            continue;
        }
        let field = |name: &str| {
            summary
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .unwrap_or_default()
                .to_owned()
        };
        let modified = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .unwrap_or(std::time::SystemTime::UNIX_EPOCH);
        rows.push((
            modified,
            entry.file_name().to_string_lossy().into_owned(),
            field("test: "),
            field("why: "),
        ));
    }
    rows.sort();
    let mut html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Failed browser tests</title>\
         <style>body{{font:14px/1.45 system-ui,sans-serif;margin:2rem}}table{{border-collapse:collapse;width:100%}}\
         td,th{{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}}\
         .err{{color:#c62828;white-space:pre-wrap;font-family:ui-monospace,monospace}}</style></head>\
         <body><h1>Failed browser tests ({})</h1><table><tr><th>test</th><th>why</th></tr>",
        rows.len()
    );
    for (_, dir, test, why) in &rows {
        let _ = write!(
            html,
            "<tr><td><a href=\"{}/report.html\">{}</a></td><td class=\"err\">{}</td></tr>",
            escape_html(dir),
            escape_html(test),
            escape_html(&why.chars().take(300).collect::<String>())
        );
    }
    html.push_str("</table></body></html>\n");
    let temp = root.join(format!(".index.{}.html", std::process::id()));
    fs::write(&temp, html)?;
    fs::rename(&temp, root.join("index.html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_runs_artifacts_of_the_same_test_are_cleared() {
        let test = format!("clear::probe_{}", std::process::id());
        let safe = safe_name(&test);
        let root = root();
        for name in [safe.clone(), format!("{safe}-2"), format!("{safe}_other")] {
            fs::create_dir_all(root.join(&name)).unwrap();
            fs::write(root.join(&name).join("failure.txt"), "stale").unwrap();
            fs::write(root.join(&name).join("report.html"), "").unwrap();
        }
        write_index(&root).unwrap();
        let listed = |name: &str| {
            fs::read_to_string(root.join("index.html"))
                .unwrap()
                .contains(&format!("href=\"{name}/report.html\""))
        };
        assert!(listed(&safe));
        clear_earlier(&test);
        assert!(!listed(&safe), "the index lists a failure that is gone");
        assert!(!listed(&format!("{safe}-2")));
        assert!(
            listed(&format!("{safe}_other")),
            "another test's failure stays listed"
        );
        assert!(!root.join(&safe).exists(), "its own directory goes");
        assert!(
            !root.join(format!("{safe}-2")).exists(),
            "and its numbered siblings"
        );
        assert!(
            root.join(format!("{safe}_other")).exists(),
            "another test's directory stays"
        );
        fs::remove_dir_all(root.join(format!("{safe}_other"))).unwrap();
        write_index(&root).unwrap();
    }

    #[test]
    fn the_index_links_every_report_found() {
        let root =
            std::env::temp_dir().join(format!("harness-report-index-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        for (dir, test) in [("a__one", "a::one"), ("b__two", "b::two")] {
            fs::create_dir_all(root.join(dir)).unwrap();
            fs::write(
                root.join(dir).join("failure.txt"),
                format!("test: {test}\nwhy: it <broke>\n"),
            )
            .unwrap();
            fs::write(root.join(dir).join("report.html"), "").unwrap();
        }
        // A directory without a report (artifacts saved by hand, say) is not listed.
        fs::create_dir_all(root.join("c")).unwrap();
        write_index(&root).unwrap();
        let index = fs::read_to_string(root.join("index.html")).unwrap();
        assert!(index.contains("Failed browser tests (2)"), "{index}");
        assert!(
            index.contains("<a href=\"a__one/report.html\">a::one</a>"),
            "{index}"
        );
        assert!(index.contains("it &lt;broke&gt;"), "{index}");
        fs::remove_dir_all(&root).unwrap();
    }
}
