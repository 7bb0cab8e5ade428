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

/// Installed (`cargo install e2e-harness`: a binary outside any target directory) and run from
/// somewhere in a user's project, the CLI works on that project's `target/harness`.
#[cfg(unix)]
#[test]
fn an_installed_cli_works_on_the_project_it_runs_in() {
    let scratch = crate::child::ScratchDir::new("installed-cli");
    let bin = scratch.0.join("cargo-home/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_harness"), bin.join("harness")).unwrap();
    let project = scratch.0.join("project");
    std::fs::create_dir_all(project.join("target")).unwrap();
    std::fs::create_dir_all(project.join("src/deep")).unwrap();
    // What cargo writes into every target directory it makes.
    std::fs::write(project.join("target/CACHEDIR.TAG"), "Signature: 8a477f597d28d172789f06886806bc55\n").unwrap();
    let out = Command::new(bin.join("harness"))
        .arg("ls")
        .current_dir(project.join("src/deep"))
        .env_remove(harness::env::DIR)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let want = format!("no servers up under {}", project.join("target/harness").display());
    assert!(text.contains(&want), "{text}");
}
