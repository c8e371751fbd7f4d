//! The serial comm manager end to end over a real pseudo-terminal pair: the test holds the
//! master side and plays the toy; the library opens the slave side as the serial port the user
//! configuration names.

#![cfg(unix)]

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use haptix::client::{Client, ClientEvent};
use haptix::core::types::Endpoint;
use haptix::device::config::{CommSpecifier, DeviceConfigManager, SerialSpecifier};
use haptix::hwmgr::serial::SerialCommManager;
use haptix::hwmgr::{CommEvent, CommManager, HardwareEvent};
use haptix::server::{Server, SessionOptions};
use serialport::{SerialPort, TTYPort};

/// A pseudo-terminal pair; returns the master and the slave's path (the slave handle is closed
/// so the library can open the port exclusively).
fn pty() -> (TTYPort, String) {
    let (mut master, slave) = TTYPort::pair().expect("pseudo-terminal pair");
    master
        .set_timeout(Duration::from_millis(100))
        .expect("master timeout");
    let path = slave.name().expect("slave name");
    drop(slave);
    (master, path)
}

/// Reads from the master until `n` bytes arrived or 5 s passed.
fn read_exact(master: &mut TTYPort, n: usize) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut out = Vec::new();
    let mut buf = [0u8; 64];
    while out.len() < n && Instant::now() < deadline {
        match master.read(&mut buf) {
            Ok(k) => out.extend_from_slice(&buf[..k]),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => panic!("master read failed: {e}"),
        }
    }
    out
}

fn user_config(protocol: &str, port: &str, baud: u32) -> String {
    format!(
        r#"{{"version": {{"major": 4, "minor": 0}},
            "user_configs": {{"protocols": {{"{protocol}": {{"communication": [
              {{"serial": {{"port": "{port}", "baud_rate": {baud}, "data_bits": 8,
                           "parity": "N", "stop_bits": 1}}}}]}}}}}}}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serial_toy_is_found_and_receives_its_bytes() {
    let (mut master, port) = pty();
    let config = DeviceConfigManager::builtin().unwrap();
    config
        .load_user_json(user_config("nobra", &port, 19200).as_bytes())
        .unwrap();
    let server = Server::new(
        config,
        SessionOptions {
            server_name: "serial test".into(),
            max_ping_time: 0,
        },
    );
    server
        .add_comm_manager(Arc::new(SerialCommManager::new(
            server.device_manager().config().clone(),
            server.comm_sender(),
        )))
        .unwrap();
    let client = Client::connect_in_process(&server, "serial test")
        .await
        .unwrap();
    let mut events = client.events();
    client.start_scanning().await.unwrap();
    let device = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(ClientEvent::DeviceAdded(d)) = events.recv().await {
                return d;
            }
        }
    })
    .await
    .expect("the serial toy was not found");
    client.stop_scanning().await.unwrap();
    assert!(device.name().contains("Nobra"), "{}", device.name());
    // Nobra sends its off byte when it connects
    let mut master_io = tokio::task::spawn_blocking(move || {
        let first = read_exact(&mut master, 1);
        (master, first)
    })
    .await
    .unwrap();
    assert_eq!(master_io.1, [0x70]);
    let max = device.info().features[0].outputs[0].value.1;
    device.vibrate(1.0).await.unwrap();
    master_io = tokio::task::spawn_blocking(move || {
        let mut master = master_io.0;
        let got = read_exact(&mut master, 1);
        (master, got)
    })
    .await
    .unwrap();
    assert_eq!(master_io.1, [0x60 + u8::try_from(max).unwrap()]);
    device.stop().await.unwrap();
    let (mut master, stopped) = tokio::task::spawn_blocking(move || {
        let mut master = master_io.0;
        let got = read_exact(&mut master, 1);
        (master, got)
    })
    .await
    .unwrap();
    assert_eq!(stopped, [0x70]);

    // unplugging the toy (closing the master) removes the device
    master.flush().unwrap();
    drop(master);
    let removed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(ClientEvent::DeviceRemoved(i)) = events.recv().await {
                return i;
            }
        }
    })
    .await
    .expect("the device was not removed");
    assert_eq!(removed, device.index());
    client.disconnect().await.unwrap();
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serial_hardware_writes_reads_and_notifies() {
    let (mut master, port) = pty();
    let config = DeviceConfigManager::builtin().unwrap();
    config
        .load_user_json(user_config("tcode-v03", &port, 115200).as_bytes())
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let manager = SerialCommManager::new(Arc::new(config), tx);
    manager.start_scanning().await.unwrap();
    let mut connector = match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
        Ok(Some(CommEvent::DeviceFound(c))) => c,
        other => panic!("no port offered: {other:?}"),
    };
    manager.stop_scanning().await.unwrap();
    assert_eq!(connector.address(), port);
    let settings = CommSpecifier::Serial(SerialSpecifier {
        port: port.clone(),
        baud_rate: 115200,
        data_bits: 8,
        parity: 'N',
        stop_bits: 1,
    });
    let hw = connector.connect(&[settings]).await.unwrap();
    assert_eq!(hw.endpoints(), vec![Endpoint::Tx, Endpoint::Rx]);
    hw.write(Endpoint::Tx, b"L0500I1000\n", false)
        .await
        .unwrap();
    let (mut master, got) = tokio::task::spawn_blocking(move || {
        let got = read_exact(&mut master, 11);
        (master, got)
    })
    .await
    .unwrap();
    assert_eq!(got, b"L0500I1000\n");
    // the toy answers: a read returns it
    master.write_all(b"V3\n").unwrap();
    let answer = hw
        .read(Endpoint::Rx, 3, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(answer, b"V3\n");
    // nothing more: the read times out with an error, not a hang
    assert!(hw
        .read(Endpoint::Rx, 1, Duration::from_millis(200))
        .await
        .is_err());
    // subscribed: data arrives as notifications
    let mut events = hw.events();
    hw.subscribe(Endpoint::Rx).await.unwrap();
    master.write_all(b"ok").unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(5), events.recv()).await {
            Ok(Ok(HardwareEvent::Notification { endpoint, data })) => {
                assert_eq!(endpoint, Endpoint::Rx);
                seen.extend(data);
            }
            other => panic!("no notification: {other:?}"),
        }
    }
    assert_eq!(seen, b"ok");
    // an unknown endpoint is an error
    assert!(hw.write(Endpoint::Rx, b"x", false).await.is_err());
    hw.disconnect().await;
    assert!(hw.write(Endpoint::Tx, b"x", false).await.is_err());
}
