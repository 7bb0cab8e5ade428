//! `cargo run -p harness -- doctor`: what this machine offers the harness.

use std::process::ExitCode;

fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        Some("doctor") => {
            let report = harness::doctor::examine();
            print!("{report}");
            if report.postgres_ready() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        _ => {
            eprintln!(
                "usage: harness doctor\n\nReports the Postgres backends (and their install lines) this machine offers the harness."
            );
            ExitCode::from(2)
        }
    }
}
