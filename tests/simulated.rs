//! Simulated toys as a user meets them: identifiers that match nothing are refused, indexes
//! follow the order devices were found in, the device address reaches C ABI clients, and
//! simulated batteries answer.
// drives simulated toys: needs the `sim` feature (default)
#![cfg(feature = "sim")]

use std::time::Duration;

use haptix::client::{Client, ClientDevice, ClientEvent};
use haptix::device::config::DeviceConfigManager;
use haptix::ffi::proto::{self, request};
use haptix::ffi::*;
use haptix::hwmgr::sim::SimDeviceSpec;
use haptix::server::{Server, SessionOptions};

#[path = "support/abi.rs"]
mod abi;

fn server() -> Server {
    Server::new(
        DeviceConfigManager::builtin().expect("built-in database"),
        SessionOptions {
            server_name: "simulated".into(),
            max_ping_time: 0,
        },
    )
}

async fn next_added(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<ClientEvent>,
) -> ClientDevice {
    tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            match events.recv().await {
                Some(ClientEvent::DeviceAdded(d)) => return d,
                Some(_) => {}
                None => panic!("events ended"),
            }
        }
    })
    .await
    .expect("no device in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identifiers_that_match_nothing_are_refused() {
    let server = server();
    let e = server
        .add_simulated_device(SimDeviceSpec::parse("Nothing At All").unwrap())
        .err()
        .unwrap_or_default();
    assert!(
        e.contains("Nothing At All") && e.contains("haptix devices"),
        "{e}"
    );
    assert!(server.simulator().devices().is_empty());
    assert!(server
        .add_simulated_device(SimDeviceSpec::parse("LVS-Hush").unwrap())
        .is_ok());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indexes_follow_the_order_devices_were_found_in() {
    for _ in 0..3 {
        let server = server();
        // the first toy identifies slowly (its handshake write takes 300 ms), the others at
        // once; without reservation in discovery order the quick ones took the low indexes
        let names = ["LVS-Hush", "Boost", "FOX", "LVS-Edge"];
        let mut addresses = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let mut spec = SimDeviceSpec::parse(name).unwrap();
            spec.address = Some(format!("toy-{i}"));
            let hw = server.add_simulated_device(spec).unwrap();
            if i == 0 {
                hw.set_write_delay(Some(Duration::from_millis(300)));
            }
            addresses.push(hw.address().to_string());
        }
        let client = Client::connect_in_process(&server, "order").await.unwrap();
        let mut events = client.events();
        client.start_scanning().await.unwrap();
        for _ in 0..names.len() {
            next_added(&mut events).await;
        }
        for (expected, address) in addresses.iter().enumerate() {
            let index = server
                .device_manager()
                .devices()
                .iter()
                .find(|d| d.identifier().address == *address)
                .map(|d| d.index());
            assert_eq!(
                index,
                Some(expected as u32),
                "{address} ({})",
                names[expected]
            );
        }
        client.disconnect().await.unwrap();
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_kgoal_boost_reports_its_battery() {
    let server = server();
    server
        .add_simulated_device(SimDeviceSpec::parse("Boost").unwrap())
        .unwrap();
    let client = Client::connect_in_process(&server, "battery")
        .await
        .unwrap();
    let mut events = client.events();
    client.start_scanning().await.unwrap();
    let device = next_added(&mut events).await;
    let level = tokio::time::timeout(Duration::from_secs(5), device.battery())
        .await
        .expect("the battery read hung")
        .unwrap();
    assert!((level - 0.85).abs() < 1e-9, "{level}");
    client.disconnect().await.unwrap();
    server.shutdown().await;
}

/// Through the C ABI: refused identifiers name themselves; DeviceAdded carries the address.
#[test]
fn the_c_abi_refuses_unknown_toys_and_reports_addresses() {
    let refused = abi::try_context(&abi::toys_options(&[("LVS-Hsh", "")], proto::LogLevel::Off));
    assert_eq!(refused, Err(haptix_status::ErrorInvalidArgument));

    let ctx = abi::context(&abi::toys_options(
        &[("LVS-Hush", "hush-1")],
        proto::LogLevel::Off,
    ));
    let client = abi::client(ctx);
    let refused = abi::call_response(
        client,
        request::Kind::AddSimulatedDevice(proto::AddSimulatedDevice {
            device: Some(proto::SimulatedDevice {
                identifier: "Nothing At All".into(),
                address: String::new(),
            }),
        }),
    );
    assert_eq!(refused.status, haptix_status::ErrorInvalidArgument.code());
    assert!(
        refused.message.contains("Nothing At All"),
        "{}",
        refused.message
    );
    abi::call(
        client,
        request::Kind::StartScanning(proto::StartScanning {}),
    );
    assert_eq!(abi::device_added(client).address, "hush-1");
    // SAFETY: live handles, freed once.
    unsafe {
        haptix_client_free(client);
        haptix_context_free(ctx);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulated_usb_toy_takes_vendor_control_writes() {
    let server = server();
    let hw = server
        .add_simulated_device(SimDeviceSpec::parse("usb:0b49:064f").unwrap())
        .unwrap();
    let client = Client::connect_in_process(&server, "usb").await.unwrap();
    let mut events = client.events();
    client.start_scanning().await.unwrap();
    let device = next_added(&mut events).await;
    assert_eq!(device.name(), "Rez TranceVibrator");
    device.vibrate(1.0).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut seen = Vec::new();
    while seen.is_empty() && tokio::time::Instant::now() < deadline {
        seen = hw
            .take_writes()
            .into_iter()
            .filter(|(endpoint, _)| endpoint.name() == "txvendorcontrol")
            .collect();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!seen.is_empty(), "no vendor control write");
    client.disconnect().await.unwrap();
    server.shutdown().await;
}

/// Adds a simulated toy for each `(identifier, definition name, model identifier)` of
/// `offered` to one server, and checks that each comes up as the definition it was offered for.
async fn offered_models_come_up_as_their_definitions(
    protocol: &str,
    offered: &[(String, String, String)],
) {
    let server = server();
    for (i, (simulate, _, _)) in offered.iter().enumerate() {
        let mut spec = SimDeviceSpec::parse(simulate).unwrap();
        spec.address = Some(format!("{protocol}-{i}"));
        server.add_simulated_device(spec).unwrap();
    }
    let client = Client::connect_in_process(&server, "models").await.unwrap();
    let mut events = client.events();
    client.start_scanning().await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..offered.len() {
        seen.push(next_added(&mut events).await.name().to_string());
    }
    let mut expected: Vec<String> = offered.iter().map(|(_, name, _)| name.clone()).collect();
    expected.sort();
    seen.sort();
    assert_eq!(seen, expected);
    client.disconnect().await.unwrap();
    server.shutdown().await;
}

/// The definitions of `protocol` with the model identifier `haptix devices` offers for each.
fn offered_models(protocol: &str) -> Vec<(String, String, String)> {
    use haptix::hwmgr::sim::model_simulate_identifier;
    let config = DeviceConfigManager::builtin().expect("built-in database");
    let definitions = config
        .protocols()
        .iter()
        .find(|p| p.name == protocol)
        .map(|p| p.configurations.clone())
        .unwrap_or_default();
    let mut offered = Vec::new();
    for def in &definitions {
        for id in &def.identifiers {
            if let Some(simulate) = model_simulate_identifier(protocol, id) {
                offered.push((simulate, def.name.clone(), id.clone()));
            }
        }
    }
    offered
}

/// Every Lovense model `haptix devices` offers to simulate is named after the definition it
/// stands for (`LVS-` and the product name without spaces), and a simulated toy of that name
/// comes up as that model.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_lovense_models_come_up_as_the_model_their_name_says() {
    let offered = offered_models("lovense");
    for (simulate, name, id) in &offered {
        let product = name.trim_start_matches("Lovense ").replace(' ', "");
        assert_eq!(simulate, &format!("LVS-{product}"), "{name} ({id})");
    }
    assert!(
        offered.len() >= 30,
        "only {} Lovense models can be simulated",
        offered.len()
    );
    offered_models_come_up_as_their_definitions("lovense", &offered).await;
}

/// Every Satisfyer model of the database is offered to simulate as `SF ` and its model
/// number, and a simulated toy of that name comes up as that model.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_satisfyer_models_come_up_as_the_model_their_name_says() {
    let offered = offered_models("satisfyer");
    for (simulate, name, id) in &offered {
        assert_eq!(simulate, &format!("SF {id}"), "{name}");
    }
    assert!(
        offered.len() >= 80,
        "only {} Satisfyer models can be simulated",
        offered.len()
    );
    offered_models_come_up_as_their_definitions("satisfyer", &offered).await;
}

/// Every identifier `haptix devices` offers to simulate brings up a device, handled by the
/// protocol whose line offers it. Many protocols wait for the toy during identification or
/// initialisation (a model code to read, a handshake or login to answer): a device created
/// from an identifier answers like the real toy (`hwmgr::sim::builtin_toy`), so these come up
/// too. The devices are all added at once and scanned together, and the wait ends as soon as
/// all of them are up (a few seconds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_offered_identifier_brings_up_a_device_of_its_protocol() {
    use haptix::server::offered_identifiers;
    let server = server();
    let dm = server.device_manager();
    let mut offered: Vec<(String, String)> = Vec::new();
    for p in dm.config().protocols() {
        for id in offered_identifiers(dm.config(), p, &|name| dm.registry().contains(name)) {
            offered.push((p.name.clone(), id));
        }
    }
    assert!(offered.len() > 100, "only {} identifiers", offered.len());
    for (i, (_, id)) in offered.iter().enumerate() {
        let mut spec = SimDeviceSpec::parse(id).unwrap();
        spec.address = Some(format!("offered-{i}"));
        server.add_simulated_device(spec).unwrap();
    }
    dm.start_scanning().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    while dm.devices().len() < offered.len() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut wrong = Vec::new();
    for (i, (protocol, id)) in offered.iter().enumerate() {
        let address = format!("offered-{i}");
        let device = dm
            .devices()
            .into_iter()
            .find(|d| d.identifier().address == address);
        match device.map(|d| d.identifier().protocol.clone()) {
            None => wrong.push(format!("{id} (offered for {protocol}): never came up")),
            Some(found) if found != *protocol => {
                wrong.push(format!("{id} (offered for {protocol}): came up as {found}"))
            }
            Some(_) => {}
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {}:\n{}",
        wrong.len(),
        offered.len(),
        wrong.join("\n")
    );
    server.shutdown().await;
}
