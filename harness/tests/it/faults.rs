//! Faults in the middle of a test end it fast, with an error that says what happened.
#![cfg(target_os = "linux")]

use std::io::{Read, Write};
use std::time::Duration;

use crate::child::{
    ScratchDir, eventually, helper, nothing_runs_under, spawn_ready, the_pid_of, wait_for_line,
};

/// The seconds in a `Duration`'s debug form (`1.2s`, `350.1ms`, `20µs`).
fn seconds_in(took: &str) -> Option<f64> {
    if let Some(ms) = took.strip_suffix("ms") {
        ms.parse::<f64>().ok().map(|ms| ms / 1000.0)
    } else if took.ends_with("µs") || took.ends_with("ns") {
        Some(0.0)
    } else {
        took.strip_suffix('s').and_then(|s| s.parse::<f64>().ok())
    }
}

#[test]
fn postgres_dying_mid_test_fails_the_next_query_at_once() {
    let scratch = ScratchDir::new("pgdies");
    // The local backend, whatever this run uses: the test stops the server's process itself.
    let mut command = helper("helper_query_on_demand");
    command
        .env("HARNESS_POSTGRES", "local")
        .env("HARNESS_DIR", &scratch.0)
        .env("HARNESS_DATA_DIR", scratch.0.join("data"));
    let (mut child, mut out, port) = spawn_ready(command);
    let port: u16 = port.parse().unwrap();
    // The postmaster is the process whose command line names its data directory with -D.
    let postmaster = the_pid_of(&scratch.0.join("data"), |p| {
        p.contains("postgres") && p.contains(" -D ")
    });
    // Stopped as an operator (or a crashed machine's init) stops it: a fast shutdown that ends
    // every session, then the postmaster.
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(postmaster, libc::SIGINT) };
    eventually(
        Duration::from_secs(10),
        || match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(_) => Err("postgres still listens".into()),
            Err(_) => Ok(()),
        },
    );
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let report = wait_for_line(&mut out, "QUERY ", Duration::from_secs(30)).unwrap();
    let _ = child.wait();
    assert!(
        report.starts_with("failed after"),
        "the query should fail: {report}"
    );
    // At once when the pool notices the dead connection, else at the pool's bounded 3 s wait for
    // a new one: in seconds either way, never a hang.
    let took = report.split_whitespace().nth(2).unwrap_or_default();
    assert!(
        seconds_in(took.trim_end_matches(':')).is_some_and(|s| s < 5.0),
        "the failure should come within seconds: {report}"
    );
}

/// Kill the run's chromedriver or the test's Chrome (the process whose command line contains
/// `program`) under a waiting test: the test fails at once saying `reason`, with its artifacts.
fn browser_loses(helper_name: &str, program: &str, reason: &str) {
    let scratch = ScratchDir::new("browser-dies");
    let mut command = helper(helper_name);
    command
        .env("HARNESS_DIR", &scratch.0)
        .env_remove(harness::env::BROWSER_REUSE)
        .env_remove(harness::env::WEBDRIVER_URL);
    let (mut child, mut out, _) = spawn_ready(command);
    // Chrome's helpers carry `--type=`; the browser process itself does not.
    let victim = the_pid_of(&scratch.0, |p| {
        p.contains(program) && !p.contains("--type=")
    });
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(victim, libc::SIGKILL) };
    child.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let waited = wait_for_line(&mut out, "WAITED ", Duration::from_secs(30)).unwrap();
    // The assertion's own deadline is 5 s: a failure sooner than that did not wait it out.
    assert!(
        seconds_in(&waited).is_some_and(|s| s < 3.0),
        "the test failed at once, not after {waited}"
    );
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut out, &mut rest);
    let mut err = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err);
    let status = child.wait().unwrap();
    assert!(!status.success(), "the test should fail: {rest}{err}");
    let dir = harness::browser::artifacts_root().join(format!("child__{helper_name}"));
    let summary = std::fs::read_to_string(dir.join("failure.txt"))
        .unwrap_or_else(|e| panic!("no artifacts saved ({e}): {rest}{err}"));
    let service = std::fs::read_to_string(dir.join("service.log")).unwrap_or_default();
    assert!(service.contains("the service's log line"), "{service}");
    let _ = std::fs::remove_dir_all(&dir);
    let output = format!("WAITED {waited}\n{rest}{err}");
    assert!(
        output.contains("SessionGone") && output.contains(reason),
        "a clear failure, saying {reason:?}: {output}"
    );
    // Made by hand, the browser leads with its failed step, which says what went.
    assert!(
        summary.contains("why: click css \"h1\" failed: ")
            && summary.contains("the browser session is gone"),
        "{summary}"
    );
    assert!(summary.contains("screenshot.png: not saved"), "{summary}");
}

