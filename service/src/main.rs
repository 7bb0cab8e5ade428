//! The `tunix-rt` binary: configuration, a database (given or embedded), migrations, the server.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::str::FromStr;

use anyhow::Context;
use sqlx::postgres::PgConnectOptions;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;
use tunix_rt::{AppState, Config, MIGRATOR};

fn main() -> ExitCode {
    // The embedded Postgres runs under a keeper: this binary, started again. Before anything
    // else (no thread, no runtime, no output of ours yet).
    harness_core::keeper::run_if_asked();

    // `--help`, `--version` and bad input alike: clap prints, then exits (2 on bad input).
    let config = Config::from_args_and_env().unwrap_or_else(|err| err.exit());

    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("tunix-rt: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tunix-rt: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> anyhow::Result<()> {
    // Bound before any database work, so a busy port fails at once rather than after Postgres
    // has been started for nothing.
    let listener = TcpListener::bind(config.listen).await.with_context(|| {
        format!(
            "cannot listen on {} (TUNIX_RT_LISTEN / --listen)",
            config.listen
        )
    })?;

    if let Some(url) = &config.database_url {
        tracing::info!(url = %url, "using the database from DATABASE_URL");
        let options = url.connect_options().context("invalid DATABASE_URL")?;
        return serve(&config, options, listener).await;
    }

    let data_dir = config.embedded_data_dir();
    tracing::info!(
        data_dir = %data_dir.display(),
        "DATABASE_URL is not set: starting an embedded Postgres (TUNIX_RT_DATA_DIR moves its data)"
    );
    let postgres = harness_core::EmbeddedPostgres::start(&data_dir)
        .await
        .with_context(|| {
            format!(
                "cannot start the embedded Postgres in {}",
                data_dir.display()
            )
        })?;
    tracing::info!(
        postgres = %postgres.describe(),
        url = %harness_core::redact(postgres.url()),
        data_dir = %data_dir.display(),
        "embedded Postgres is up; its data stays in data_dir across restarts"
    );
    let result = match PgConnectOptions::from_str(postgres.url()) {
        Ok(options) => serve(&config, options, listener).await,
        Err(err) => {
            Err(anyhow::Error::new(err).context("the embedded Postgres gave an invalid URL"))
        }
    };
    postgres.stop().await;
    tracing::info!("embedded Postgres stopped");
    result
}

async fn serve(
    config: &Config,
    options: PgConnectOptions,
    listener: TcpListener,
) -> anyhow::Result<()> {
    // Lazy, so that with migrations off the service starts while the database is down and
    // answers 503 until it is back.
    let pool = config.pool.options().connect_lazy_with(options);
    if config.migrate {
        MIGRATOR.run(&pool).await.context(
            "cannot apply the database migrations (hint: TUNIX_RT_MIGRATE=false skips them)",
        )?;
        tracing::info!(
            migrations = MIGRATOR.iter().count(),
            "database schema is up to date"
        );
    } else {
        tracing::info!("TUNIX_RT_MIGRATE=false: migrations not applied");
    }

    let state = AppState::new(pool.clone(), config)?;
    let address = listener.local_addr()?;
    tracing::info!(%address, url = %format!("http://{address}/"), "tunix-rt is listening");
    axum::serve(listener, tunix_rt::app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the HTTP server failed")?;
    tracing::info!("in-flight requests finished; closing the database pool");
    pool.close().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM. If a handler cannot be installed, that signal is not awaited
/// (rather than taken as a request to stop at once).
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown requested: finishing in-flight requests");
}
