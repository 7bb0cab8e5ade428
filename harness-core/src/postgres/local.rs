//! The local backend: Postgres binaries already on this machine.
//!
//! `initdb` runs once per Postgres installation into a cache; each server copies that data
//! directory (tens of milliseconds instead of a second), sets a random password in single-user
//! mode, and runs `postgres` directly under a keeper, listening on 127.0.0.1 only.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::error::ProvisionError;
use super::{Backend, PostgresServer};
use crate::keeper::{self, ChildSpec, KeeperSpec, ResourceFiles};
use crate::workdir::{Run, harness_dir, stable_hash};
use crate::{config, net, process, shared};

/// How clients authenticate over TCP. Debug builds of Rust clients pay dearly for SCRAM's 4096
/// PBKDF2 rounds on every connection; md5 keeps a per-server random password at no such cost, and
/// the server only ever listens on loopback.
pub(crate) const HOST_AUTH: &str = "md5";

/// An `initdb` + `postgres` pair.
#[derive(Debug, Clone)]
pub(crate) struct PgBinaries {
    pub(crate) dir: PathBuf,
    pub(crate) version: String,
}

impl PgBinaries {
    pub(crate) fn tool(&self, name: &str) -> PathBuf {
        self.dir
            .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
    }
}

/// Where Postgres is usually installed on each platform, newest versions first.
fn usual_locations() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut versioned = |pattern_dir: &str, prefix: &str, suffix: &str| {
        let Ok(entries) = fs::read_dir(pattern_dir) else {
            return;
        };
        let mut dirs: Vec<(u32, PathBuf)> = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                let version = name.strip_prefix(prefix)?.split('.').next()?.parse().ok()?;
                Some((version, entry.path().join(suffix)))
            })
            .collect();
        dirs.sort_by_key(|d| std::cmp::Reverse(d.0));
        found.extend(dirs.into_iter().map(|(_, dir)| dir));
    };
    if cfg!(windows) {
        versioned(r"C:\Program Files\PostgreSQL", "", "bin");
    } else {
        versioned("/usr/lib/postgresql", "", "bin");
        versioned("/opt/homebrew/opt", "postgresql@", "bin");
        versioned("/usr/local/opt", "postgresql@", "bin");
        versioned("/Applications/Postgres.app/Contents/Versions", "", "bin");
        versioned("/usr/pgsql-", "", "bin");
        found.push(PathBuf::from("/opt/homebrew/bin"));
        found.push(PathBuf::from("/usr/local/bin"));
    }
    found
}

/// Find binaries: `HARNESS_PG_BIN`, then `PATH`, then the usual install locations.
pub(crate) fn find_binaries() -> Result<PgBinaries, ProvisionError> {
    let exe = |dir: &Path, name: &str| dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let mut candidates: Vec<PathBuf> = Vec::new();
    // An explicit directory is the only place looked: a silent fallback would hide a typo.
    if let Some(dir) = &config::current().pg_bin {
        candidates.push(dir.clone());
    } else {
        if let Some(path) = std::env::var_os("PATH") {
            candidates.extend(std::env::split_paths(&path));
        }
        candidates.extend(usual_locations());
    }
    for dir in &candidates {
        let initdb = exe(dir, "initdb");
        if !initdb.is_file() {
            continue;
        }
        // Debian links initdb into PATH, but not postgres: look beside the link's target too.
        let real_dir = fs::canonicalize(&initdb)
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| dir.clone());
        for dir in [dir, &real_dir] {
            if exe(dir, "postgres").is_file() && exe(dir, "initdb").is_file() {
                let binaries = PgBinaries {
                    dir: dir.clone(),
                    version: String::new(),
                };
                if let Ok(version) = version_of(&binaries) {
                    return Ok(PgBinaries {
                        version,
                        ..binaries
                    });
                }
            }
        }
    }
    let looked = if let Some(dir) = &config::current().pg_bin {
        format!("{}={} only", config::PG_BIN, dir.display())
    } else {
        format!(
            "PATH and the usual install locations; {} was not set",
            config::PG_BIN
        )
    };
    Err(ProvisionError::NoBinaries {
        looked,
        hint: install_hint().into(),
    })
}

/// The one install line for this platform.
pub(crate) fn install_hint() -> &'static str {
    if cfg!(target_os = "macos") {
        "brew install postgresql@16"
    } else if cfg!(windows) {
        "winget install PostgreSQL.PostgreSQL.16 (or choco install postgresql16)"
    } else {
        "apt-get install postgresql (Debian/Ubuntu), dnf install postgresql-server (Fedora), or set HARNESS_PG_BIN"
    }
}

