//! The external backend: a server the user points at; the harness only creates and drops
//! databases in it.

use std::time::Duration;

use super::error::ProvisionError;
use super::{Backend, PostgresServer};
use crate::config;
use crate::probe::Probe;

pub(crate) async fn server() -> Result<PostgresServer, ProvisionError> {
    let raw = config::current()
        .postgres_url
        .clone()
        .ok_or(ProvisionError::NoExternalUrl)?;
    server_at(&raw).await
}

pub(crate) async fn server_at(raw: &str) -> Result<PostgresServer, ProvisionError> {
    let server = parse(raw)?;
    Probe::Postgres(server.admin_url())
        .wait(Duration::from_secs(5))
        .await
        .map_err(|probe| ProvisionError::NotReady {
            backend: Backend::External,
            probe: Box::new(probe),
            log: String::new(),
        })?;
    Ok(server)
}

fn parse(raw: &str) -> Result<PostgresServer, ProvisionError> {
    let bad = |reason: &str| ProvisionError::BadExternalUrl {
        reason: reason.to_owned(),
    };
    let url = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(bad(&format!(
            "the scheme is {}, not postgres",
            url.scheme()
        )));
    }
    let host = url
        .host_str()
        .ok_or_else(|| bad("it names no host"))?
        .to_owned();
    let password = url.password().unwrap_or_default().to_owned();
    Ok(PostgresServer {
        backend: Backend::External,
        port: url.port().unwrap_or(5432),
        user: if url.username().is_empty() {
            "postgres".into()
        } else {
            url.username().to_owned()
        },
        description: format!("external server {host}:{}", url.port().unwrap_or(5432)),
        host,
        password,
        base_url: Some(raw.to_owned()),
        log: None,
        pool_dir: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_their_query_and_swap_the_database() {
        let server = parse("postgres://u:p@127.0.0.1:6543/app?sslmode=disable").unwrap();
        assert_eq!(
            server.url_for("t1"),
            "postgres://u:p@127.0.0.1:6543/t1?sslmode=disable"
        );
        assert_eq!(server.port, 6543);
    }

    #[test]
    fn a_non_postgres_url_is_refused_with_the_reason() {
        let err = parse("mysql://127.0.0.1/x").unwrap_err().to_string();
        assert!(err.contains("scheme is mysql"), "{err}");
        assert!(parse("not a url").is_err());
    }
}
