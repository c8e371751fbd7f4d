//! The raw USB bus: the bytes the Rez TranceVibrator protocol produces (on a recording toy
//! presented as the USB manager presents one) and the control requests the USB manager turns
//! them into; scanning where no such toy is
//! plugged; and the C ABI options selecting every optional bus, each reporting itself
//! unavailable where this machine lacks it while the other buses keep working.

#![cfg(all(feature = "usb", feature = "sim"))]

use std::sync::Arc;
use std::time::{Duration, Instant};

use haptix::client::{Client, ClientEvent};
use haptix::core::types::Endpoint;
use haptix::device::config::{CommSpecifier, DeviceConfigManager, VidPid};
use haptix::error::DeviceError;
use haptix::ffi::proto::{self, event, request};
use haptix::ffi::*;
use haptix::hwmgr::usb::{usb_ids, vendor_control, UsbCommManager, VendorControl};
use haptix::hwmgr::{CommEvent, CommManager};
use haptix::server::{Server, SessionOptions};

#[path = "support/abi.rs"]
mod abi;
#[path = "support/recorder.rs"]
mod recorder;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rez_speeds_become_vendor_control_requests() {
    let server = Server::new(
        DeviceConfigManager::builtin().unwrap(),
        SessionOptions {
            server_name: "usb test".into(),
            max_ping_time: 0,
        },
    );
    let client = Client::connect_in_process(&server, "usb test")
        .await
        .unwrap();
    let mut events = client.events();
    client.start_scanning().await.unwrap();
    // a TranceVibrator as the USB manager presents one
    let writes = recorder::offer(
        &server.comm_sender(),
        CommSpecifier::Usb(vec![VidPid {
            vendor_id: 0x0b49,
            product_id: 0x064f,
        }]),
        "ASCII Vib",
        &[Endpoint::TxVendorControl],
    );
    let device = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(ClientEvent::DeviceAdded(d)) = events.recv().await {
                return d;
            }
        }
    })
    .await
    .expect("the TranceVibrator was not added");
    client.stop_scanning().await.unwrap();
    assert!(
        device.name().contains("TranceVibrator"),
        "{}",
        device.name()
    );
    let max = device.info().features[0].outputs[0].value.1;
    assert_eq!(max, 255);
    writes.lock().unwrap().clear();
    for (level, speed) in [(1.0, 255u8), (0.5, 128), (0.0, 0)] {
        device.vibrate(level).await.unwrap();
        let sent = recorder::take(&writes).await;
        assert_eq!(sent, [(Endpoint::TxVendorControl, vec![speed])]);
        let (endpoint, bytes) = &sent[0];
        // what the USB manager sends for that write
        assert_eq!(
            vendor_control(*endpoint, bytes).unwrap(),
            VendorControl {
                request_type: 0x43,
                request: 0x01,
                value: u16::from(speed),
                index: 0,
            }
        );
    }
    client.disconnect().await.unwrap();
    server.shutdown().await;
}

#[test]
fn malformed_usb_writes_are_refused() {
    for (endpoint, data) in [
        (Endpoint::Tx, &[1u8][..]),
        (Endpoint::TxVendorControl, &[][..]),
        (Endpoint::TxVendorControl, &[1, 2][..]),
    ] {
        assert!(matches!(
            vendor_control(endpoint, data),
            Err(DeviceError::Hardware(_))
        ));
    }
}

#[tokio::test]
async fn scanning_finds_only_configured_toys_and_stops() {
    let config = Arc::new(DeviceConfigManager::builtin().unwrap());
    assert_eq!(
        usb_ids(config.as_ref()),
        [VidPid {
            vendor_id: 0x0b49,
            product_id: 0x064f
        }]
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let manager = UsbCommManager::new(config, tx);
    manager.start_scanning().await.unwrap();
    // no TranceVibrator is plugged here: nothing is offered; where the system has no USB
    // access, scanning finishes by itself
    match tokio::time::timeout(Duration::from_millis(1500), rx.recv()).await {
        Err(_) => assert!(manager.is_scanning()),
        Ok(Some(CommEvent::ScanningFinished { manager: name })) => {
            assert_eq!(name, "usb");
            assert!(!manager.is_scanning());
        }
        Ok(other) => panic!("unexpected {other:?}"),
    }
    manager.stop_scanning().await.unwrap();
    assert!(!manager.is_scanning());
    manager.shutdown().await;
}

#[test]
fn the_c_abi_selects_every_optional_bus() {
    let every = vec![
        proto::CommManager::Simulated as i32,
        proto::CommManager::LovenseDongleSerial as i32,
        proto::CommManager::LovenseDongleHid as i32,
        proto::CommManager::LovenseConnect as i32,
        proto::CommManager::Gamepad as i32,
        proto::CommManager::Usb as i32,
    ];
    // a malformed Lovense Connect address is refused when the context is created
    let refused = abi::try_context(&proto::ContextOptions {
        comm_managers: every.clone(),
        lovense_connect_addresses: vec!["no-port-here".into()],
        ..Default::default()
    });
    assert_eq!(refused.err(), Some(haptix_status::ErrorInvalidArgument));
    assert!(
        abi::last_error().contains("no-port-here"),
        "{}",
        abi::last_error()
    );

    let ctx = abi::context(&proto::ContextOptions {
        comm_managers: every,
        simulated_devices: vec![proto::SimulatedDevice {
            identifier: "LVS-Hush".into(),
            address: "hush-1".into(),
        }],
        log_level: proto::LogLevel::Warn as i32,
        ..Default::default()
    });
    let c = abi::client(ctx);
    abi::send(c, request::Kind::StartScanning(proto::StartScanning {}));
    // the simulated toy still arrives
    let added = abi::device_added(c);
    assert_eq!(added.name, "Lovense Hush");
    // the dongles (none plugged here) and Lovense Connect (no address) say they are unavailable
    let mut wanted = vec!["Lovense dongle unavailable", "Lovense Connect unavailable"];
    let mut logs = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !wanted.is_empty() && Instant::now() < deadline {
        if let Ok(proto::Event {
            kind: Some(event::Kind::Log(r)),
            ..
        }) = abi::next_context_event(ctx, 100)
        {
            wanted.retain(|w| !r.message.contains(w));
            logs.push(r.message);
        }
    }
    assert!(wanted.is_empty(), "missing {wanted:?} in {logs:?}");
    // SAFETY: handles from this test, freed once.
    unsafe {
        haptix_client_free(c);
        haptix_context_free(ctx);
    }
}
