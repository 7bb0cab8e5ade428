//! Finding chromedriver and Chrome/Chromium: an explicit variable, else `PATH`, else the places
//! each platform's installers use; and comparing their versions.

use std::path::PathBuf;

use super::error::BrowserError;
use harness_core::config;

/// Where a binary may be: an explicit path from a variable (the only place then: a silent fallback
/// would hide a typo), else names on `PATH`, else well-known files.
struct Search<'a> {
    variable: &'static str,
    names: &'a [&'a str],
    usual: Vec<PathBuf>,
}

fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// A path the settings name, as the search takes it.
fn explicit(path: &Option<PathBuf>) -> Option<String> {
    path.as_ref().map(|p| p.display().to_string())
}

fn find(search: &Search<'_>, explicit: Option<String>) -> Result<PathBuf, String> {
    if let Some(path) = explicit {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{}={} only (no such file)",
                search.variable,
                path.display()
            ))
        };
    }
    let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for dir in &path_dirs {
        for name in search.names {
            let candidate = dir.join(exe(name));
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    if let Some(found) = search.usual.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    let usual: Vec<String> = search
        .usual
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    Err(format!(
        "PATH (as {}), {}; {} was not set",
        search.names.join(", "),
        usual.join(", "),
        search.variable
    ))
}

fn home() -> Option<PathBuf> {
    std::env::var_os(if cfg!(windows) { "USERPROFILE" } else { "HOME" }).map(PathBuf::from)
}

fn windows_roots() -> Vec<PathBuf> {
    ["ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA"]
        .iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from)
        .collect()
}

/// The chromedriver to start: `HARNESS_CHROMEDRIVER`, `PATH`, the usual locations.
pub(crate) fn chromedriver() -> Result<PathBuf, BrowserError> {
    chromedriver_with(explicit(&config::current().chromedriver))
}

fn chromedriver_with(explicit: Option<String>) -> Result<PathBuf, BrowserError> {
    let mut usual = Vec::new();
    if cfg!(windows) {
        for root in windows_roots() {
            usual.push(root.join(r"chromedriver\chromedriver.exe"));
            usual.push(root.join(r"Google\Chrome\Application\chromedriver.exe"));
        }
    } else {
        // Debian and Ubuntu install it beside Chromium; Homebrew into its prefix.
        usual.extend(
            [
                "/usr/lib/chromium/chromedriver",
                "/usr/lib/chromium-browser/chromedriver",
                "/usr/lib64/chromium-browser/chromedriver",
                "/snap/bin/chromium.chromedriver",
                "/opt/homebrew/bin/chromedriver",
                "/usr/local/bin/chromedriver",
            ]
            .map(PathBuf::from),
        );
    }
    let search = Search {
        variable: config::CHROMEDRIVER,
        names: &["chromedriver"],
        usual,
    };
    find(&search, explicit).map_err(|looked| BrowserError::NoDriver {
        driver: "chromedriver",
        looked,
        hint: driver_install_hint().into(),
    })
}

/// The browser to drive: `HARNESS_CHROME`, `PATH`, the usual locations.
pub(crate) fn chrome() -> Result<PathBuf, BrowserError> {
    chrome_with(explicit(&config::current().chrome))
}

fn chrome_with(explicit: Option<String>) -> Result<PathBuf, BrowserError> {
    let mut usual = Vec::new();
    if cfg!(windows) {
        for root in windows_roots() {
            usual.push(root.join(r"Google\Chrome\Application\chrome.exe"));
            usual.push(root.join(r"Chromium\Application\chrome.exe"));
        }
    } else if cfg!(target_os = "macos") {
        let bundles = [
            "Google Chrome.app/Contents/MacOS/Google Chrome",
            "Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
            "Chromium.app/Contents/MacOS/Chromium",
        ];
        let mut roots = vec![PathBuf::from("/Applications")];
        roots.extend(home().map(|h| h.join("Applications")));
        for root in roots {
            usual.extend(bundles.iter().map(|b| root.join(b)));
        }
    } else {
        usual.extend(
            [
                "/opt/google/chrome/chrome",
                "/usr/lib/chromium/chromium",
                "/usr/lib/chromium-browser/chromium-browser",
                "/snap/bin/chromium",
            ]
            .map(PathBuf::from),
        );
    }
    let search = Search {
        variable: config::CHROME,
        names: &[
            "google-chrome-stable",
            "google-chrome",
            "chromium",
            "chromium-browser",
            "chrome",
        ],
        usual,
    };
    find(&search, explicit).map_err(|looked| BrowserError::NoBrowser {
        browser: "Chrome or Chromium",
        looked,
        hint: browser_install_hint().into(),
    })
}

