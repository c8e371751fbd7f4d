//! A game loop sending faster than the link writes must not build a backlog: commands queued
//! while a write is in flight are merged, latest value per feature, and the last value always
//! reaches the toy.
// drives simulated toys: needs the `sim` feature (default)
#![cfg(feature = "sim")]

use std::time::Duration;

use haptix::client::{Client, ClientEvent};
use haptix::device::config::DeviceConfigManager;
use haptix::hwmgr::sim::SimDeviceSpec;
use haptix::server::{Server, SessionOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_queued_behind_a_slow_write_are_merged() {
    let server = Server::new(
        DeviceConfigManager::builtin().unwrap(),
        SessionOptions {
            server_name: "coalescing".into(),
            max_ping_time: 0,
        },
    );
    let hw = server
        .simulator()
        .add_device(SimDeviceSpec::parse("LVS-Hush").unwrap());
    let client = Client::connect_in_process(&server, "coalescing")
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
    .unwrap();
    hw.take_ops();
    // every write now takes 300 ms, as on a congested radio link
    hw.set_write_delay(Some(Duration::from_millis(300)));
    let commands = 40;
    for step in 1..=commands {
        device
            .vibrate(f64::from(step % 20 + 1) / 20.0)
            .await
            .unwrap();
    }
    let last = format!("Vibrate:{};", commands % 20 + 1).into_bytes();
    let mut writes = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while writes.last() != Some(&last) && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        writes.extend(hw.take_writes().into_iter().map(|(_, d)| d));
    }
    assert_eq!(writes.last(), Some(&last), "{writes:?}");
    assert!(
        writes.len() < usize::try_from(commands / 2).unwrap(),
        "{} writes for {commands} commands: {writes:?}",
        writes.len()
    );
    hw.set_write_delay(None);
    client.disconnect().await.unwrap();
    server.shutdown().await;
}
