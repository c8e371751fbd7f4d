//! A device whose advertised name several protocols claim is bound to the first candidate
//! protocol whose communication it really has, as the reference does: the Femometer Lilac
//! (`FM-LILAC-101`) matches both `fmachine` (`FM-*`) and `magic-motion-1`, but has only the
//! MagicMotion characteristics.

use std::time::Duration;

use haptix::client::{Client, ClientEvent};
use haptix::core::types::Endpoint;
use haptix::device::config::{BtleSpecifier, CommSpecifier, DeviceConfigManager};
use haptix::server::{Server, SessionOptions};

#[path = "support/recorder.rs"]
mod recorder;

/// The MagicMotion service's write characteristic (from the device database).
const MAGIC_MOTION_TX: &str = "78667579-a914-49a4-8333-aa3c0cd8fedc";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_candidate_the_device_fits_is_chosen() {
    let server = Server::new(
        DeviceConfigManager::builtin().expect("built-in database"),
        SessionOptions {
            server_name: "candidates".into(),
            max_ping_time: 0,
        },
    );
    let client = Client::connect_in_process(&server, "candidates")
        .await
        .expect("connect");
    let mut events = client.events();
    client.start_scanning().await.expect("scan");
    let writes = recorder::offer_with_characteristics(
        &server.comm_sender(),
        CommSpecifier::Btle(BtleSpecifier {
            names: vec!["FM-LILAC-101".into()],
            manufacturer_data: Vec::new(),
            advertised_services: Vec::new(),
            services: Vec::new(),
        }),
        "FM-LILAC-101",
        &[Endpoint::Tx, Endpoint::RxBleBattery],
        &[MAGIC_MOTION_TX],
    );
    let device = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match events.recv().await {
                Some(ClientEvent::DeviceAdded(d)) => return d,
                Some(_) => {}
                None => panic!("the client's events ended"),
            }
        }
    })
    .await
    .expect("the toy was never added: a candidate it does not fit ended the search");
    assert_eq!(device.name(), "Femometer Lilac");
    device.vibrate(1.0).await.expect("vibrate");
    let sent = recorder::take(&writes).await;
    // a MagicMotion v1 frame on tx, not an F-Machine one
    assert!(
        sent.iter()
            .any(|(ep, data)| *ep == Endpoint::Tx && data.starts_with(&[0x0b, 0xff, 0x04])),
        "{sent:?}"
    );
    client.disconnect().await.expect("disconnect");
    server.shutdown().await;
}
