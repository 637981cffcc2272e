//! DNS servers on loopback for the tests named `dns_*`: the one
//! `scripts/test` starts for the simulated world (every `*.test` name is
//! 127.0.0.1), and dnsmasq started by a test that needs records of its own
//! (Debian's dnsmasq; `scripts/test` installs it and puts it on the PATH).

use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};

/// The DNS server `scripts/test` starts (`ECOSCOUT_TEST_DNS`), which
/// answers every `*.test` name with 127.0.0.1.
pub fn test_dns() -> SocketAddr {
    let value = std::env::var("ECOSCOUT_TEST_DNS").unwrap_or_else(|_| {
        panic!("ECOSCOUT_TEST_DNS is not set: this test needs the DNS server scripts/test starts; run scripts/test")
    });
    value
        .parse()
        .unwrap_or_else(|e| panic!("ECOSCOUT_TEST_DNS={value:?} is not IP:PORT: {e}"))
}

/// dnsmasq, killed when dropped.
pub struct Dnsmasq {
    child: Child,
    /// Where it listens (UDP and TCP).
    pub address: SocketAddr,
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A UDP port free on loopback right now.
pub fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts dnsmasq on loopback, authoritative for `test` and answering only
/// from `records` (name, text), and every `*.test` name with 127.0.0.1.
pub fn dnsmasq(records: &[(&str, &str)]) -> Dnsmasq {
    let port = free_port();
    let mut command = Command::new("dnsmasq");
    command.args([
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--no-poll",
        "--bind-interfaces",
        "--listen-address=127.0.0.1",
        "--local=/test/",
        "--address=/test/127.0.0.1",
        "--pid-file=",
        &format!("--port={port}"),
    ]);
    for (name, text) in records {
        command.arg(format!("--txt-record={name},{text}"));
    }
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start dnsmasq ({e}): run scripts/test, which installs it")
        });
    Dnsmasq {
        child,
        address: SocketAddr::from(([127, 0, 0, 1], port)),
    }
}

impl Dnsmasq {
    /// Waits (at most 20 s) until the server answers a name.
    pub async fn ready(&self) {
        let resolver = crawler::dns::NameResolver::new(Some(self.address));
        let started = std::time::Instant::now();
        while resolver.addresses("ready.test").await.is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "dnsmasq did not answer within 20 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}
