//! Helpers that re-run this test binary as a child process, and the `#[ignore]`d helper "tests"
//! those children run. A child gets its own environment (a backend choice, a private
//! `HARNESS_DIR`), and can be killed without killing the test that watches it.

use harness::sqlx_0_8::TestDatabaseExt as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use harness::{Backend, PostgresServer, TestDatabase};

/// The docker backend's server (for tests in modules named `docker`, which a run without Docker
/// leaves out by that name).
pub async fn docker_server() -> &'static PostgresServer {
    PostgresServer::shared_with(Backend::Docker).await.unwrap()
}

/// This test binary, set to run one helper.
pub fn helper(name: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            &format!("child::{name}"),
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_remove("NEXTEST_RUN_ID")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// A private harness directory for a child, removed when dropped.
pub struct ScratchDir(pub PathBuf);

impl ScratchDir {
    pub fn new(tag: &str) -> ScratchDir {
        let dir = std::env::temp_dir().join(format!(
            "harness-it-{tag}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        // The run's initdb cache, shared (it is only ever read once made): a child then spends
        // its time on what its test is about, not on an initdb of its own.
        #[cfg(unix)]
        {
            let home = std::env::var_os(harness::env::DIR).map_or_else(
                || harness::browser::artifacts_root().with_file_name("harness"),
                PathBuf::from,
            );
            let cache = home.join("cache");
            if cache.is_dir() {
                let _ = std::os::unix::fs::symlink(&cache, dir.join("cache"));
            }
        }
        ScratchDir(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        // The keepers of a child's run may still be removing their servers and browsers, which
        // write into this directory until they are gone: wait for them, with a deadline.
        #[cfg(target_os = "linux")]
        {
            let deadline = Instant::now() + Duration::from_secs(15);
            while !processes_mentioning(&self.0).is_empty() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Read lines from a child until one starts with `prefix`; everything read is returned on failure.
pub fn wait_for_line(
    out: &mut BufReader<ChildStdout>,
    prefix: &str,
    within: Duration,
) -> Result<String, String> {
    let started = Instant::now();
    let mut seen = String::new();
    // The deadline is checked between lines; a helper that prints nothing is killed by the caller.
    while started.elapsed() < within {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap_or(0) == 0 {
            return Err(format!(
                "the child closed its output before `{prefix}`; it printed:\n{seen}"
            ));
        }
        // libtest prints the test's name without a newline before the test's own output.
        if let Some(at) = line.find(prefix) {
            return Ok(line[at + prefix.len()..].trim().to_owned());
        }
        seen.push_str(&line);
    }
    Err(format!(
        "no `{prefix}` within {within:?}; the child printed:\n{seen}"
    ))
}

/// Spawn a helper and wait for its `READY` line; returns the child, the rest of its output (keep
/// it open while the child may still print), and what followed `READY `.
#[cfg(target_os = "linux")]
pub fn spawn_ready(mut command: Command) -> (Child, BufReader<ChildStdout>, String) {
    let mut child = command.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let ready = wait_for_line(&mut out, "READY ", Duration::from_secs(90)).unwrap();
    (child, out, ready)
}

/// Every path under `dir` (at most 40), to say what was left there.
#[cfg(target_os = "linux")]
pub fn files_under(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            if found.len() >= 40 {
                return found;
            }
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(entry.path());
            }
            found.push(entry.path());
        }
    }
    found
}

/// Run a child to its end and return (stdout, stderr).
pub fn output_of(mut command: Command) -> (String, String) {
    let output = command.stdin(Stdio::null()).output().unwrap();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Wait until `condition` holds, or fail with what it last said.
#[cfg(target_os = "linux")]
pub fn eventually(within: Duration, mut condition: impl FnMut() -> Result<(), String>) {
    let started = Instant::now();
    loop {
        match condition() {
            Ok(()) => return,
            Err(e) if started.elapsed() > within => panic!("not so after {within:?}: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Processes whose command line or environment mentions `path` (Linux): what a harness run
/// under that directory started.
#[cfg(target_os = "linux")]
pub fn processes_mentioning(path: &std::path::Path) -> Vec<String> {
    let needle = path.to_string_lossy().into_owned();
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if !pid.chars().all(|c| c.is_ascii_digit()) || pid == me {
                return None;
            }
            let read = |what: &str| {
                let mut bytes = Vec::new();
                std::fs::File::open(entry.path().join(what))
                    .and_then(|mut f| f.read_to_end(&mut bytes))
                    .ok()?;
                Some(String::from_utf8_lossy(&bytes).replace('\0', " "))
            };
            let stat = read("stat").unwrap_or_default();
            if stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
            {
                return None;
            }
            let cmdline = read("cmdline").unwrap_or_default();
            let environ = read("environ").unwrap_or_default();
            (cmdline.contains(&needle) || environ.contains(&needle))
                .then(|| format!("{pid}: {cmdline}"))
        })
        .collect()
}

/// `Ok` once no process mentions `dir`, else who still runs (for [`eventually`]).
#[cfg(target_os = "linux")]
pub fn nothing_runs_under(dir: &std::path::Path) -> Result<(), String> {
    let left = processes_mentioning(dir);
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("still running: {left:?}"))
    }
}

/// The pid of the one process that mentions `dir` and whose command line passes `which`.
#[cfg(target_os = "linux")]
pub fn the_pid_of(dir: &std::path::Path, which: impl Fn(&str) -> bool) -> i32 {
    let pids: Vec<i32> = processes_mentioning(dir)
        .iter()
        .filter(|p| which(p))
        .filter_map(|p| p.split(':').next()?.parse().ok())
        .collect();
    assert_eq!(pids.len(), 1, "exactly one such process: {pids:?}");
    pids[0]
}

/// The ids of the harness's containers that publish `port` on the host.
#[cfg(target_os = "linux")]
pub fn containers_publishing(port: u16) -> Vec<String> {
    let out = std::process::Command::new("docker")
        .args([
            "ps",
            "-a",
            "--no-trunc",
            "--filter",
            "label=dev.harness.managed",
        ])
        .args(["--format", "{{.ID}} {{.Ports}}"])
        .output()
        .expect("the docker CLI runs");
    let needle = format!("127.0.0.1:{port}->");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|line| line.contains(&needle))
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[cfg(target_os = "linux")]
pub fn container_exists(id: &str) -> bool {
    std::process::Command::new("docker")
        .args(["inspect", "--format", "{{.Id}}", id])
        .output()
        .is_ok_and(|out| out.status.success())
}

// ---- the helpers, run only as children ----

/// Wait, off the runtime's threads, for the parent: until it closes this child's stdin, or with
/// `line`, until it writes a line there (its go-ahead).
async fn stdin_from_parent(line: bool) {
    tokio::task::spawn_blocking(move || {
        let mut text = String::new();
        let _ = if line {
            std::io::stdin().read_line(&mut text)
        } else {
            std::io::stdin().read_to_string(&mut text)
        };
    })
    .await
    .unwrap();
}

/// Take a database and hold it until stdin closes; prints `READY <server port>`.
#[tokio::test]
#[ignore = "helper run by other tests as a child process"]
async fn helper_hold_database() {
    let db = TestDatabase::new(&crate::MIGRATOR).await.unwrap();
    println!("READY {}", db.server().port());
    std::io::stdout().flush().unwrap();
    stdin_from_parent(false).await;
    db.close().await.unwrap();
}

/// Ask for a database and print `OK` or `ERROR <the error chain>` (what a user would read).
#[tokio::test]
#[ignore = "helper run by other tests as a child process"]
async fn helper_report_provision_error() {
    report_provision("RESULT").await;
}

/// Ask for a database; print `<tag> OK` or `<tag> ERROR after <time>: <the error chain>`.
async fn report_provision(tag: &str) {
    let started = Instant::now();
    match TestDatabase::new(&crate::MIGRATOR).await {
        // A line of its own: libtest prints the test's name before its output.
        Ok(_) => println!("\n{tag} OK"),
        Err(e) => println!(
            "\n{tag} ERROR after {:?}: {}",
            started.elapsed(),
            harness::error_chain(&e)
        ),
    }
}

/// Stand in for nextest: start two workers (`HELPER_WORKER`, default `helper_hold_database`)
/// with this run's id and relay what they print; wait for them.
#[test]
#[ignore = "helper run by other tests as a child process"]
fn helper_fake_runner() {
    let name = std::env::var("HELPER_WORKER").unwrap_or_else(|_| "helper_hold_database".into());
    let mut workers: Vec<Child> = (0..2)
        .map(|_| {
            let mut worker = helper(&name);
            worker.env("NEXTEST_RUN_ID", std::env::var("HELPER_RUN_ID").unwrap());
            worker.stdin(Stdio::null()).stderr(Stdio::inherit());
            // Workers wait on stdin; a pipe that nobody writes keeps them holding their lease.
            worker.stdin(Stdio::piped());
            worker.spawn().unwrap()
        })
        .collect();
    for worker in &mut workers {
        let mut out = BufReader::new(worker.stdout.take().unwrap());
        let port = wait_for_line(&mut out, "READY ", Duration::from_secs(60)).unwrap();
        println!("WORKER {} {port}", worker.id());
        std::mem::forget(out);
    }
    std::io::stdout().flush().unwrap();
    for worker in &mut workers {
        let _ = worker.wait();
    }
}

/// A tiny HTTP server on `HELPER_FORCE_ADDR` if set (to play a service whose port is taken),
/// else on `HELPER_LISTEN` (set by the harness).
#[test]
#[ignore = "helper run by other tests as a child process"]
fn helper_serve_http() {
    let addr = std::env::var("HELPER_FORCE_ADDR")
        .or_else(|_| std::env::var("HELPER_LISTEN"))
        .unwrap();
    let listener = match std::net::TcpListener::bind(&addr) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e}");
            std::process::exit(3);
        }
    };
    println!("listening on {addr}");
    for stream in listener.incoming().flatten() {
        let mut stream = stream;
        let mut buf = [0u8; 1024];
        let _ = std::io::Read::read(&mut stream, &mut buf);
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    }
}

/// Reserve `HELPER_PORTS` ports, print them, hold them until stdin closes.
#[test]
#[ignore = "helper run by other tests as a child process"]
fn helper_hold_ports() {
    let count: usize = std::env::var("HELPER_PORTS").unwrap().parse().unwrap();
    let held: Vec<_> = (0..count)
        .map(|_| harness::free_loopback_port().unwrap())
        .collect();
    let ports: Vec<String> = held.iter().map(|p| p.port().to_string()).collect();
    println!("PORTS {}", ports.join(" "));
    std::io::stdout().flush().unwrap();
    let mut sink = String::new();
    let _ = std::io::stdin().read_to_string(&mut sink);
}

/// Take a database, print `READY <server port>`, and hold it until `HELPER_RELEASE` names a file
/// that exists, or 4 s pass: bounded, since under a killed runner nothing else would end it.
#[tokio::test]
#[ignore = "helper run by other tests as a child process"]
async fn helper_hold_database_briefly() {
    let db = TestDatabase::new(&crate::MIGRATOR).await.unwrap();
    println!("\nREADY {}", db.server().port());
    std::io::stdout().flush().unwrap();
    let release = std::env::var_os("HELPER_RELEASE").map(PathBuf::from);
    let until = Instant::now() + Duration::from_secs(4);
    while Instant::now() < until && !release.as_ref().is_some_and(|f| f.exists()) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Take a database, print `READY`, wait for a line on stdin, then query it and print how that
/// went: `QUERY ok` or `QUERY failed after <time>: <error>`; with `HELPER_PROVISION_AGAIN` set,
/// then ask for another database and print `AGAIN OK` or `AGAIN ERROR after <time>: <error>`.
#[tokio::test]
#[ignore = "helper run by other tests as a child process"]
async fn helper_query_on_demand() {
    let db = TestDatabase::new(&crate::MIGRATOR).await.unwrap();
    println!("\nREADY {}", db.server().port());
    std::io::stdout().flush().unwrap();
    stdin_from_parent(true).await;
    let started = Instant::now();
    match sqlx::query("SELECT count(*) FROM notes")
        .execute(db.pool())
        .await
    {
        Ok(_) => println!("\nQUERY ok"),
        Err(e) => println!("\nQUERY failed after {:?}: {e}", started.elapsed()),
    }
    if std::env::var_os("HELPER_PROVISION_AGAIN").is_some() {
        report_provision("AGAIN").await;
    }
    std::io::stdout().flush().unwrap();
}

/// Take a database, print `READY`, then write to it until the disk under it is full: print
/// `FILL <rows written> <the error>` (or `FILL <rows> never failed`), ask for another database
/// (`AGAIN …`, as [`report_provision`]), then fail as a test whose write failed does.
#[tokio::test]
#[ignore = "helper run by other tests as a child process"]
async fn helper_fill_the_disk() {
    let db = TestDatabase::new(&crate::MIGRATOR).await.unwrap();
    println!("\nREADY {}", db.server().port());
    std::io::stdout().flush().unwrap();
    // Stored out of line and uncompressed, so each row costs its full 512 KiB on disk.
    sqlx::raw_sql(
        "CREATE TABLE ballast (data text); ALTER TABLE ballast ALTER data SET STORAGE EXTERNAL",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let mut rows = 0;
    let outcome = loop {
        // Bounded: 4 GiB at most, far beyond any disk a test mounts for this.
        if rows == 8192 {
            break "never failed".to_owned();
        }
        let insert = sqlx::query(
            "INSERT INTO ballast SELECT string_agg(md5(random()::text), '') \
             FROM generate_series(1, 16384)",
        )
        .execute(db.pool())
        .await;
        match insert {
            Ok(_) => rows += 1,
            Err(e) => break e.to_string(),
        }
    };
    println!("\nFILL {rows} {outcome}");
    report_provision("AGAIN").await;
    std::io::stdout().flush().unwrap();
    panic!("the write failed: {outcome}");
}

/// A page for the browser helpers: a heading and a console message.
pub async fn small_page() -> harness::InProcessService {
    let page = "<!doctype html><html><head><title>Helper page</title>\
        <link rel=\"icon\" href=\"data:,\"></head>\
        <body><h1>Helper page</h1><script>console.warn('helper-page-loaded')</script></body></html>";
    let router = axum::Router::new().route(
        "/",
        axum::routing::get(move || async move { axum::response::Html(page) }),
    );
    harness::InProcessService::serve(router).await.unwrap()
}

/// Serve [`small_page`] and show it in `browser`; the page lives as long as what is returned.
async fn open_small_page(browser: &harness::browser::Browser) -> harness::InProcessService {
    let site = small_page().await;
    browser.goto(site.base_url()).await.unwrap();
    browser
        .expect("h1")
        .to_contain_text("Helper")
        .await
        .unwrap();
    site
}

/// Take a database and a browser session on a page (unless `HARNESS_BROWSER=skip`), print
/// `READY <postgres port> <webdriver url or ->`, hold them until stdin closes, then end as
/// `HELPER_END` says: `exit` (close both and return) or `panic` (unwind through both).
#[tokio::test]
#[ignore = "helper run by other tests as a child process"]
async fn helper_hold_everything() {
    let db = TestDatabase::new(&crate::MIGRATOR).await.unwrap();
    let browser = if std::env::var(harness::env::BROWSER).as_deref() == Ok("skip") {
        None
    } else {
        Some(harness::browser::Browser::start().await.unwrap())
    };
    // Served for as long as the helper holds everything.
    let _site = match &browser {
        Some(browser) => Some(open_small_page(browser).await),
        None => None,
    };
    let driver = browser.as_ref().map_or("-", |b| b.webdriver_url());
    println!("\nREADY {} {driver}", db.server().port());
    std::io::stdout().flush().unwrap();
    stdin_from_parent(false).await;
    if std::env::var("HELPER_END").as_deref() == Ok("panic") {
        panic!("the helper panics as asked, holding a database and a browser");
    }
    if let Some(browser) = browser {
        browser.close().await.unwrap();
    }
    db.close().await.unwrap();
}

/// Start a browser on a page, print `READY`, wait for a line on stdin, then click its heading: a
/// test whose browser may have been taken away meanwhile.
async fn browser_then_wait_on_demand() {
    let mut browser = harness::browser::Browser::start().await.unwrap();
    browser.attach_log(|| "the service's log line\n".to_owned());
    let _site = open_small_page(&browser).await;
    println!("\nREADY {}", browser.webdriver_url());
    std::io::stdout().flush().unwrap();
    stdin_from_parent(true).await;
    let started = Instant::now();
    // An action: reads go over the tab's own socket, so that chromedriver's death shows first in
    // what needs WebDriver (the navigation a click may start is waited for there).
    let outcome = browser.click("h1").await;
    println!("\nWAITED {:?}", started.elapsed());
    std::io::stdout().flush().unwrap();
    outcome.unwrap();
    browser.close().await.unwrap();
}

#[tokio::test]
#[ignore = "helper run by other tests as a child process"]
async fn helper_browser_loses_its_driver() {
    browser_then_wait_on_demand().await;
}

#[tokio::test]
#[ignore = "helper run by other tests as a child process"]
async fn helper_browser_loses_its_chrome() {
    browser_then_wait_on_demand().await;
}

/// A Firefox test (set by its parent's `HARNESS_BROWSER=firefox`) whose page logs to the console,
/// then waits in vain: a failed test with a report.
#[harness::test(migrations = false)]
#[ignore = "helper run by other tests as a child process"]
async fn helper_firefox_test_fails(browser: harness::browser::Browser) {
    assert_eq!(browser.browser_name(), "firefox");
    let _site = open_small_page(&browser).await;
    browser
        .execute("console.error('logged-by-the-page');", Vec::new())
        .await
        .unwrap();
    browser
        .expect("#never")
        .within(Duration::from_millis(200))
        .to_be_visible()
        .await
        .unwrap();
}

#[cfg(target_os = "linux")]
/// A Redis of the kind `HELPER_REDIS` names (`binary` or `container`, `shared` or `own`), its
/// port and what runs it (`pid:<pid>` or `container:<id>`) printed; held until stdin closes.
#[tokio::test]
#[ignore = "helper run by other tests as a child process"]
async fn helper_hold_redis() {
    let kind = std::env::var("HELPER_REDIS").unwrap();
    async fn run<K: harness::ServiceKind>(
        builder: harness::ServiceBuilder<K>,
        shared: bool,
    ) -> harness::Service {
        match shared {
            true => builder.shared().await.unwrap(),
            false => builder.start().await.unwrap(),
        }
    }
    let shared = kind.ends_with("shared");
    let redis = if kind.starts_with("container") {
        run(crate::services::redis_container(), shared).await
    } else {
        run(crate::services::redis_binary(), shared).await
    };
    println!("READY {}", redis.port());
    std::io::stdout().flush().unwrap();
    stdin_from_parent(false).await;
    drop(redis);
}

/// A lent browser's borrower: a cookie and storage set on a page of its own, then a navigation to
/// `HELPER_URL` (a server that never answers), `READY` printed once it is under way; it waits
/// there until killed.
#[tokio::test]
#[ignore = "helper run by other tests as a child process"]
async fn helper_lent_browser_hangs() {
    let browser = harness::browser::Browser::start().await.unwrap();
    assert!(browser.is_lent_browser(), "the default is a lent browser");
    let _site = open_small_page(&browser).await;
    browser
        .execute(
            "document.cookie = 'left=behind; path=/'; localStorage.setItem('left', 'behind');",
            Vec::new(),
        )
        .await
        .unwrap();
    let url = std::env::var("HELPER_URL").unwrap();
    let navigating = tokio::spawn(async move {
        let _ = browser.goto(&url).await;
        browser
    });
    println!("\nREADY navigating");
    std::io::stdout().flush().unwrap();
    let _ = navigating.await;
    std::future::pending::<()>().await;
}

/// The next borrower of the same run: prints `LENT <whether lent> <cookie> <storage> <tabs>`.
#[tokio::test]
#[ignore = "helper run by other tests as a child process"]
async fn helper_lent_browser_after() {
    let browser = harness::browser::Browser::start().await.unwrap();
    let _site = open_small_page(&browser).await;
    let seen = browser
        .execute(
            "return [document.cookie, localStorage.getItem('left')];",
            Vec::new(),
        )
        .await
        .unwrap();
    let tabs = browser.client().windows().await.unwrap().len();
    println!(
        "\nLENT {} {:?} {:?} {tabs}",
        browser.is_lent_browser(),
        seen[0].as_str().unwrap_or_default(),
        seen[1].as_str().unwrap_or("none"),
    );
    std::io::stdout().flush().unwrap();
    browser.close().await.unwrap();
}

/// `harness up`'s entry for the declaration below: the attribute's expansion written out, since
/// a `#[harness::dev_services]` here would be a second declaration in this workspace beside
/// tunix-rt's, and `harness up` would ask which. Linux's, as the Redis it declares.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "helper run by other tests as a child process"]
fn helper_dev_services() {
    harness::__private::dev_services_entry("it::child::helper_dev_services", dev_services);
}

#[cfg(target_os = "linux")]
fn dev_services() -> harness::dev::DevServices {
    harness::dev::DevServices::new()
        .database("DATABASE_URL", "harness_dev", &crate::MIGRATOR)
        .service("REDIS_URL", crate::services::redis_binary(), |redis| {
            redis.url("redis")
        })
}

/// Compare the small page's `h1` with the baseline `HELPER_SNAPSHOT` in `HELPER_SNAPSHOT_DIR`,
/// under the parent's `HARNESS_UPDATE_SNAPSHOTS`; print `RESULT OK` or `RESULT ERR <error>`.
#[harness::test(migrations = false)]
#[ignore = "helper run by other tests as a child process"]
async fn helper_screenshot_compare(browser: harness::browser::Browser) {
    let _site = open_small_page(&browser).await;
    browser.set_snapshot_dir(std::env::var("HELPER_SNAPSHOT_DIR").unwrap());
    let name = std::env::var("HELPER_SNAPSHOT").unwrap();
    match browser
        .expect("h1")
        .to_have_screenshot(&name)
        .within(Duration::from_millis(300))
        .await
    {
        Ok(()) => println!("\nRESULT OK"),
        Err(e) => println!("\nRESULT ERR {e}"),
    }
}