/// `postgres --version`, remembered under the harness dir per binary (its path, size and
/// modification time): every test process looks for the binaries, and a process start to ask
/// costs several milliseconds of each short test.
fn version_of(binaries: &PgBinaries) -> Result<String, String> {
    let program = binaries.tool("postgres");
    let remembered = fs::metadata(&program).ok().map(|meta| {
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .unwrap_or_default();
        let key = stable_hash(&[
            program.to_string_lossy().as_bytes(),
            &meta.len().to_le_bytes(),
            &modified.as_nanos().to_le_bytes(),
        ]);
        crate::workdir::harness_dir()
            .join("cache")
            .join(format!("postgres-version-{key:016x}"))
    });
    if let Some(version) = remembered
        .as_ref()
        .and_then(|path| fs::read_to_string(path).ok())
        .filter(|v| !v.trim().is_empty())
    {
        return Ok(version.trim().to_owned());
    }
    let version = ask_version(binaries)?;
    if let Some(path) = remembered
        && path
            .parent()
            .is_some_and(|dir| fs::create_dir_all(dir).is_ok())
    {
        let _ = crate::keeper::write_atomically(&path, version.as_bytes());
    }
    Ok(version)
}

fn ask_version(binaries: &PgBinaries) -> Result<String, String> {
    let output = Command::new(binaries.tool("postgres"))
        .arg("--version")
        .output()
        .map_err(|e| e.to_string())?;
    // "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .nth(2)
        .map(str::to_owned)
        .ok_or_else(|| "postgres --version printed no version".to_owned())
}

/// The account Postgres runs as: ourselves, or (as root, which Postgres refuses) `postgres`,
/// else `nobody`.
pub(crate) fn run_as() -> Option<(u32, u32)> {
    if !process::is_root() {
        return None;
    }
    #[cfg(unix)]
    for name in [c"postgres", c"nobody"] {
        // SAFETY: getpwnam returns null or a pointer to a static record we read at once.
        let entry = unsafe { libc::getpwnam(name.as_ptr()) };
        if !entry.is_null() {
            // SAFETY: checked non-null above.
            let entry = unsafe { &*entry };
            return Some((entry.pw_uid, entry.pw_gid));
        }
    }
    None
}

/// Where data directories live. Under the harness directory, unless we run as root and Postgres'
/// account could not reach it (a checkout under /root): then under the system temp dir.
fn data_root(run_as: Option<(u32, u32)>) -> PathBuf {
    let home = harness_dir().to_path_buf();
    if run_as.is_none() || reachable_by_others(&home) {
        return home;
    }
    let tag = stable_hash(&[home.to_string_lossy().as_bytes()]);
    std::env::temp_dir().join(format!("harness-pg-{tag:016x}"))
}

/// Where a throwaway server's data directory goes, when not beside its keeper's files:
/// `HARNESS_DATA_DIR`; else, on Linux, a folder in /dev/shm, so that every clone is a memory copy
/// whatever the disk is doing; else (as root, with the harness dir out of Postgres' reach) the
/// temp dir.
fn server_data_root(run_as: Option<(u32, u32)>) -> Option<PathBuf> {
    if let Some(dir) = &config::current().data_dir {
        return Some(dir.clone());
    }
    let tag = stable_hash(&[harness_dir().to_string_lossy().as_bytes()]);
    let shm = Path::new("/dev/shm");
    if cfg!(target_os = "linux") && shm.is_dir() && !is_read_only(shm) {
        return Some(shm.join(format!("harness-{tag:016x}")));
    }
    let root = data_root(run_as);
    (root != harness_dir()).then(|| root.join("runs"))
}

fn is_read_only(dir: &Path) -> bool {
    fs::metadata(dir)
        .map(|m| m.permissions().readonly())
        .unwrap_or(true)
}

fn reachable_by_others(dir: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        dir.ancestors().skip(1).all(|d| {
            fs::metadata(d)
                .map(|m| m.permissions().mode() & 0o001 != 0)
                .unwrap_or(false)
        })
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        true
    }
}

fn chown_tree(path: &Path, owner: Option<(u32, u32)>) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
        if path.is_dir() && !path.is_symlink() {
            for entry in fs::read_dir(path)? {
                chown_tree(&entry?.path(), owner)?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, owner);
    Ok(())
}

