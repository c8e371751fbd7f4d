//! The gamepad bus: the packets the `sdl-gamepad` and `xinput` protocols produce (on a recording
//! toy presented as the gamepad manager presents one) and the rumble magnitudes the manager
//! plays for them; scanning on a machine without gamepads.

#![cfg(feature = "gamepad")]

use std::sync::Arc;
use std::time::Duration;

use haptix::client::{Client, ClientDevice, ClientEvent};
use haptix::core::types::Endpoint;
use haptix::device::config::{CommSpecifier, DeviceConfigManager};
use haptix::hwmgr::gamepad::{gamepad_specifier, rumble_from_packet, GamepadCommManager};
use haptix::hwmgr::{CommEvent, CommManager};
use haptix::server::{Server, SessionOptions};

#[path = "support/recorder.rs"]
mod recorder;

async fn gamepad(config: DeviceConfigManager) -> (Server, Client, ClientDevice, recorder::Writes) {
    let specifier = gamepad_specifier(&config);
    let server = Server::new(
        config,
        SessionOptions {
            server_name: "gamepad test".into(),
            max_ping_time: 0,
        },
    );
    let client = Client::connect_in_process(&server, "gamepad test")
        .await
        .unwrap();
    let mut events = client.events();
    client.start_scanning().await.unwrap();
    let writes = recorder::offer(
        &server.comm_sender(),
        specifier,
        "Xbox Wireless Controller",
        &[Endpoint::Tx],
    );
    let device = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(ClientEvent::DeviceAdded(d)) = events.recv().await {
                return d;
            }
        }
    })
    .await
    .expect("the gamepad was not added");
    client.stop_scanning().await.unwrap();
    (server, client, device, writes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdl_gamepad_packets_become_rumble() {
    let config = DeviceConfigManager::builtin().unwrap();
    assert_eq!(gamepad_specifier(&config), CommSpecifier::SdlGamepad);
    let (server, client, device, writes) = gamepad(config).await;
    let motors = device
        .info()
        .features
        .iter()
        .filter(|f| !f.outputs.is_empty())
        .count();
    assert!(motors >= 2, "{:?}", device.info());
    // every motor travels in one packet; the first two are the strong and weak motors
    device.vibrate(1.0).await.unwrap();
    let sent = recorder::take(&writes).await;
    let (endpoint, packet) = sent.last().unwrap().clone();
    assert_eq!(endpoint, Endpoint::Tx);
    assert_eq!(packet.len(), motors * 2);
    assert!(packet.iter().all(|b| *b == 0xff), "{packet:02x?}");
    assert_eq!(rumble_from_packet(&packet).unwrap(), (65535, 65535));
    device.stop().await.unwrap();
    let (_, packet) = recorder::take(&writes).await.last().unwrap().clone();
    assert!(packet.iter().all(|b| *b == 0), "{packet:02x?}");
    assert_eq!(rumble_from_packet(&packet).unwrap(), (0, 0));
    client.disconnect().await.unwrap();
    server.shutdown().await;
}

#[test]
fn packets_map_to_strong_and_weak_motors() {
    assert_eq!(
        rumble_from_packet(&[0x00, 0x01, 0xff, 0xff]).unwrap(),
        (256, 65535)
    );
    // trigger motors are not played
    assert_eq!(
        rumble_from_packet(&[1, 0, 2, 0, 3, 0, 4, 0]).unwrap(),
        (1, 2)
    );
    // one motor drives both
    assert_eq!(rumble_from_packet(&[7, 0]).unwrap(), (7, 7));
    assert!(rumble_from_packet(&[]).is_err());
    assert!(rumble_from_packet(&[1, 2, 3]).is_err());
}

#[tokio::test]
async fn scanning_without_gamepads_is_clean() {
    let config = DeviceConfigManager::builtin().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let manager = Arc::new(GamepadCommManager::new(&config, tx));
    manager.start_scanning().await.unwrap();
    // no gamepad here: nothing is offered; without gamepad support scanning finishes itself
    match tokio::time::timeout(Duration::from_millis(1500), rx.recv()).await {
        Err(_) => assert!(manager.is_scanning()),
        Ok(Some(CommEvent::ScanningFinished { manager: name })) => {
            assert_eq!(name, "gamepad");
            assert!(!manager.is_scanning());
        }
        Ok(Some(CommEvent::DeviceFound(c))) => {
            // a machine with a rumble gamepad: it is offered as one
            assert_eq!(c.specifier(), &CommSpecifier::SdlGamepad);
        }
        Ok(None) => panic!("the manager's events ended"),
    }
    manager.stop_scanning().await.unwrap();
    assert!(!manager.is_scanning());
    manager.shutdown().await;
}
