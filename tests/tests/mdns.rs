//! mDNS discovery on loopback only: the server advertises on `lo`, the browser listens on
//! the IPv4 loopback, and the discovered URL is a working server.
//!
//! The mDNS library joins its multicast groups on every interface when it starts, before it
//! can be limited to loopback. So the test runs itself again inside a network namespace of
//! its own (`unshare -rn`) whose only interface is loopback: nothing reaches a real network.

use salon_shared::client::{Client, discover};
use salon_tests::TestServer;
use std::time::Duration;
use store_server::Mdns;

#[test]
fn server_is_discovered_on_loopback() {
    if salon_tests::rerun_in_own_netns("server_is_discovered_on_loopback") {
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(discovered());
}

async fn discovered() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let srv = TestServer::start_in(dir.path(), Mdns::Interfaces(vec!["lo".into()])).await;
    let health = srv.manager.health().await.expect("health");
    let port: u16 = srv
        .base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port in base URL");

    let found = discover(Duration::from_secs(3), true)
        .await
        .expect("mDNS browse runs");
    let me = found
        .iter()
        .find(|d| d.server_id == health.server_id)
        .unwrap_or_else(|| {
            panic!(
                "server {} not discovered; found {found:?}",
                health.server_id
            )
        });
    assert_eq!(me.store_name, health.store_name);
    assert_eq!(me.store_name, "测试沙龙 Test Salon");
    assert_eq!(me.api_version, "1");
    assert_eq!(me.api_version, health.api_version);
    assert_eq!(me.port, port);
    assert!(
        !me.addresses.is_empty() && me.addresses.iter().all(|a| a.is_loopback()),
        "advertised addresses must be loopback only: {:?}",
        me.addresses
    );
    let url = me.base_url().expect("a base URL");
    assert_eq!(url, format!("http://127.0.0.1:{port}"));

    let h = Client::new(url)
        .health()
        .await
        .expect("discovered URL answers");
    assert_eq!(h.server_id, health.server_id);
    assert_eq!(h.status, "ok");
    srv.stop().await;
}
