//! What the harness starts listens on loopback only, keeps its data private, and never shows a
//! password.

use harness::{Backend, PostgresServer, TestDatabase};
use sqlx::Connection;

async fn setting(server: &PostgresServer, name: &str) -> String {
    let mut conn = sqlx::PgConnection::connect(&server.admin_url())
        .await
        .unwrap();
    sqlx::query_scalar(&format!("SHOW {name}"))
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_local_server_listens_on_127_0_0_1_only_without_a_unix_socket() {
    let server = PostgresServer::shared_with(Backend::Local).await.unwrap();
    assert_eq!(setting(server, "listen_addresses").await, "127.0.0.1");
    assert_eq!(setting(server, "unix_socket_directories").await, "");
}

#[cfg(unix)]
#[tokio::test]
async fn a_local_server_keeps_its_data_private() {
    use std::os::unix::fs::PermissionsExt;
    let server = PostgresServer::shared_with(Backend::Local).await.unwrap();
    let data = setting(server, "data_directory").await;
    let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{data} has mode {mode:o}");
}

#[tokio::test]
async fn passwords_are_random_per_server_and_never_shown() {
    let server = PostgresServer::shared_with(Backend::Local).await.unwrap();
    let url = server.admin_url();
    let password = url::Url::parse(&url)
        .unwrap()
        .password()
        .unwrap()
        .to_owned();
    assert!(password.len() >= 32, "a random password of 128 bits");
    let db = TestDatabase::on(server, &crate::MIGRATOR).await.unwrap();
    for shown in [
        format!("{server:?}"),
        format!("{db:?}"),
        harness::redact(db.url()),
    ] {
        assert!(!shown.contains(&password), "password shown in {shown}");
    }
    let external = PostgresServer::external(&url).await.unwrap();
    assert!(!format!("{external:?}").contains(&password));
}

/// The local addresses listening on `port`, from the kernel's socket tables (Linux), as hex
/// address strings: `0100007F` is 127.0.0.1, `00000000` any IPv4 address.
#[cfg(target_os = "linux")]
fn listeners_on(port: u16) -> Vec<String> {
    let mut found = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address is `ADDR:PORT` in hex; state 0A is LISTEN.
            if let (Some(local), Some("0A")) = (fields.get(1), fields.get(3).copied())
                && let Some((addr, hex_port)) = local.split_once(':')
                && u16::from_str_radix(hex_port, 16) == Ok(port)
            {
                found.push(addr.to_owned());
            }
        }
    }
    found
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn chromedriver_and_postgres_listen_on_loopback_only() {
    let db = TestDatabase::new(&crate::MIGRATOR).await.unwrap();
    let mut ports = vec![("postgres", db.server().port())];
    let browser = if std::env::var(harness::env::BROWSER).as_deref() == Ok("skip") {
        None
    } else {
        Some(harness::browser::Browser::start().await.unwrap())
    };
    if let Some(browser) = &browser {
        let url = browser.webdriver_url();
        let port = url.rsplit_once(':').unwrap().1.parse().unwrap();
        ports.push(("chromedriver", port));
    }
    // IPv4 loopback, or IPv6 loopback (::1, as chromedriver also binds it); for a container,
    // docker-proxy holds the published port.
    let loopback = ["0100007F", "00000000000000000000000001000000"];
    for (what, port) in ports {
        let listeners = listeners_on(port);
        assert!(
            !listeners.is_empty() && listeners.iter().all(|a| loopback.contains(&a.as_str())),
            "{what} on port {port} listens on {listeners:?}"
        );
    }
    if let Some(browser) = browser {
        browser.close().await.unwrap();
    }
    db.close().await.unwrap();
}

/// Tests that need a Docker engine (in a module of that name: a run without one leaves them out by it).
mod docker {
    #[tokio::test]
    async fn a_container_publishes_its_port_on_127_0_0_1_only() {
        let server = crate::child::docker_server().await;
        let out = std::process::Command::new("docker")
            .args([
                "ps",
                "--filter",
                "label=dev.harness.managed=true",
                "--format",
                "{{.Ports}}",
            ])
            .output()
            .unwrap();
        let ports = String::from_utf8_lossy(&out.stdout);
        let ours: Vec<&str> = ports
            .lines()
            .filter(|l| l.contains(&format!(":{}->", server.port())))
            .collect();
        assert_eq!(ours.len(), 1, "{ports}");
        assert!(
            ours[0].starts_with(&format!("127.0.0.1:{}->5432/tcp", server.port())),
            "{}",
            ours[0]
        );
        assert!(
            !ours[0].contains("0.0.0.0") && !ours[0].contains("::"),
            "{}",
            ours[0]
        );
    }
}
