//! A TCP forwarder on 127.0.0.1 that can cut every connection, to take a database "down" for
//! one test without touching the Postgres server other tests share.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct TcpProxy {
    address: SocketAddr,
    cut: watch::Sender<bool>,
    accept_loop: JoinHandle<()>,
}

impl TcpProxy {
    /// Forwards connections on a new 127.0.0.1 port to `target`.
    pub async fn start(target: SocketAddr) -> anyhow::Result<TcpProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (cut, cut_watch) = watch::channel(false);
        let accept_loop = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *cut_watch.borrow() {
                    // Refused in effect: the peer sees the connection closed at once.
                    drop(client);
                    continue;
                }
                tokio::spawn(forward(client, target, cut_watch.clone()));
            }
        });
        Ok(TcpProxy {
            address,
            cut,
            accept_loop,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Drops every forwarded connection and closes new ones until [`TcpProxy::restore`].
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    pub fn restore(&self) {
        self.cut.send_replace(false);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut.send_replace(true);
        self.accept_loop.abort();
    }
}

async fn forward(mut client: TcpStream, target: SocketAddr, mut cut: watch::Receiver<bool>) {
    let Ok(mut upstream) = TcpStream::connect(target).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
        _ = cut.wait_for(|cut| *cut) => {}
    }
}
