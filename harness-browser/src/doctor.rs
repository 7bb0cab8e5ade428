//! The browser's lines of `harness doctor`: the driver and browser found, their versions, or a
//! remote WebDriver's answer.

use harness_core::config;
use harness_core::doctor::{Check, block_on};

/// The first line a program prints for `--version`.
fn version_of(program: &std::path::Path) -> Option<String> {
    let out = std::process::Command::new(program)
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .next()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
}

/// Check the browser the run would drive, adding a line per finding to `checks`; whether browser
/// tests can run (a matching local pair, a reachable remote WebDriver, or an explicit
/// `HARNESS_BROWSER=skip`).
#[doc(hidden)]
pub fn examine(checks: &mut Vec<Check>) -> bool {
    let settings = config::current();
    if settings.browser == config::BrowserChoice::Skip {
        checks.push(Check::new(
            "browser",
            true,
            &format!(
                "{}=skip: browser tests fail at once; a run without a browser leaves them out by \
                 name (the harness README's \"Skipping browser tests\")",
                config::BROWSER
            ),
            None,
        ));
        return true;
    }
    if let Some(url) = &settings.webdriver_url {
        let status = format!("{}/status", url.trim_end_matches('/'));
        let probe = harness_core::Probe::Http(status.clone());
        let reached = block_on(probe.wait(std::time::Duration::from_secs(3)))
            .ok_or_else(|| "no async runtime could be made".to_owned())
            .and_then(|reached| reached.map_err(|e| harness_core::error_chain(&e)));
        checks.push(Check::new(
            "remote webdriver",
            reached.is_ok(),
            &match &reached {
                Ok(()) => format!("{status} answers"),
                Err(e) => e.clone(),
            },
            Some(format!(
                "start the WebDriver server, or unset {}",
                config::WEBDRIVER_URL
            )),
        ));
        return reached.is_ok();
    }
    let firefox_wanted = settings.browser == config::BrowserChoice::Firefox;
    let firefox_ready = examine_firefox(checks, firefox_wanted);
    if firefox_wanted {
        return firefox_ready;
    }
    let driver = crate::locate::chromedriver();
    let chrome = crate::locate::chrome();
    let driver_version = driver.as_ref().ok().and_then(|p| version_of(p));
    let chrome_version = chrome.as_ref().ok().and_then(|p| version_of(p));
    for (what, found, version) in [
        ("chromedriver", &driver, &driver_version),
        ("chrome", &chrome, &chrome_version),
    ] {
        checks.push(match found {
            Ok(path) => found_check(what, path, version.as_deref()),
            Err(e) => Check::new(what, false, &e.to_string(), Some(hint_of(e))),
        });
    }
    let (Some(d), Some(c)) = (driver_version, chrome_version) else {
        return driver.is_ok() && chrome.is_ok();
    };
    let matched = crate::locate::check_versions(&d, &c);
    checks.push(Check::new(
        "chromedriver matches chrome",
        matched.is_ok(),
        &match &matched {
            Ok(()) => "same major version".to_owned(),
            Err(e) => e.to_string(),
        },
        Some("install a chromedriver of the browser's major version".into()),
    ));
    matched.is_ok()
}

/// geckodriver and Firefox: needed with `HARNESS_BROWSER=firefox`, listed either way (a missing
/// one is only a note when the run drives Chrome).
fn examine_firefox(checks: &mut Vec<Check>, wanted: bool) -> bool {
    let found = [
        ("geckodriver", crate::locate::geckodriver()),
        ("firefox", crate::locate::firefox()),
    ];
    let mut ready = true;
    for (what, found) in found {
        checks.push(match found {
            Ok(path) => found_check(what, &path, version_of(&path).as_deref()),
            Err(e) if wanted => {
                ready = false;
                Check::new(what, false, &e.to_string(), Some(hint_of(&e)))
            }
            Err(e) => Check::new(
                what,
                true,
                &format!(
                    "not found, needed for {}=firefox only: {e}",
                    config::BROWSER
                ),
                None,
            ),
        });
    }
    ready
}

/// A program that was found, with its version.
fn found_check(what: &str, path: &std::path::Path, version: Option<&str>) -> Check {
    Check::new(
        what,
        true,
        &format!(
            "{} ({})",
            version.unwrap_or("version unknown"),
            path.display()
        ),
        None,
    )
}

/// The hint at the end of an error's text, alone.
fn hint_of(error: &crate::BrowserError) -> String {
    let text = error.to_string();
    text.rsplit_once("(hint: ")
        .map(|(_, hint)| hint.trim_end_matches(')').to_owned())
        .unwrap_or(text)
}
