//! Servers kept after their run: `HARNESS_LINGER` (the next run adopts them), `HARNESS_KEEP` (for
//! a look, not adopted), and `harness down`, which ends them sooner but leaves a run going on alone.
#![cfg(target_os = "linux")]

use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use crate::child::{
    ScratchDir, containers_publishing, eventually, helper, output_of, spawn_ready,
};
use crate::lifecycle::assert_nothing_left;

/// A test process of a run of its own on `backend` under `scratch`, with `vars` set.
fn run_in(scratch: &ScratchDir, backend: &str, helper_name: &str, vars: &[(&str, &str)]) -> Command {
    let mut command = helper(helper_name);
    command
        .env(harness::env::POSTGRES, backend)
        .env(harness::env::DIR, &scratch.0)
        .env(harness::env::DATA_DIR, scratch.0.join("data"))
        .env_remove(harness::env::KEEP)
        .env_remove(harness::env::LINGER);
    for (name, value) in vars {
        command.env(name, value);
    }
    command
}

/// One whole run that takes a database and ends at once; the server's port.
fn one_run(scratch: &ScratchDir, backend: &str, vars: &[(&str, &str)]) -> u16 {
    let release = scratch.0.join("release");
    std::fs::write(&release, b"").unwrap();
    let mut command = run_in(scratch, backend, "helper_hold_database_briefly", vars);
    command.env("HELPER_RELEASE", &release);
    let (mut child, _out, port) = spawn_ready(command);
    assert!(child.wait().unwrap().success());
    port.parse().unwrap()
}

fn harness_cli(scratch: &ScratchDir, command: &str) -> (bool, String) {
    let mut cli = Command::new(env!("CARGO_BIN_EXE_harness"));
    cli.arg(command).env(harness::env::DIR, &scratch.0);
    let output = cli.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn listens(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// The next run finds the last one's server and uses it; `harness down` leaves it while a run
/// holds it; a run killed mid-way leaves it to the next; `down` ends it, with everything of the
/// runs', once no run holds it.
fn warm_runs_adopt_and_down_ends(backend: &str) {
    let scratch = ScratchDir::new(&format!("warm-{backend}"));
    let warm = [(harness::env::LINGER, "2m")];
    let port = one_run(&scratch, backend, &warm);
    assert!(listens(port), "the server lingers after its run");
    let container = (backend == "docker").then(|| {
        let ids = containers_publishing(port);
        assert_eq!(ids.len(), 1, "one container publishes {port}: {ids:?}");
        ids[0].clone()
    });

    // The next run adopts it, and holds it while `down` runs.
    let (mut holder, out, again) =
        spawn_ready(run_in(&scratch, backend, "helper_hold_database", &warm));
    assert_eq!(again.parse::<u16>().unwrap(), port, "the next run adopts the server");
    let (ok, said) = harness_cli(&scratch, "ls");
    assert!(ok && said.contains("in use"), "{said}");
    let (ok, said) = harness_cli(&scratch, "down");
    assert!(ok && said.contains("a run is using it"), "{said}");
    assert!(listens(port), "down ended a server a run holds");

    // That run is killed mid-way: its lease goes with its test process, the server stays, and
    // the run after it adopts the server again.
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(holder.id() as i32, libc::SIGKILL) };
    let _ = holder.wait();
    drop(out);
    assert_eq!(
        one_run(&scratch, backend, &warm),
        port,
        "the run after a killed one adopts the server"
    );
    let (ok, said) = harness_cli(&scratch, "down");
    assert!(ok && said.contains("ended postgres-"), "{said}");
    assert_nothing_left(&scratch.0, port);
    if let Some(id) = container {
        assert!(!crate::child::container_exists(&id), "container {id} is left");
    }
    let (ok, said) = harness_cli(&scratch, "down");
    assert!(ok && said.contains("nothing kept"), "{said}");
}

#[test]
fn warm_runs_adopt_the_last_runs_server_and_down_ends_it() {
    warm_runs_adopt_and_down_ends("local");
}

/// `HARNESS_KEEP`: the server stays after its run, the next run starts its own, and each ends
/// by itself when its time is up, leaving nothing.
#[test]
fn a_kept_server_outlives_its_run_and_then_ends_by_itself() {
    let scratch = ScratchDir::new("keep");
    let keep = [(harness::env::KEEP, "3s")];
    let first = one_run(&scratch, "local", &keep);
    assert!(listens(first), "the kept server is there after its run");
    let second = one_run(&scratch, "local", &keep);
    assert_ne!(first, second, "a kept server is not adopted by the next run");
    eventually(Duration::from_secs(20), || {
        if listens(first) || listens(second) {
            return Err("a kept server is still up after its time".into());
        }
        Ok(())
    });
    assert_nothing_left(&scratch.0, first);
}

/// `harness up`'s entry, as `up` runs it: the declared database, migrated, and Redis, as a warm
/// run's; the next `up` finds them, the database's data kept; `down` ends them.
#[test]
fn dev_services_come_up_once_and_keep_their_data_until_down() {
    let scratch = ScratchDir::new("up");
    let out = scratch.0.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let up = || {
        let mut command = run_in(&scratch, "local", "helper_dev_services", &[(harness::env::LINGER, "2m")]);
        command.env(harness::dev::OUTPUT_ENV, &out);
        let (_, err) = output_of(command);
        let file = out.join("child.helper_dev_services.env");
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}: {err}"));
        std::fs::remove_file(&file).unwrap();
        let values: std::collections::HashMap<String, String> = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        values
    };
    let first = up();
    let url = first["DATABASE_URL"].clone();
    assert!(url.starts_with("postgres://") && url.ends_with("/harness_dev"), "{url}");
    let redis_port: u16 = first["REDIS_URL"].rsplit(':').next().unwrap().parse().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::query("INSERT INTO notes (body) VALUES ('kept across ups')")
            .execute(&pool)
            .await
            .expect("the database is migrated");
        pool.close().await;
    });
    assert_eq!(crate::services::redis(redis_port, &["SET", "k", "v"]), "+OK");

    let second = up();
    assert_eq!(first, second, "the next up finds the same services");
    runtime.block_on(async {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM notes WHERE body = 'kept across ups'")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(kept, 1, "the data stays while the migrations do");
        pool.close().await;
    });
    assert_eq!(crate::services::redis(redis_port, &["GET", "k"]), "v");

    let (ok, said) = harness_cli(&scratch, "down");
    assert!(ok && said.contains("ended postgres-") && said.contains("ended service-redis"), "{said}");
    let port: u16 = url.rsplit_once(':').unwrap().1.split('/').next().unwrap().parse().unwrap();
    assert_nothing_left(&scratch.0, port);
    assert!(!listens(redis_port), "Redis still listens");
}

/// A bad duration is refused before anything starts.
#[test]
fn a_bad_linger_is_refused_before_anything_starts() {
    let scratch = ScratchDir::new("bad-linger");
    let (out, _err) = output_of(run_in(
        &scratch,
        "local",
        "helper_report_provision_error",
        &[(harness::env::LINGER, "a while")],
    ));
    assert!(
        out.contains("HARNESS_LINGER=\"a while\" is not accepted"),
        "{out}"
    );
    assert!(!scratch.0.join("runs").exists(), "a run directory was made");
}

mod docker {
    #[test]
    fn warm_runs_adopt_the_last_runs_server_and_down_ends_it() {
        super::warm_runs_adopt_and_down_ends("docker");
    }
}
