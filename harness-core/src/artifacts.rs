//! Where a failed test leaves files for whoever reads the failure, one directory per test under
//! `<target dir>/harness-artifacts`: a browser's screenshot and report, a kept database's dump, a
//! user's fixture's own files.

use std::fs;
use std::path::PathBuf;
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
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let earlier = name == safe
            || name
                .strip_prefix(&safe)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if earlier {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
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
        }
        clear_earlier(&test);
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
    }
}
