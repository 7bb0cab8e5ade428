//! `cargo run -p e2e-harness --all-features -- doctor`: what this machine offers the harness.

use std::process::ExitCode;

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("doctor") => {
            let report = harness::doctor::examine();
            print!("{report}");
            if report.suite_ready() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        _ => {
            eprintln!(
                "usage: harness doctor\n\nReports what this machine offers the harness (Postgres backends, Docker, browser and driver),\nwhich backend `auto` would choose, and the install line for each missing piece.\nExits non-zero when the test suite could not run here."
            );
            ExitCode::from(2)
        }
    }
}
