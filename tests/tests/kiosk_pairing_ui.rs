//! A new device's first start, on its real screens: it finds the store server by mDNS on
//! loopback, the staff pick it, type a pairing code on the keypad, and the kiosk's welcome
//! screen comes up; a wrong code is refused, and the pairing survives a restart of the app.
//! It runs in a network namespace of its own, so its mDNS reaches no real network.

use salon_shared::Role;
use salon_tests::TestServer;
use salon_tests::app_driver::{App, init_backend, run_ui, runtime};
use std::time::Duration;
use store_server::Mdns;

#[test]
fn a_new_kiosk_finds_the_store_and_pairs() {
    if salon_tests::rerun_in_own_netns("a_new_kiosk_finds_the_store_and_pairs") {
        return;
    }
    init_backend();
    let rt = runtime();
    let dir = tempfile::tempdir().expect("store dir");
    let srv = rt.block_on(TestServer::start_in(
        dir.path(),
        Mdns::Interfaces(vec!["lo".into()]),
    ));
    let m = srv.manager.clone();
    let code = rt
        .block_on(m.create_pairing_code(Role::Kiosk))
        .expect("kiosk code")
        .code;
    let store_name = rt.block_on(m.health()).expect("health").store_name;
    let data = tempfile::tempdir().expect("app data");
    let data_path = data.path().to_path_buf();
    run_ui(async move {
        let app = App::open(&data_path, None, Duration::from_secs(120));
        app.on("connect").await;
        let label = format!("store {store_name}");
        app.until("the store is discovered on loopback", |a| a.has(&label))
            .await;
        app.tap(&label);
        app.until("its address is picked", |a| {
            a.kiosk().get_address().starts_with("http://127.0.0.1:")
        })
        .await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for d in wrong.chars() {
            app.tap(&format!("key {d}"));
        }
        app.until("the code is typed", |a| {
            a.kiosk().get_pairing_code().len() == 6
        })
        .await;
        app.tap("pair");
        app.problem("pair_failed").await;
        assert_eq!(app.screen(), "connect");
        for d in code.chars() {
            app.tap(&format!("key {d}"));
        }
        app.until("the code is typed", |a| {
            a.kiosk().get_pairing_code().len() == 6
        })
        .await;
        app.tap("pair");
        app.on("welcome").await;
        app.until("online", |a| a.kiosk().get_online()).await;
        assert_eq!(app.kiosk().get_store_name(), store_name.as_str());
        drop(app);

        // The pairing is kept: the next start goes straight to the welcome screen.
        let again = App::open(&data_path, None, Duration::from_secs(120));
        again.on("welcome").await;
        again.until("online", |a| a.kiosk().get_online()).await;
    });
    rt.block_on(srv.stop());
}
