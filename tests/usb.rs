//! The raw USB bus: the bytes the Rez TranceVibrator protocol produces (on a recording toy
//! presented as the USB manager presents one) and the control requests the USB manager turns
//! them into; scanning where no such toy is
//! plugged; and the C ABI options selecting every optional bus, each reporting itself
//! unavailable where this machine lacks it while the other buses keep working.

#![cfg(all(feature = "usb", feature = "sim"))]

use std::ptr;
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
use prost::Message;

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

fn last_error() -> String {
    let mut buf = vec![0u8; 512];
    let mut len = 0;
    // SAFETY: buffer of the given size.
    unsafe { haptix_last_error_message(buf.as_mut_ptr().cast(), buf.len(), &mut len) };
    String::from_utf8_lossy(&buf[..len.min(511)]).into_owned()
}

fn new_context(options: &proto::ContextOptions) -> Result<*mut haptix_context, haptix_status> {
    let bytes = options.encode_to_vec();
    let mut ctx = ptr::null_mut();
    // SAFETY: valid buffer and out-pointer.
    let st =
        unsafe { haptix_context_new(HAPTIX_ABI_VERSION, bytes.as_ptr(), bytes.len(), &mut ctx) };
    if st == haptix_status::Ok {
        Ok(ctx)
    } else {
        Err(st)
    }
}

fn decode(buf: &mut haptix_buffer) -> proto::Event {
    // SAFETY: filled by the library.
    let bytes = unsafe { std::slice::from_raw_parts(buf.data, buf.len) }.to_vec();
    // SAFETY: filled by the library, freed once.
    unsafe { haptix_buffer_free(buf) };
    proto::Event::decode(bytes.as_slice()).unwrap()
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
    let refused = new_context(&proto::ContextOptions {
        comm_managers: every.clone(),
        lovense_connect_addresses: vec!["no-port-here".into()],
        ..Default::default()
    });
    assert_eq!(refused.err(), Some(haptix_status::ErrorInvalidArgument));
    assert!(last_error().contains("no-port-here"), "{}", last_error());

    let ctx = new_context(&proto::ContextOptions {
        comm_managers: every,
        simulated_devices: vec![proto::SimulatedDevice {
            identifier: "LVS-Hush".into(),
            address: "hush-1".into(),
        }],
        log_level: proto::LogLevel::Warn as i32,
        ..Default::default()
    })
    .unwrap_or_else(|st| panic!("{st:?}: {}", last_error()));
    let mut c = ptr::null_mut();
    // SAFETY: valid context; NULL options are the defaults.
    let st = unsafe { haptix_client_new(ctx, ptr::null(), 0, &mut c) };
    assert_eq!(st, haptix_status::Ok, "{}", last_error());
    let scan = proto::Request {
        id: 0,
        kind: Some(request::Kind::StartScanning(proto::StartScanning {})),
    }
    .encode_to_vec();
    // SAFETY: valid client and buffer.
    let st = unsafe { haptix_client_send(c, scan.as_ptr(), scan.len(), ptr::null_mut()) };
    assert_eq!(st, haptix_status::Ok, "{}", last_error());
    // the simulated toy still arrives
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut added = None;
    while added.is_none() && Instant::now() < deadline {
        let mut buf = haptix_buffer::EMPTY;
        // SAFETY: valid client and out-pointer.
        if unsafe { haptix_client_next_event(c, 100, &mut buf) } == haptix_status::Ok {
            if let Some(event::Kind::DeviceAdded(d)) = decode(&mut buf).kind {
                added = Some(d);
            }
        }
    }
    let added = added.expect("no device added").device.expect("device");
    assert_eq!(added.name, "Lovense Hush");
    // the dongles (none plugged here) and Lovense Connect (no address) say they are unavailable
    let mut wanted = vec!["Lovense dongle unavailable", "Lovense Connect unavailable"];
    let mut logs = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !wanted.is_empty() && Instant::now() < deadline {
        let mut buf = haptix_buffer::EMPTY;
        // SAFETY: valid context and out-pointer.
        if unsafe { haptix_context_next_event(ctx, 100, &mut buf) } == haptix_status::Ok {
            if let Some(event::Kind::Log(r)) = decode(&mut buf).kind {
                wanted.retain(|w| !r.message.contains(w));
                logs.push(r.message);
            }
        }
    }
    assert!(wanted.is_empty(), "missing {wanted:?} in {logs:?}");
    // SAFETY: handles from this test, freed once.
    unsafe {
        haptix_client_free(c);
        haptix_context_free(ctx);
    }
}