/// Create a directory private to its owner (Postgres insists on 0700 for data).
fn create_private_dir(path: &Path) -> std::io::Result<()> {
    fs::create_dir_all(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    create_private_dir(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// `initdb` for a cluster the harness can use: superuser `postgres`, UTF-8 with the C locale,
/// trust over the (disabled) Unix socket, a password over TCP; run as Postgres' account.
pub(crate) fn initdb_command(
    binaries: &PgBinaries,
    data: &Path,
    owner: Option<(u32, u32)>,
) -> Command {
    let mut initdb = Command::new(binaries.tool("initdb"));
    initdb
        .arg("-D")
        .arg(data)
        .args([
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--auth-local=trust",
        ])
        .arg(format!("--auth-host={HOST_AUTH}"))
        .arg("--no-instructions");
    #[cfg(unix)]
    if let Some((uid, gid)) = owner {
        use std::os::unix::process::CommandExt;
        initdb.uid(uid).gid(gid);
    }
    #[cfg(not(unix))]
    let _ = owner;
    initdb
}

/// The initialized data directory of these binaries, made once and reused by every later run.
pub(crate) async fn cached_cluster(binaries: &PgBinaries) -> Result<PathBuf, ProvisionError> {
    let owner = run_as();
    let root = data_root(owner).join("cache");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ProvisionError::Io { path, source }
    };
    fs::create_dir_all(&root).map_err(io(&root))?;
    let name = format!(
        "postgres-{}-{:016x}",
        binaries.version,
        stable_hash(&[
            binaries.dir.to_string_lossy().as_bytes(),
            HOST_AUTH.as_bytes()
        ])
    );
    let done = root.join(&name);
    if done.join("PG_VERSION").is_file() {
        return Ok(done);
    }
    let lock_path = root.join(format!("{name}.lock"));
    let lock = keeper::open_lock(&lock_path).map_err(io(&lock_path))?;
    let started = Instant::now();
    while lock.try_lock().is_err() {
        if started.elapsed() > config::startup_timeout() {
            return Err(ProvisionError::Shared(
                crate::shared::SharedError::Timeout {
                    what: "another process running initdb".into(),
                    waited: started.elapsed(),
                    dir: root.clone(),
                },
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if done.join("PG_VERSION").is_file() {
        return Ok(done);
    }
    let tmp = root.join(format!("{name}.tmp{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    create_private_dir(&tmp).map_err(io(&tmp))?;
    chown_tree(&tmp, owner).map_err(io(&tmp))?;
    let mut initdb = initdb_command(binaries, &tmp, owner);
    // A throwaway cluster need not reach the disk before it is copied.
    initdb.arg("--no-sync");
    let outcome = tokio::task::spawn_blocking(move || initdb.output())
        .await
        .expect("initdb thread");
    if let Err(e) = ProvisionError::check_initdb(root.join(&name), outcome) {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let done = root.join(&name);
    fs::rename(&tmp, &done).map_err(io(&done))?;
    Ok(done)
}

/// Settings for a throwaway server: no durability (test data is disposable), loopback TCP only.
fn server_args(data: &Path, port: u16) -> Vec<String> {
    let mut args = vec![
        "-D".to_owned(),
        data.to_string_lossy().into_owned(),
        "-p".to_owned(),
        port.to_string(),
    ];
    for setting in [
        "listen_addresses=127.0.0.1",
        "unix_socket_directories=",
        "fsync=off",
        "synchronous_commit=off",
        "full_page_writes=off",
        "wal_level=minimal",
        "max_wal_senders=0",
        "max_connections=300",
        "password_encryption=md5",
    ] {
        args.push("-c".to_owned());
        args.push(setting.to_owned());
    }
    args
}

/// Set the superuser's password in single-user mode, before the server accepts anyone.
pub(crate) fn set_password(
    binaries: &PgBinaries,
    data: &Path,
    password: &str,
) -> Result<(), String> {
    let mut command = Command::new(binaries.tool("postgres"));
    command
        .arg("--single")
        .arg("-D")
        .arg(data)
        .args([
            "-c",
            "fsync=off",
            "-c",
            "password_encryption=md5",
            "postgres",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    if let Some((uid, gid)) = run_as() {
        use std::os::unix::process::CommandExt;
        command.uid(uid).gid(gid);
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run postgres --single: {e}"))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(format!("ALTER ROLE postgres PASSWORD '{password}';\n").as_bytes())
        .map_err(|e| e.to_string())?;
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() || stderr.contains("ERROR") {
        return Err(format!("postgres --single failed: {}", stderr.trim()));
    }
    Ok(())
}

/// A fresh random password: 128 bits, hex, safe inside SQL and URLs.
pub(crate) fn random_password() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The status line Postgres writes into `postmaster.pid` once it accepts connections; what
/// `pg_ctl -w` polls, read here without pg_ctl's 100 ms poll interval.
pub(crate) fn postmaster_ready(data: &Path) -> bool {
    fs::read_to_string(data.join("postmaster.pid"))
        .map(|pid_file| {
            pid_file
                .lines()
                .nth(7)
                .is_some_and(|status| status.trim() == "ready")
        })
        .unwrap_or(false)
}

/// Start the keeper that runs `postgres` as `spec` says, and wait until the server is ready;
/// the postmaster's pid.
pub(crate) async fn start_under_keeper(
    spec: &KeeperSpec,
    data: &Path,
    log: &Path,
) -> Result<u32, ProvisionError> {
    let report = keeper::spawn(spec, config::startup_timeout()).map_err(|source| {
        ProvisionError::Keeper {
            what: "postgres".into(),
            source,
        }
    })?;
    let child = report
        .child_pid
        .expect("a keeper with a child reports its pid");
    wait_until_ready(data, child, log).await?;
    Ok(child)
}

/// Wait for `postmaster.pid` to say `ready`; fail at once if the server exits, with its log.
pub(crate) async fn wait_until_ready(
    data: &Path,
    child: u32,
    log: &Path,
) -> Result<(), ProvisionError> {
    let started = Instant::now();
    while !postmaster_ready(data) {
        let reason = if !process::is_alive(child) {
            Some("postgres exited".to_owned())
        } else if started.elapsed() > config::startup_timeout() {
            Some(format!("not ready after {:.1?}", started.elapsed()))
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(ProvisionError::LocalStart {
                data_dir: data.to_owned(),
                reason,
                log: keeper::log_tail(log, 40),
            });
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

/// The local server of this run, started by whichever test process asks first.
pub(crate) async fn shared_server() -> Result<PostgresServer, ProvisionError> {
    let binaries = find_binaries()?;
    let key = format!(
        "postgres-local-{:08x}",
        stable_hash(&[binaries.dir.to_string_lossy().as_bytes()]) as u32
    );
    shared::acquire(&key, |files| start(binaries, files)).await
}

async fn start(
    binaries: PgBinaries,
    files: ResourceFiles,
) -> Result<PostgresServer, ProvisionError> {
    let cluster = cached_cluster(&binaries).await?;
    let owner = run_as();
    let data = match server_data_root(owner) {
        Some(root) => root.join(format!("{}-{}", Run::current().id, files.key)),
        None => files.dir().join("data"),
    };
    let port = net::free_loopback_port()?;
    let log = files.dir().join("postgres.log");
    let spec = KeeperSpec {
        runner: Run::current().runner,
        files: files.clone(),
        child: Some(ChildSpec {
            program: binaries.tool("postgres"),
            args: server_args(&data, port.port()),
            env: Vec::new(),
            log: log.clone(),
            interrupt_to_stop: true,
            run_as: owner,
        }),
        docker_label: None,
        docker_host: None,
        remove: if data.starts_with(files.dir()) {
            Vec::new()
        } else {
            vec![data.clone()]
        },
        private: false,
        teardown: None,
        linger: None,
    };
    // Written before the data exists, so that a later run knows what to remove should we die now.
    keeper::write_spec(&spec).map_err(|source| ProvisionError::Io {
        path: files.spec(),
        source,
    })?;
    let password = random_password();
    {
        let (cluster, data, binaries, password) = (
            cluster.clone(),
            data.clone(),
            binaries.clone(),
            password.clone(),
        );
        tokio::task::spawn_blocking(move || -> Result<(), ProvisionError> {
            let _ = fs::remove_dir_all(&data);
            copy_tree(&cluster, &data).map_err(|source| ProvisionError::Io {
                path: data.clone(),
                source,
            })?;
            chown_tree(&data, owner).map_err(|source| ProvisionError::Io {
                path: data.clone(),
                source,
            })?;
            set_password(&binaries, &data, &password).map_err(|reason| ProvisionError::LocalStart {
                data_dir: data.clone(),
                reason,
                log: String::new(),
            })
        })
        .await
        .expect("data directory thread")?;
    }
    start_under_keeper(&spec, &data, &log).await?;
    let port_number = port.port();
    drop(port);
    Ok(PostgresServer {
        backend: Backend::Local,
        host: net::LOOPBACK.to_string(),
        port: port_number,
        user: "postgres".into(),
        password,
        base_url: None,
        description: format!("postgres {} ({})", binaries.version, binaries.dir.display()),
        log: Some(log),
        pool_dir: Some(files.dir().join("db-pool")),
    })
}
