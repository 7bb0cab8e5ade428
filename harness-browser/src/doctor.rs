//! The browser's lines of `harness doctor`: the driver and browser found, their versions, or a
//! remote WebDriver's answer.

use harness_core::config;
use harness_core::doctor::block_on;

/// A line of the report, as the core's `Check` has it (whose fields cannot be set from here).
struct Check {
    what: String,
    ok: bool,
    detail: String,
    fix: Option<String>,
}

/// Check the browser the run would drive, adding a line per finding to `checks`; whether browser
/// tests can run (a matching local pair, a reachable remote WebDriver, or an explicit
/// `HARNESS_BROWSER=skip`).
#[doc(hidden)]
pub fn examine(checks: &mut Vec<harness_core::doctor::Check>) -> bool {
    let mut found = Vec::new();
    let ready = examine_into(&mut found);
    checks.extend(
        found
            .into_iter()
            .map(|c| harness_core::doctor::Check::new(&c.what, c.ok, &c.detail, c.fix)),
    );
    ready
}

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

fn examine_into(checks: &mut Vec<Check>) -> bool {
    let settings = config::current();
    if settings.browser == config::BrowserChoice::Skip {
        checks.push(Check {
            what: "browser".into(),
            ok: true,
            detail: format!(
                "{}=skip: browser tests fail at once; a run without a browser leaves them out by \
                 name (the harness README's \"Skipping browser tests\")",
                config::BROWSER
            ),
            fix: None,
        });
        return true;
    }
    if let Some(url) = &settings.webdriver_url {
        let status = format!("{}/status", url.trim_end_matches('/'));
        let probe = harness_core::Probe::Http(status.clone());
        let reached = block_on(probe.wait(std::time::Duration::from_secs(3)))
            .ok_or_else(|| "no async runtime could be made".to_owned())
            .and_then(|reached| reached.map_err(|e| harness_core::error_chain(&e)));
        checks.push(Check {
            what: "remote webdriver".into(),
            ok: reached.is_ok(),
            detail: match &reached {
                Ok(()) => format!("{status} answers"),
                Err(e) => e.clone(),
            },
            fix: Some(format!(
                "start the WebDriver server, or unset {}",
                config::WEBDRIVER_URL
            )),
        });
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
            Err(e) => Check {
                what: what.into(),
                ok: false,
                detail: e.to_string(),
                fix: Some(hint_of(e)),
            },
        });
    }
    let (Some(d), Some(c)) = (driver_version, chrome_version) else {
        return driver.is_ok() && chrome.is_ok();
    };
    let matched = crate::locate::check_versions(&d, &c);
    checks.push(Check {
        what: "chromedriver matches chrome".into(),
        ok: matched.is_ok(),
        detail: match &matched {
            Ok(()) => "same major version".into(),
            Err(e) => e.to_string(),
        },
        fix: Some("install a chromedriver of the browser's major version".into()),
    });
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
                Check {
                    what: what.into(),
                    ok: false,
                    detail: e.to_string(),
                    fix: Some(hint_of(&e)),
                }
            }
            Err(e) => Check {
                what: what.into(),
                ok: true,
                detail: format!(
                    "not found, needed for {}=firefox only: {e}",
                    config::BROWSER
                ),
                fix: None,
            },
        });
    }
    ready
}

/// A program that was found, with its version.
fn found_check(what: &str, path: &std::path::Path, version: Option<&str>) -> Check {
    Check {
        what: what.into(),
        ok: true,
        detail: format!(
            "{} ({})",
            version.unwrap_or("version unknown"),
            path.display()
        ),
        fix: None,
    }
}

/// The hint at the end of an error's text, alone.
fn hint_of(error: &crate::BrowserError) -> String {
    let text = error.to_string();
    text.rsplit_once("(hint: ")
        .map(|(_, hint)| hint.trim_end_matches(')').to_owned())
        .unwrap_or(text)
}
