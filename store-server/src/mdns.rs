//! Advertises the store server as `_salon._tcp.local.` with its name, API version and id.

use crate::{Mdns, StoreInfo};
use mdns_sd::{IfKind, ServiceDaemon, ServiceInfo};

/// A running advertisement; `stop` withdraws it.
pub struct Advert {
    daemon: ServiceDaemon,
    fullname: String,
}

impl Advert {
    pub fn stop(self) {
        if let Ok(rx) = self.daemon.unregister(&self.fullname) {
            let _ = rx.recv_timeout(std::time::Duration::from_millis(500));
        }
        let _ = self.daemon.shutdown();
    }
}

/// Starts advertising on the interfaces `mode` names; `None` when mDNS is off.
pub fn advertise(
    mode: &Mdns,
    info: &StoreInfo,
    port: u16,
) -> Result<Option<Advert>, mdns_sd::Error> {
    let interfaces = match mode {
        Mdns::Off => return Ok(None),
        Mdns::All => None,
        Mdns::Interfaces(list) => Some(list),
    };
    let daemon = ServiceDaemon::new()?;
    if let Some(list) = interfaces {
        daemon.disable_interface(IfKind::All)?;
        for name in list {
            // `lo` means the IPv4 loopback, which mdns-sd enables by kind, not by name.
            let kind = if name == "lo" {
                IfKind::LoopbackV4
            } else {
                IfKind::Name(name.clone())
            };
            daemon.enable_interface(kind)?;
        }
    }
    let instance = format!("salon-{}", info.server_id);
    let host = format!("salon-{}.local.", info.server_id);
    let props = [
        ("store_name", info.store_name.as_str()),
        ("api_version", salon_shared::API_VERSION),
        ("server_id", info.server_id.as_str()),
        ("path", "/api/v1"),
    ];
    let service = ServiceInfo::new(
        salon_shared::SERVICE_TYPE,
        &instance,
        &host,
        "",
        port,
        &props[..],
    )?
    .enable_addr_auto();
    let fullname = service.get_fullname().to_string();
    daemon.register(service)?;
    Ok(Some(Advert { daemon, fullname }))
}
