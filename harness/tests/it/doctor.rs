//! `harness doctor` tells what the machine offers and what to install.

use std::process::Command;

fn doctor(vars: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_harness"));
    command.arg("doctor");
    for (key, value) in vars {
        command.env(key, value);
    }
    let out = command.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn with_postgres_binaries_doctor_names_them_and_the_auto_choice() {
    // The exit status also depends on the browser, checked by the tests below.
    let (_, text) = doctor(&[]);
    assert!(text.contains("ok      postgres binaries"), "{text}");
    assert!(
        text.contains("HARNESS_POSTGRES=auto would use: local (postgres "),
        "{text}"
    );
}

#[test]
fn with_nothing_usable_doctor_fails_and_says_what_to_install() {
    let (ok, text) = doctor(&[
        ("HARNESS_PG_BIN", "/no/such/dir"),
        ("DOCKER_HOST", "unix:///no/such.sock"),
    ]);
    assert!(!ok, "doctor must fail when no backend is usable: {text}");
    assert!(text.contains("MISSING postgres binaries"), "{text}");
    assert!(
        text.contains("fix: apt-get install postgresql") || text.contains("fix: brew install"),
        "{text}"
    );
    assert!(text.contains("MISSING docker engine"), "{text}");
    assert!(text.contains("no Postgres backend is usable"), "{text}");
}

#[test]
fn a_missing_chromedriver_fails_doctor_with_its_install_line() {
    let (ok, text) = doctor(&[("HARNESS_CHROMEDRIVER", "/no/such/chromedriver")]);
    assert!(!ok, "{text}");
    assert!(text.contains("MISSING chromedriver"), "{text}");
    assert!(text.contains("no browser is usable"), "{text}");
    assert!(text.contains("HARNESS_POSTGRES=auto would use:"), "{text}");
}

/// Browser tests (in a module of that name: a run without a browser leaves them out by it).
mod browser {
    use super::doctor;

    #[test]
    fn a_chromedriver_and_browser_pair_is_reported_with_versions() {
        let (ok, text) = doctor(&[]);
        assert!(ok, "{text}");
        assert!(
            text.contains("ok      chromedriver matches chrome"),
            "{text}"
        );
    }
}