/// The geckodriver to start for a Firefox test: `HARNESS_GECKODRIVER`, `PATH`, Cargo's bin dir.
pub(crate) fn geckodriver() -> Result<PathBuf, BrowserError> {
    let mut usual: Vec<PathBuf> = home()
        .map(|h| h.join(".cargo").join("bin").join(exe("geckodriver")))
        .into_iter()
        .collect();
    if !cfg!(windows) {
        usual.extend(
            [
                "/usr/local/bin/geckodriver",
                "/opt/homebrew/bin/geckodriver",
            ]
            .map(PathBuf::from),
        );
    }
    let search = Search {
        variable: config::GECKODRIVER,
        names: &["geckodriver"],
        usual,
    };
    find(&search, explicit(&config::current().geckodriver)).map_err(|looked| {
        BrowserError::NoDriver {
            driver: "geckodriver",
            looked,
            hint: "cargo install --locked geckodriver (every platform), or set HARNESS_GECKODRIVER"
                .into(),
        }
    })
}

/// The Firefox to drive: `HARNESS_FIREFOX`, `PATH`, the usual locations.
pub(crate) fn firefox() -> Result<PathBuf, BrowserError> {
    let mut usual = Vec::new();
    if cfg!(windows) {
        for root in windows_roots() {
            usual.push(root.join(r"Mozilla Firefox\firefox.exe"));
        }
    } else if cfg!(target_os = "macos") {
        usual.push(PathBuf::from(
            "/Applications/Firefox.app/Contents/MacOS/firefox",
        ));
        usual.extend(home().map(|h| h.join("Applications/Firefox.app/Contents/MacOS/firefox")));
    } else {
        usual.extend(
            [
                "/usr/lib/firefox-esr/firefox-esr",
                "/usr/lib/firefox/firefox",
                "/snap/bin/firefox",
            ]
            .map(PathBuf::from),
        );
    }
    let search = Search {
        variable: config::FIREFOX,
        names: &["firefox", "firefox-esr"],
        usual,
    };
    find(&search, explicit(&config::current().firefox)).map_err(|looked| BrowserError::NoBrowser {
        browser: "Firefox",
        looked,
        hint: if cfg!(target_os = "macos") {
            "brew install --cask firefox, or set HARNESS_FIREFOX"
        } else if cfg!(windows) {
            "winget install Mozilla.Firefox, or set HARNESS_FIREFOX"
        } else {
            "apt-get install firefox-esr (Debian), dnf install firefox (Fedora), or set HARNESS_FIREFOX"
        }
        .into(),
    })
}

fn driver_install_hint() -> &'static str {
    if cfg!(target_os = "macos") {
        "brew install --cask chromedriver, or set HARNESS_CHROMEDRIVER"
    } else if cfg!(windows) {
        "choco install chromedriver (or winget install Chromium.ChromeDriver), or set HARNESS_CHROMEDRIVER"
    } else {
        "apt-get install chromium-driver (Debian/Ubuntu), dnf install chromedriver (Fedora), or set HARNESS_CHROMEDRIVER; or leave browser tests out by name: the harness README's \"Skipping browser tests\""
    }
}

fn browser_install_hint() -> &'static str {
    if cfg!(target_os = "macos") {
        "brew install --cask google-chrome, or set HARNESS_CHROME"
    } else if cfg!(windows) {
        "winget install Google.Chrome, or set HARNESS_CHROME"
    } else {
        "apt-get install chromium (Debian/Ubuntu), dnf install chromium (Fedora), or set HARNESS_CHROME; or leave browser tests out by name: the harness README's \"Skipping browser tests\""
    }
}

/// The major version in `156.0.8078.108`, `Chrome/156.0…`, `HeadlessChrome/156.0…` or
/// `ChromeDriver 156.0…`.
pub(crate) fn major(version: &str) -> Option<u32> {
    let number = version.split(['/', ' ']).find(|part| {
        part.contains('.') && part.chars().next().is_some_and(|c| c.is_ascii_digit())
    })?;
    number.split('.').next()?.parse().ok()
}

