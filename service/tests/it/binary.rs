//! The compiled `tunix-rt` binary as a black box: started as a child process, and refusing
//! invalid configuration.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use crate::test_app::{client, example_trace};

const BINARY: &str = env!("CARGO_BIN_EXE_tunix-rt");

#[harness::test]
async fn the_binary_serves_the_api_and_the_page(db: harness::TestDatabase) -> anyhow::Result<()> {
    let service = harness::ChildService::builder(BINARY)
        .env("DATABASE_URL", db.url())
        .env("REDIAI_MODE", "mock")
        .listen_env("TUNIX_RT_LISTEN")
        .ready_http("/api/health")
        .start()
        .await?;
    let base = service.base_url().trim_end_matches('/').to_owned();
    let http = client();

    let health: Value = http
        .get(format!("{base}/api/health"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(health, json!({"status": "healthy"}));
    let redi: Value = http
        .get(format!("{base}/api/redi/health"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(redi, json!({"status": "healthy"}));

    let response = http
        .post(format!("{base}/api/traces"))
        .json(&example_trace())
        .send()
        .await?;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await?;
    let id = created["id"].as_str().unwrap();

    let fetched: Value = http
        .get(format!("{base}/api/traces/{id}"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(fetched["payload"], example_trace());

    let list: Value = http
        .get(format!("{base}/api/traces"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(list["data"][0]["id"], id);

    let page = http.get(format!("{base}/")).send().await?.text().await?;
    assert!(page.contains("<h1>Tunix RT</h1>"));

    // The migrations were already in the test database; the binary found them applied.
    assert!(
        service.log().contains("database schema is up to date"),
        "{}",
        service.log()
    );
    let status = service.stop().await;
    // SIGTERM is a graceful shutdown, which ends with exit code 0.
    #[cfg(unix)]
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    #[cfg(not(unix))]
    let _ = status;
    Ok(())
}

/// Runs the binary with `args` and one variable set (every other variable it reads removed);
/// returns its exit code and stderr.
async fn run_binary(
    args: &[&str],
    variable: Option<(&str, &str)>,
) -> anyhow::Result<(i32, String)> {
    run_binary_with(args, variable.as_slice()).await
}

/// Runs the binary with `args` and `variables` set, every other variable it reads removed.
async fn run_binary_with(
    args: &[&str],
    variables: &[(&str, &str)],
) -> anyhow::Result<(i32, String)> {
    let mut command = tokio::process::Command::new(BINARY);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for name in tunix_rt::Cli::variables() {
        command.env_remove(name);
    }
    command.envs(variables.iter().copied());
    let output = tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .map_err(|_| anyhow::anyhow!("tunix-rt {args:?} {variables:?} did not exit"))??;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    Ok((output.status.code().unwrap_or(-1), stderr))
}

#[tokio::test]
async fn invalid_configuration_stops_the_binary_naming_the_variable() -> anyhow::Result<()> {
    for (name, value) in [
        ("TUNIX_RT_LISTEN", "localhost:8000"),
        ("DATABASE_URL", "mysql://127.0.0.1/db"),
        ("TUNIX_RT_MIGRATE", "perhaps"),
        ("DB_POOL_MAX_CONNECTIONS", "0"),
        ("DB_POOL_ACQUIRE_TIMEOUT_SECONDS", "forever"),
        ("TRACE_MAX_BYTES", "1023"),
        ("TRACE_MAX_BYTES", "10485761"),
        ("CORS_ORIGINS", "*"),
        ("REDIAI_MODE", "sometimes"),
        ("REDIAI_BASE_URL", "not a url"),
        ("REDIAI_HEALTH_PATH", "health"),
        ("REDIAI_HEALTH_CACHE_TTL_SECONDS", "301"),
    ] {
        let (code, stderr) = run_binary(&[], Some((name, value))).await?;
        assert_eq!(code, 2, "{name}={value}: {stderr}");
        assert!(stderr.contains(name), "{name}={value}: {stderr}");
    }
    Ok(())
}

#[tokio::test]
async fn an_invalid_listen_flag_is_named() -> anyhow::Result<()> {
    let (code, stderr) = run_binary(&["--listen", "localhost:8000"], None).await?;
    assert_eq!(code, 2);
    assert!(stderr.contains("--listen"), "{stderr}");

    let (code, stderr) = run_binary(&["--frobnicate"], None).await?;
    assert_eq!(code, 2);
    assert!(stderr.contains("--frobnicate"), "{stderr}");
    Ok(())
}

#[tokio::test]
async fn the_flag_wins_over_its_variable() -> anyhow::Result<()> {
    let (code, stderr) = run_binary(
        &["--trace-max-bytes", "1"],
        Some(("TRACE_MAX_BYTES", "2048")),
    )
    .await?;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("'1'"), "{stderr}");
    Ok(())
}

#[tokio::test]
async fn empty_variables_count_as_unset() -> anyhow::Result<()> {
    // Every variable empty: the configuration is the default one, so the binary gets as far as
    // binding its address, which is taken, and fails there (exit 1), not on configuration (2).
    let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = taken.local_addr()?.to_string();
    let names = tunix_rt::Cli::variables();
    let empty: Vec<(&str, &str)> = names.iter().map(|name| (name.as_str(), " ")).collect();
    let (code, stderr) = run_binary_with(&["--listen", &address], &empty).await?;
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("cannot listen on"), "{stderr}");
    Ok(())
}

#[tokio::test]
async fn the_database_password_never_reaches_the_output() -> anyhow::Result<()> {
    let url = "postgres://u:secret@127.0.0.1:5432/db?sslmode=nonsense"; // pragma: allowlist secret
    let (code, stderr) = run_binary(&[], Some(("DATABASE_URL", url))).await?;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(!stderr.contains("secret"), "{stderr}");

    let output = tokio::process::Command::new(BINARY)
        .arg("--help")
        .env("DATABASE_URL", url)
        .output()
        .await?;
    let help = String::from_utf8(output.stdout)?;
    assert!(help.contains("DATABASE_URL"), "{help}");
    assert!(!help.contains("secret"), "{help}");
    Ok(())
}

#[tokio::test]
async fn help_lists_every_variable() -> anyhow::Result<()> {
    let output = tokio::process::Command::new(BINARY)
        .arg("--help")
        .output()
        .await?;
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout)?;
    for name in tunix_rt::Cli::variables() {
        assert!(text.contains(&name), "{name}: {text}");
    }
    Ok(())
}