/// Browser tests (in a module of that name: a run without a browser leaves them out by it).
mod browser {
    use super::browser_loses;

    #[test]
    fn chromedriver_dying_mid_test_fails_it_at_once_with_artifacts() {
        browser_loses(
            "helper_browser_loses_its_driver",
            "chromedriver",
            "chromedriver) cannot be reached; did it die?",
        );
    }

    #[test]
    fn chrome_dying_mid_test_fails_it_at_once_with_artifacts() {
        browser_loses(
            "helper_browser_loses_its_chrome",
            "--remote-debugging-port",
            "the browser cannot be reached; did it crash or get killed?",
        );
    }
}

/// A tmpfs of `size` mounted on a fresh directory (Linux: as root, or through `sudo -n` as on
/// GitHub's runners), owned by this user, unmounted when dropped. Where this process may not
/// mount, the test fails saying so: a run that cannot leaves the `disk` tests out by that name.
struct SmallDisk {
    dir: ScratchDir,
    sudo: bool,
}

/// A command running `program`, through `sudo -n` (never prompting) when `sudo` is set.
fn privileged(program: &str, sudo: bool) -> std::process::Command {
    if sudo {
        let mut command = std::process::Command::new("sudo");
        command.args(["-n", program]);
        command
    } else {
        std::process::Command::new(program)
    }
}

impl SmallDisk {
    fn mount(size: &str, options: &str) -> SmallDisk {
        let dir = ScratchDir::new("disk");
        // SAFETY: these have no preconditions.
        let (uid, gid, root) = unsafe { (libc::getuid(), libc::getgid(), libc::geteuid() == 0) };
        let mounted = privileged("mount", !root)
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},uid={uid},gid={gid},mode=0755{options}"),
                "tmpfs",
            ])
            .arg(&dir.0)
            .output();
        const LEAVE_OUT: &str = "run as root or with passwordless sudo, or leave the disk \
                                 tests out: -E 'not test(/(^|::)disk::/)'";
        match mounted {
            Ok(out) if out.status.success() => SmallDisk { dir, sudo: !root },
            Ok(out) => panic!(
                "cannot mount a small tmpfs here to test a full disk ({LEAVE_OUT}): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            Err(e) => panic!("no mount command ({LEAVE_OUT}): {e}"),
        }
    }

    fn path(&self) -> &std::path::Path {
        &self.dir.0
    }

    /// Take all its space.
    fn fill(&self) {
        let mut file = std::fs::File::create(self.path().join("filler")).unwrap();
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily: a process that has not yet let go of a file there must not keep it mounted.
        let _ = privileged("umount", self.sudo)
            .arg("-l")
            .arg(&self.dir.0)
            .status();
    }
}

/// Ask for a database with `variable` pointing at `disk`; the error's first line must name the
/// directory and say `words` (the file system's own).
fn assert_disk_error(variable: &str, disk: &SmallDisk, words: &str) {
    let dir = disk.path().to_string_lossy().into_owned();
    let line = crate::errors::provision_with(&[("HARNESS_POSTGRES", "local"), (variable, &dir)]);
    assert!(line.starts_with("ERROR"), "{line}");
    let headline = line.lines().next().unwrap_or_default();
    assert!(
        headline.contains(&dir) && headline.contains(words),
        "the first line should name {dir} and say {words:?}: {line}"
    );
}

