//! The harness's command line. `doctor` (`cargo run -p e2e-harness --features browser -- doctor`):
//! what this machine offers the harness. `js-coverage`: the JavaScript coverage a run's browser
//! tests collected, merged, written as lcov and gated. `ls` and `down`: the servers kept after
//! their run (`HARNESS_KEEP`, `HARNESS_LINGER`).
//!
//! Arguments are parsed by hand: this binary is built with the library's dependencies, so an
//! argument parser would land in the dependency tree of every user of the harness.

use std::process::ExitCode;

const USAGE: &str = "\
usage: harness doctor
       harness up [<name>] [--idle <duration>] [--env-file <path>]
       harness ls
       harness down
       harness js-coverage <raw dir> [--only <script path>]... [--lcov <path>] [--min-lines <percent>] [--min-branches <percent>]

doctor       Reports what this machine offers the harness (Postgres backends, Docker, browser and
             driver), which backend `auto` would choose, and the install line for each missing
             piece. Exits non-zero when the test suite could not run here.
up           Starts the development services the workspace's tests declare with
             #[harness::dev_services] (the one named <name>, the function's name, when there
             are several): Postgres with the project's migrations, Redis, ... as a warm run's
             (HARNESS_LINGER), so tests run with HARNESS_LINGER use the same servers. Prints
             `export VAR='value'` lines for a shell to eval, or writes VAR=value lines to
             --env-file (say .env, which sqlx's query! reads). They stay until `harness down`,
             or until no harness process has used them for --idle (default 8h).
ls           Lists the servers of this target directory's runs that are still up: a run going
             on, or kept after it by HARNESS_KEEP or HARNESS_LINGER.
down         Ends every server kept after its run (HARNESS_KEEP, HARNESS_LINGER) and removes
             its files, as the end of a run would; a run going on keeps its own. Exits non-zero
             when one did not end within 60 s.
js-coverage  Merges the raw JavaScript coverage that browser tests wrote into <raw dir> (run them
             with HARNESS_JS_COVERAGE=<raw dir>, an absolute path), keeps the scripts named by
             --only (their URL's path, e.g. /app.js; all when none is given), prints a summary
             per script, writes lcov with --lcov, and exits non-zero when a --min-* gate is not
             met.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("doctor") => {
            let report = harness::doctor::examine();
            print!("{report}");
            if report.suite_ready() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Some("js-coverage") => js_coverage::run(&args[1..]),
        Some("ls") if args.len() == 1 => {
            let resources = harness::lingering::resources();
            if resources.is_empty() {
                println!(
                    "no servers up under {}",
                    harness::workdir::harness_dir().display()
                );
            }
            for resource in resources {
                let what = if resource.in_use { "in use" } else { "idle" };
                println!("{}  {}  {what}", resource.run, resource.key);
            }
            ExitCode::SUCCESS
        }
        Some("down") if args.len() == 1 => down(),
        Some("up") => up::run(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn down() -> ExitCode {
    let report = harness::lingering::down(std::time::Duration::from_secs(60));
    for resource in &report.ended {
        println!("ended {} ({})", resource.key, resource.run);
    }
    for resource in &report.in_use {
        println!(
            "left {} ({}): a run is using it, and ends it when it is over",
            resource.key, resource.run
        );
    }
    for resource in &report.stuck {
        eprintln!(
            "{} ({}) did not end within 60 s: its keeper's log is in {}",
            resource.key,
            resource.run,
            harness::workdir::runs_dir().join(&resource.run).display()
        );
    }
    if report.ended.is_empty() && report.in_use.is_empty() && report.stuck.is_empty() {
        println!(
            "nothing kept under {}",
            harness::workdir::harness_dir().display()
        );
    }
    if report.stuck.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

mod up {
    use std::path::{Path, PathBuf};
    use std::process::{Command, ExitCode, Stdio};

    const ENTRY: &str = "__harness_dev_services_";

    #[derive(Debug, PartialEq)]
    pub(crate) struct Options {
        pub(crate) name: Option<String>,
        pub(crate) idle: String,
        pub(crate) env_file: Option<PathBuf>,
    }

    pub(crate) fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options {
            name: None,
            idle: "8h".to_owned(),
            env_file: None,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--idle" => {
                    let idle = value()?;
                    // Checked as every run checks it: a bad value is refused here, not later.
                    harness::Settings::from_lookup(|name| {
                        (name == harness::env::LINGER).then(|| idle.clone())
                    })
                    .map_err(|e| format!("--idle: {e}"))?;
                    options.idle = idle.clone();
                }
                "--env-file" => options.env_file = Some(PathBuf::from(value()?)),
                flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
                _ if options.name.is_some() => return Err(format!("unexpected argument {arg}")),
                name => options.name = Some(name.to_owned()),
            }
        }
        Ok(options)
    }

    fn cargo() -> Command {
        let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        command.args(["test", "--workspace", "--tests", "-q", "--"]);
        command.stdin(Stdio::null());
        command
    }

    /// The declarations' entries in the workspace's tests: `path::__harness_dev_services_<name>`.
    fn entries() -> Result<Vec<String>, String> {
        let output = cargo()
            .args(["--list", "--ignored", ENTRY])
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "cargo test --list failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.strip_suffix(": test"))
            .filter(|path| {
                path.rsplit("::")
                    .next()
                    .is_some_and(|last| last.starts_with(ENTRY))
            })
            .map(str::to_owned)
            .collect())
    }

    fn declared_name(entry: &str) -> &str {
        entry
            .rsplit("::")
            .next()
            .unwrap_or(entry)
            .trim_start_matches(ENTRY)
    }

    /// `'…'` for a POSIX shell.
    fn quoted(value: &str) -> String {
        format!("'{}'", value.replace('\'', r"'\''"))
    }

    pub(crate) fn run(args: &[String]) -> ExitCode {
        let options = match parse(args) {
            Ok(options) => options,
            Err(problem) => {
                eprintln!("harness up: {problem}\n\n{}", super::USAGE);
                return ExitCode::from(2);
            }
        };
        match up(&options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(problem) => {
                eprintln!("harness up: {problem}");
                ExitCode::FAILURE
            }
        }
    }

    fn up(options: &Options) -> Result<(), String> {
        let started = std::time::Instant::now();
        let entries = entries()?;
        let chosen: Vec<&String> = entries
            .iter()
            .filter(|e| {
                options
                    .name
                    .as_deref()
                    .is_none_or(|n| declared_name(e) == n)
            })
            .collect();
        let names = || {
            entries
                .iter()
                .map(|e| declared_name(e))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let entry = match chosen.as_slice() {
            [one] => *one,
            [] if entries.is_empty() => {
                return Err(
                    "no #[harness::dev_services] function in this workspace's tests \
                            (see `harness::dev`)"
                        .into(),
                );
            }
            [] => {
                return Err(format!(
                    "no declaration named {:?}: there are {}",
                    options.name.as_deref().unwrap_or(""),
                    names()
                ));
            }
            _ => {
                return Err(format!(
                    "several declarations ({}): name one, `harness up <name>`",
                    names()
                ));
            }
        };
        let out = tempdir()?;
        let output = cargo()
            .args(["--ignored", "--exact", entry])
            .env(harness::dev::OUTPUT_ENV, &out)
            .env(harness::env::LINGER, &options.idle)
            .env_remove("NEXTEST_RUN_ID")
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"));
        let read = |ext: &str| {
            std::fs::read_to_string(out.join(format!("{}.{ext}", entry.replace("::", ".")))).ok()
        };
        let (values, error) = (read("env"), read("error"));
        let _ = std::fs::remove_dir_all(&out);
        let output = output?;
        let Some(values) = values else {
            return Err(match error {
                Some(error) => error,
                None => format!(
                    "{entry} wrote nothing:\n{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
            });
        };
        let pairs: Vec<(&str, &str)> = values.lines().filter_map(|l| l.split_once('=')).collect();
        match &options.env_file {
            Some(path) => {
                // A project's .env holds more than ours: only our variables' lines change.
                let existing = match std::fs::read_to_string(path) {
                    Ok(text) => text,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                    Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
                };
                harness::workdir::write_private(path, &merged(&existing, &pairs))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
            None => {
                for (var, value) in &pairs {
                    println!("export {var}={}", quoted(value));
                }
            }
        }
        let vars: Vec<&str> = pairs.iter().map(|(var, _)| *var).collect();
        eprintln!(
            "harness up: {} ready in {:.1} s{} (they stay until `harness down`, or {} unused)",
            vars.join(", "),
            started.elapsed().as_secs_f64(),
            options
                .env_file
                .as_ref()
                .map(|p| format!(", written to {}", p.display()))
                .unwrap_or_default(),
            options.idle
        );
        Ok(())
    }

    /// `existing` (a .env file) with each of `values` set: its line replaced where there is one,
    /// else added at the end; every other line as it was.
    pub(crate) fn merged(existing: &str, values: &[(&str, &str)]) -> String {
        let mut left: Vec<&(&str, &str)> = values.iter().collect();
        let mut text = String::new();
        for line in existing.lines() {
            let var = line
                .trim_start()
                .trim_start_matches("export ")
                .split('=')
                .next();
            match left
                .iter()
                .position(|(name, _)| Some(name.trim()) == var.map(str::trim))
            {
                Some(at) => {
                    let (name, value) = left.remove(at);
                    text.push_str(&format!("{name}={value}\n"));
                }
                None => {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
        for (name, value) in left {
            text.push_str(&format!("{name}={value}\n"));
        }
        text
    }

    fn tempdir() -> Result<PathBuf, String> {
        let dir: &Path = &std::env::temp_dir();
        let dir = dir.join(format!("harness-up-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(dir)
    }
}

mod js_coverage {
    use std::path::PathBuf;
    use std::process::ExitCode;

    use harness_js_coverage::{Counts, Report};

    #[derive(Debug, PartialEq)]
    pub(crate) struct Options {
        pub(crate) dir: PathBuf,
        pub(crate) lcov: Option<PathBuf>,
        pub(crate) min_lines: Option<f64>,
        pub(crate) min_branches: Option<f64>,
        pub(crate) only: Vec<String>,
    }

    pub(crate) fn parse(args: &[String]) -> Result<Options, String> {
        let mut dir = None;
        let mut options = Options {
            dir: PathBuf::new(),
            lcov: None,
            min_lines: None,
            min_branches: None,
            only: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--lcov" => options.lcov = Some(PathBuf::from(value()?)),
                "--only" => options.only.push(value()?.clone()),
                "--min-lines" => options.min_lines = Some(percent(arg, value()?)?),
                "--min-branches" => options.min_branches = Some(percent(arg, value()?)?),
                flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
                _ if dir.is_some() => return Err(format!("unexpected argument {arg}")),
                _ => dir = Some(PathBuf::from(arg)),
            }
        }
        options.dir = dir.ok_or("the raw coverage directory is missing")?;
        Ok(options)
    }

    fn percent(flag: &str, value: &str) -> Result<f64, String> {
        value
            .parse::<f64>()
            .ok()
            .filter(|percent| (0.0..=100.0).contains(percent))
            .ok_or_else(|| format!("{flag} takes a percentage from 0 to 100, not {value:?}"))
    }

    /// `js coverage: lines 72.3% (110/152), gate 60%: ok`, and whether it passed. Nothing found
    /// fails: a gate over no code would pass whatever the tests did.
    pub(crate) fn gate(name: &str, counts: Counts, min: f64) -> (String, bool) {
        let passed = counts.percent().is_some_and(|percent| percent >= min);
        let verdict = match (passed, counts.found) {
            (true, _) => "ok",
            (false, 0) => "FAILED (nothing found)",
            (false, _) => "FAILED",
        };
        (
            format!("js coverage: {name} {counts}, gate {min}%: {verdict}"),
            passed,
        )
    }

    pub(crate) fn run(args: &[String]) -> ExitCode {
        let options = match parse(args) {
            Ok(options) => options,
            Err(problem) => {
                eprintln!("harness js-coverage: {problem}\n\n{}", super::USAGE);
                return ExitCode::from(2);
            }
        };
        let mut report = match Report::merge_dir(&options.dir) {
            Ok(report) => report,
            Err(error) => {
                eprintln!("js coverage: {}", harness::error_chain(&error));
                return ExitCode::FAILURE;
            }
        };
        if !options.only.is_empty() {
            report.retain_paths(&options.only);
        }
        print!("{report}");
        if let Some(path) = &options.lcov {
            if let Err(error) = report.write_lcov(path) {
                eprintln!("js coverage: {}", harness::error_chain(&error));
                return ExitCode::FAILURE;
            }
            println!("js coverage: lcov written to {}", path.display());
        }
        let totals = report.totals();
        let gates = [
            ("lines", totals.lines, options.min_lines),
            ("branches", totals.branches, options.min_branches),
        ];
        let mut all_passed = true;
        for (name, counts, min) in gates {
            let Some(min) = min else { continue };
            let (line, passed) = gate(name, counts, min);
            println!("{line}");
            all_passed &= passed;
        }
        if all_passed {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

#[cfg(all(test, feature = "browser"))]
mod tests {
    use super::js_coverage::{Options, gate, parse};
    use harness::browser::coverage::Counts;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn js_coverage_arguments() {
        assert_eq!(
            parse(&args(
                "raw --lcov out.info --min-lines 60 --min-branches 50.5"
            )),
            Ok(Options {
                dir: "raw".into(),
                lcov: Some("out.info".into()),
                min_lines: Some(60.0),
                min_branches: Some(50.5),
                only: Vec::new(),
            })
        );
        assert_eq!(parse(&args("raw")).unwrap().min_lines, None);
        assert_eq!(
            parse(&args("raw --only /app.js --only /admin.js"))
                .unwrap()
                .only,
            ["/app.js", "/admin.js"]
        );
        assert!(
            parse(&args("--min-lines 60"))
                .unwrap_err()
                .contains("directory")
        );
        assert!(
            parse(&args("raw --min-lines"))
                .unwrap_err()
                .contains("needs a value")
        );
        assert!(
            parse(&args("raw --min-lines 160"))
                .unwrap_err()
                .contains("0 to 100")
        );
        assert!(
            parse(&args("raw --gate 1"))
                .unwrap_err()
                .contains("unknown option")
        );
        assert!(
            parse(&args("raw other"))
                .unwrap_err()
                .contains("unexpected")
        );
    }

    #[test]
    fn a_gate_names_its_numbers_and_verdict() {
        let counts = Counts {
            found: 152,
            hit: 110,
        };
        assert_eq!(
            gate("lines", counts, 60.0),
            (
                "js coverage: lines 72.4% (110/152), gate 60%: ok".to_owned(),
                true
            )
        );
        assert!(!gate("lines", counts, 72.5).1);
        assert_eq!(
            gate("branches", Counts::default(), 50.0),
            (
                "js coverage: branches n/a (0/0), gate 50%: FAILED (nothing found)".to_owned(),
                false
            )
        );
    }
}

#[cfg(test)]
mod up_tests {
    use super::up;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn up_takes_a_name_an_idle_time_and_an_env_file() {
        let options = up::parse(&args("tunix_rt --idle 2h --env-file .env")).unwrap();
        assert_eq!(options.name.as_deref(), Some("tunix_rt"));
        assert_eq!(options.idle, "2h");
        assert_eq!(options.env_file, Some(".env".into()));
        assert_eq!(up::parse(&[]).unwrap().idle, "8h");
        let bad = up::parse(&args("--idle soon")).unwrap_err();
        assert!(
            bad.contains("HARNESS_LINGER=\"soon\" is not accepted"),
            "{bad}"
        );
        assert!(
            up::parse(&args("a b"))
                .unwrap_err()
                .contains("unexpected argument b")
        );
        assert!(
            up::parse(&args("--idle"))
                .unwrap_err()
                .contains("needs a value")
        );
    }

    #[test]
    fn an_env_file_keeps_its_other_lines() {
        let existing = "# mine\nRUST_LOG=debug\nDATABASE_URL=postgres://old\n";
        let merged = up::merged(
            existing,
            &[
                ("DATABASE_URL", "postgres://new"),
                ("REDIS_URL", "redis://127.0.0.1:1"),
            ],
        );
        assert_eq!(
            merged,
            "# mine\nRUST_LOG=debug\nDATABASE_URL=postgres://new\nREDIS_URL=redis://127.0.0.1:1\n"
        );
    }
}