/// Fail with both versions when chromedriver cannot drive this browser.
pub(crate) fn check_versions(driver: &str, browser: &str) -> Result<(), BrowserError> {
    match (major(driver), major(browser)) {
        (Some(d), Some(b)) if d != b => Err(BrowserError::VersionMismatch {
            why: "their major versions differ".into(),
            driver: format!("chromedriver {driver}"),
            browser: browser.to_owned(),
            variable: config::CHROMEDRIVER,
        }),
        // An unreadable version is left to chromedriver, whose refusal is parsed instead.
        _ => Ok(()),
    }
}

/// geckodriver's refusal to drive this Firefox ("Unable to find a matching set of capabilities",
/// or a version it does not support), turned into the harness's error with both versions.
pub(crate) fn firefox_refusal(message: &str, driver: &str, browser: &str) -> Option<BrowserError> {
    let lower = message.to_ascii_lowercase();
    if !(lower.contains("version") || lower.contains("matching set of capabilities")) {
        return None;
    }
    Some(BrowserError::VersionMismatch {
        why: message.lines().next().unwrap_or(message).trim().to_owned(),
        driver: driver.to_owned(),
        browser: browser.to_owned(),
        variable: config::GECKODRIVER,
    })
}

/// chromedriver's refusal to start a browser of another version, turned into the harness's error:
/// "This version of ChromeDriver only supports Chrome version 150\nCurrent browser version is
/// 156.0.8078.108 with binary path …".
pub(crate) fn mismatch_in(message: &str, driver: &str) -> Option<BrowserError> {
    let supported = message
        .split("only supports Chrome version ")
        .nth(1)?
        .split_whitespace()
        .next()?;
    let current = message
        .split("Current browser version is ")
        .nth(1)?
        .split_whitespace()
        .next()?;
    let driver = if driver.is_empty() {
        format!("(supports Chrome {supported})")
    } else {
        driver.to_owned()
    };
    Some(BrowserError::VersionMismatch {
        why: "their major versions differ".into(),
        driver: format!("chromedriver {driver}"),
        browser: format!("Chrome {current}"),
        variable: config::CHROMEDRIVER,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majors_are_read_from_every_spelling() {
        assert_eq!(major("156.0.8078.108"), Some(156));
        assert_eq!(major("Chrome/156.0.8078.108"), Some(156));
        assert_eq!(major("HeadlessChrome/131.0.1.2"), Some(131));
        assert_eq!(
            major("ChromeDriver 156.0.8078.108 (730482a9-refs/branch-heads/8078@{#2244})"),
            Some(156)
        );
        assert_eq!(major("unknown"), None);
    }

    #[test]
    fn a_version_mismatch_names_both_versions_and_the_fix() {
        let err = check_versions("150.0.7000.1", "Chrome/156.0.8078.108").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("chromedriver 150.0.7000.1"), "{text}");
        assert!(text.contains("Chrome/156.0.8078.108"), "{text}");
        assert!(text.contains("HARNESS_CHROMEDRIVER"), "{text}");
        check_versions("156.0.1.1", "Chrome/156.0.8078.108").unwrap();
        check_versions("156.0.1.1", "").unwrap();
    }

    #[test]
    fn chromedrivers_refusal_becomes_a_version_mismatch() {
        let message = "session not created: This version of ChromeDriver only supports Chrome \
                       version 150\nCurrent browser version is 156.0.8078.108 with binary path \
                       /usr/lib/chromium/chromium";
        let text = mismatch_in(message, "150.0.7000.1").unwrap().to_string();
        assert!(text.contains("150.0.7000.1") && text.contains("156.0.8078.108"));
        // A driver whose own version was not read is named by what it supports.
        let text = mismatch_in(message, "").unwrap().to_string();
        assert!(text.contains("(supports Chrome 150)"), "{text}");
        assert!(mismatch_in("session not created: something else", "1").is_none());
        assert!(mismatch_in("only supports Chrome version 150", "1").is_none());
    }

    #[test]
    fn an_explicit_path_is_the_only_place_looked() {
        let err = chromedriver_with(Some("/nonexistent/chromedriver".into())).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("HARNESS_CHROMEDRIVER=/nonexistent/chromedriver only"),
            "{text}"
        );
        assert!(text.contains("hint: "), "{text}");
        let err = chrome_with(Some("/nonexistent/chrome".into())).unwrap_err();
        assert!(
            err.to_string().starts_with("no Chrome or Chromium found"),
            "{err}"
        );
    }

    #[test]
    fn an_explicit_existing_file_is_taken_as_is() {
        let me = std::env::current_exe().unwrap();
        let found = chrome_with(Some(me.to_string_lossy().into_owned())).unwrap();
        assert_eq!(found, me);
    }
}