/// A stand-in for the Docker engine's socket: a proxy to the real one that can be stopped, as an
/// engine is stopped, without touching the real engine other tests use.
struct EngineProxy {
    socket: std::path::PathBuf,
    stopping: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<std::sync::Mutex<Vec<std::os::unix::net::UnixStream>>>,
    accepting: Option<std::thread::JoinHandle<()>>,
}

impl EngineProxy {
    fn start(socket: std::path::PathBuf) -> EngineProxy {
        use std::os::unix::net::{UnixListener, UnixStream};
        let engine = match std::env::var("DOCKER_HOST") {
            Ok(host) if host.starts_with("unix://") => host["unix://".len()..].to_owned(),
            _ => "/var/run/docker.sock".to_owned(),
        };
        let listener = UnixListener::bind(&socket).unwrap();
        let stopping = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let open = std::sync::Arc::new(std::sync::Mutex::new(Vec::<UnixStream>::new()));
        let (stop, conns) = (stopping.clone(), open.clone());
        let accepting = std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    return;
                }
                let (Ok(client), Ok(upstream)) = (client, UnixStream::connect(&engine)) else {
                    continue;
                };
                let mut conns = conns.lock().unwrap();
                conns.push(client.try_clone().unwrap());
                conns.push(upstream.try_clone().unwrap());
                for (mut from, mut to) in [
                    (client.try_clone().unwrap(), upstream.try_clone().unwrap()),
                    (upstream, client),
                ] {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                }
            }
        });
        EngineProxy {
            socket,
            stopping,
            open,
            accepting: Some(accepting),
        }
    }

    fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// The engine goes away: no new connection is accepted, and open ones are cut.
    fn stop(&mut self) {
        self.stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        // Wake the accepting thread so that it sees the flag.
        let _ = std::os::unix::net::UnixStream::connect(&self.socket);
        if let Some(thread) = self.accepting.take() {
            thread.join().unwrap();
        }
        let _ = std::fs::remove_file(&self.socket);
        for conn in self.open.lock().unwrap().drain(..) {
            let _ = conn.shutdown(std::net::Shutdown::Both);
        }
    }
}

impl Drop for EngineProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Tests that need a Docker engine (in a module of that name: a run without one leaves them out by it).
mod docker {
    use super::*;

    /// The Docker engine stops under a running test (its containers stop with it): the test's next
    /// query fails in seconds, a new database is refused with an error that names the engine, and
    /// once the engine is back the next run removes what was left and says so.
    #[test]
    fn the_docker_engine_stopping_mid_run_is_a_clear_error() {
        let scratch = ScratchDir::new("engine-stops");
        let mut engine = EngineProxy::start(scratch.0.join("docker.sock"));
        let mut command = helper("helper_query_on_demand");
        command
            .env("HARNESS_POSTGRES", "docker")
            .env("DOCKER_HOST", engine.host())
            .env("HARNESS_DIR", &scratch.0)
            .env("HELPER_PROVISION_AGAIN", "1");
        let (mut child, mut out, port) = spawn_ready(command);
        let port: u16 = port.parse().unwrap();
        let containers = crate::child::containers_publishing(port);
        assert_eq!(containers.len(), 1, "{containers:?}");

        engine.stop();
        let killed = std::process::Command::new("docker")
            .args(["kill", &containers[0]])
            .output()
            .unwrap();
        assert!(killed.status.success(), "{killed:?}");

        child.stdin.take().unwrap().write_all(b"go\n").unwrap();
        let query = wait_for_line(&mut out, "QUERY ", Duration::from_secs(30)).unwrap();
        assert!(query.starts_with("failed after"), "{query}");
        let again = wait_for_line(&mut out, "AGAIN ", Duration::from_secs(60)).unwrap();
        let _ = child.wait();
        assert!(again.starts_with("ERROR"), "{again}");
        assert!(
            again.contains(&port.to_string()) && again.contains("nothing listens there any more"),
            "the error names the server and what happened to it: {again}"
        );
        let took = again.split_whitespace().nth(2).unwrap_or_default();
        assert!(
            seconds_in(took.trim_end_matches(':')).is_some_and(|s| s < 10.0),
            "refused within seconds: {again}"
        );

        // A new test process while the engine is down: told so at once.
        let provision = |engine: &EngineProxy| {
            let mut next = helper("helper_report_provision_error");
            next.env("HARNESS_POSTGRES", "docker")
                .env("DOCKER_HOST", engine.host())
                .env("HARNESS_DIR", &scratch.0);
            crate::child::output_of(next)
        };
        let (out, err) = provision(&engine);
        assert!(out.contains("RESULT ERROR"), "{out}{err}");
        assert!(out.contains(&engine.host()), "names the engine: {out}");

        // The first run's keeper is done (it could not remove the container: no engine).
        eventually(Duration::from_secs(15), || nothing_runs_under(&scratch.0));

        // The engine is back: the next run removes the stopped container and says so.
        let engine = EngineProxy::start(scratch.0.join("docker.sock"));
        let (out, err) = provision(&engine);
        assert!(out.contains("RESULT OK"), "{out}{err}");
        assert!(
            err.contains("left by an earlier run"),
            "the leftover is reported: {err}"
        );
        eventually(
            Duration::from_secs(10),
            || match crate::child::container_exists(&containers[0]) {
                true => Err(format!("container {} is still there", containers[0])),
                false => Ok(()),
            },
        );
        // That run's own container goes with it, through the engine, before the engine goes.
        eventually(Duration::from_secs(15), || nothing_runs_under(&scratch.0));
        drop(engine);
    }
}

/// Tests that mount a small disk (in a module of that name: a run that may not mount leaves them out by it).
mod disk {
    use super::*;

    #[test]
    fn a_full_data_disk_is_a_clear_error() {
        let disk = SmallDisk::mount("4m", "");
        assert_disk_error("HARNESS_DATA_DIR", &disk, "No space left on device");
    }

    #[test]
    fn a_full_target_dir_is_a_clear_error() {
        let disk = SmallDisk::mount("1m", "");
        disk.fill();
        assert_disk_error("HARNESS_DIR", &disk, "No space left on device");
    }

    #[test]
    fn a_read_only_data_dir_is_a_clear_error() {
        let disk = SmallDisk::mount("1m", ",ro");
        assert_disk_error("HARNESS_DATA_DIR", &disk, "Read-only file system");
    }

    /// Postgres PANICs when it cannot write its WAL: the test sees only a reset connection. The
    /// harness says why (the server's log line, a hint), and the run still ends with nothing left.
    #[test]
    fn the_disk_filling_up_under_a_running_test_is_a_clear_error_and_leaves_nothing() {
        // Room for the cached cluster and the server's data (about 85 MiB), then some.
        let disk = SmallDisk::mount("160m", "");
        let mut command = helper("helper_fill_the_disk");
        command
            .env("HARNESS_POSTGRES", "local")
            .env("HARNESS_DIR", disk.path())
            .env("HARNESS_DATA_DIR", disk.path().join("data"));
        let (mut child, mut out, port) = spawn_ready(command);
        let port: u16 = port.parse().unwrap();
        let fill = wait_for_line(&mut out, "FILL ", Duration::from_secs(120)).unwrap();
        let again = wait_for_line(&mut out, "AGAIN ", Duration::from_secs(60)).unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "the test whose write failed fails");
        assert!(
            !fill.contains("never failed"),
            "the disk never filled up: {fill}"
        );

        // The next database asked for while the server is down says why it is down.
        assert!(again.starts_with("ERROR"), "{again}");
        for words in [
            "the server's log says",
            "No space left on device",
            "HARNESS_DATA_DIR",
        ] {
            assert!(again.contains(words), "should say {words:?}: {again}");
        }
        // So does the failed test's report, whatever its own error said.
        let report = stderr
            .lines()
            .find(|line| line.starts_with("harness: test failed"))
            .unwrap_or_else(|| panic!("no report of the failed test: {stderr}"));
        assert!(report.contains("No space left on device"), "{report}");

        crate::lifecycle::assert_nothing_left(disk.path(), port);
    }
}
