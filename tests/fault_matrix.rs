//! The fault matrix: simulated toys that fail in every way the simulator can inject
//! (`haptix::hwmgr::sim::Fault`) while the server identifies, initialises and drives them.
//!
//! - A disconnect at each step of identification and initialisation in turn, for protocols
//!   whose set-up subscribes, reads and writes: the server neither hangs nor panics, the toy
//!   either never appears or appears and is then removed (the client sees `DeviceRemoved`), the
//!   server lets go of the hardware, the same toy is found again by the next scan and works,
//!   and a fresh toy connected afterwards works.
//! - Failing and stalled writes while a command runs: the client gets an error, never a hang;
//!   `StopAll` still stops the other toys, and the stalled toy gets its stop once its stuck
//!   write is given up.
//! - Garbage: garbled identification replies and nonsense notifications are survived; an
//!   input subscription keeps delivering valid readings after them.
// drives simulated toys: needs the `sim` feature (default)
#![cfg(feature = "sim")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use haptix::client::{Client, ClientDevice, ClientEvent};
use haptix::core::messages::InputReadingValue;
use haptix::core::types::{Endpoint, InputType};
use haptix::device::config::DeviceConfigManager;
use haptix::hwmgr::sim::{Fault, SimDeviceSpec, SimHardware, SimOp};
use haptix::server::device_manager::DeviceEvent;
use haptix::server::{Server, SessionOptions};
use tokio::sync::mpsc::UnboundedReceiver;

/// Far above anything expected on a loaded machine; reaching it is a hang.
const WAIT: Duration = Duration::from_secs(30);

/// References to a simulated toy that neither the server nor a connection attempt holds:
/// the test's own and the simulator's list.
const IDLE_REFERENCES: usize = 2;

fn server() -> Server {
    Server::new(
        DeviceConfigManager::builtin().expect("built-in database"),
        SessionOptions {
            server_name: "fault matrix".into(),
            max_ping_time: 0,
        },
    )
}

/// A toy whose identification or initialisation talks to the device.
struct Handshake {
    /// Simulator identifier.
    name: &'static str,
    /// What its set-up does, for the report.
    steps: &'static str,
    /// Called on each new simulated toy before it is found (scripted read replies).
    prepare: fn(&SimHardware),
    /// A command the test sends once the toy is up, and what the write it causes looks like.
    drive: Drive,
    expect: fn(&[u8]) -> bool,
}

/// A command for a toy.
enum Drive {
    /// Vibrate at this level.
    Vibrate(f64),
    /// Move to this position, taking this many milliseconds.
    Position(f64, u32),
}

fn nothing(_: &SimHardware) {}

/// Ankni reads its PnP characteristic; a six-byte address asks for the handshake writes.
fn ankni_pnp(hw: &SimHardware) {
    hw.queue_read(Endpoint::Generic(0), &[1, 2, 3, 4, 5, 6]);
}

const HANDSHAKES: &[Handshake] = &[
    Handshake {
        name: "LVS-Hush",
        steps: "Lovense: identification subscribes rx, writes DeviceType;",
        prepare: nothing,
        drive: Drive::Vibrate(0.35),
        expect: |d| d == b"Vibrate:7;",
    },
    Handshake {
        name: "DSJM",
        steps: "Ankni: initialisation reads generic0, then two handshake writes",
        prepare: ankni_pnp,
        drive: Drive::Vibrate(1.0),
        expect: |d| d.starts_with(&[0x03, 0x12]) && d.get(2).is_some_and(|s| *s > 0),
    },
    Handshake {
        name: "Rey",
        steps: "Kiiroo v2.1, initialised: two set-up writes with response",
        prepare: nothing,
        drive: Drive::Position(0.9, 500),
        // [0x03, 0x00, speed, goal]
        expect: |d| d.len() == 4 && d[0] == 0x03 && d[3] > 0,
    },
    Handshake {
        name: "MV Crescendo",
        steps: "MysteryVibe: initialisation writes the mode; stop on connect; keep-alive",
        prepare: nothing,
        drive: Drive::Vibrate(1.0),
        // one byte per motor on txvibrate (the keep-alive repeats the stop until then)
        expect: |d| d.first().is_some_and(|m| *m > 0),
    },
];

/// Waits for the next `DeviceAdded`, skipping other events.
async fn next_added(events: &mut UnboundedReceiver<ClientEvent>) -> ClientDevice {
    tokio::time::timeout(WAIT, async {
        loop {
            match events.recv().await {
                Some(ClientEvent::DeviceAdded(d)) => return d,
                Some(_) => {}
                None => panic!("the client's events ended"),
            }
        }
    })
    .await
    .expect("no device was added")
}

/// Waits for `DeviceRemoved(index)`, skipping other events.
async fn removed(events: &mut UnboundedReceiver<ClientEvent>, index: u32) {
    tokio::time::timeout(WAIT, async {
        loop {
            match events.recv().await {
                Some(ClientEvent::DeviceRemoved(i)) if i == index => return,
                Some(_) => {}
                None => panic!("the client's events ended"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("device {index} was never reported removed"));
}

/// Waits until neither a device nor a connection attempt holds the toy any more.
async fn released(hw: &Arc<SimHardware>) {
    let deadline = Instant::now() + WAIT;
    while Arc::strong_count(hw) > IDLE_REFERENCES {
        assert!(
            Instant::now() < deadline,
            "the server still holds {} after its connection failed",
            hw.address()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!hw.is_connected(), "{} is still connected", hw.address());
}

/// Waits until `hw` receives a write `matches` accepts.
async fn wrote_matching(hw: &SimHardware, matches: impl Fn(&[u8]) -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        match hw.next_op(left).await {
            Some(SimOp::Write { data, .. }) if matches(&data) => return,
            Some(op) => seen.push(op.to_string()),
            None => panic!(
                "{} never received the expected write; it saw {seen:?}",
                hw.address()
            ),
        }
    }
}

/// Waits until `hw` receives exactly `want`.
async fn wrote(hw: &SimHardware, want: &[u8]) {
    wrote_matching(hw, |d| d == want).await;
}

/// Starts a scan, or restarts it so that toys that went away are offered again.
async fn rescan(client: &Client) {
    client.stop_scanning().await.expect("stop scanning");
    client.start_scanning().await.expect("start scanning");
}

/// The toy is up: a command reaches it.
async fn works(hw: &SimHardware, device: &ClientDevice, toy: &Handshake) {
    hw.take_ops();
    match toy.drive {
        Drive::Vibrate(level) => device.vibrate(level).await.expect("vibrate"),
        Drive::Position(at, ms) => device.position(at, ms).await.expect("position"),
    }
    wrote_matching(hw, toy.expect).await;
}

/// What happened to one connection attempt with a disconnect armed at operation `step`.
enum Attempt {
    /// The fault never fired: the toy connected cleanly (set-up has fewer operations).
    Clean(ClientDevice),
    /// The fault fired.
    Broken {
        /// What the client saw of the toy.
        seen: Seen,
    },
}

/// What a client saw of a toy whose connection broke.
#[derive(Debug, Clone, Copy)]
enum Seen {
    /// Nothing: the server never registered it.
    Never,
    /// The server registered it and removed it before the client's device list showed it.
    ByTheServerOnly,
    /// `DeviceAdded`, then `DeviceRemoved`.
    AddedThenRemoved,
}

async fn attempt(
    server: &Server,
    client: &Client,
    events: &mut UnboundedReceiver<ClientEvent>,
    toy: &Handshake,
    step: usize,
) -> (Arc<SimHardware>, Attempt) {
    // (a toy added while scanning is offered at once: arm it before the scan)
    client.stop_scanning().await.expect("stop scanning");
    let mut spec = SimDeviceSpec::parse(toy.name).expect("identifier");
    spec.address = Some(format!("{}-step-{step}", toy.name.replace(' ', "-")));
    let hw = server
        .add_simulated_device(spec)
        .expect("a toy of the database");
    (toy.prepare)(&hw);
    hw.inject(Fault::DisconnectAt { index: step });
    let mut dm_events = server.device_manager().subscribe();
    client.start_scanning().await.expect("start scanning");
    // Either the toy is added, or the fault fires and the attempt ends.
    let deadline = Instant::now() + WAIT;
    let added = loop {
        if hw.faults_fired() > 0 {
            break None;
        }
        match tokio::time::timeout(Duration::from_millis(10), events.recv()).await {
            Ok(Some(ClientEvent::DeviceAdded(d))) => break Some(d),
            Ok(Some(_)) | Err(_) => {}
            Ok(None) => panic!("the client's events ended"),
        }
        assert!(
            Instant::now() < deadline,
            "{} step {step}: no outcome",
            toy.name
        );
    };
    if let Some(d) = added {
        if hw
            .clear_faults()
            .contains(&Fault::DisconnectAt { index: step })
        {
            return (hw, Attempt::Clean(d));
        }
        // it appeared, then found itself disconnected
        removed(events, d.index()).await;
        released(&hw).await;
        return (
            hw,
            Attempt::Broken {
                seen: Seen::AddedThenRemoved,
            },
        );
    }
    released(&hw).await;
    // The device manager broadcast everything about this toy before letting go of it.
    let mut appeared = None;
    let mut gone = false;
    while let Ok(ev) = dm_events.try_recv() {
        match ev {
            DeviceEvent::Added(info) => appeared = Some(info.index),
            DeviceEvent::Removed(i) => gone |= appeared == Some(i),
            _ => {}
        }
    }
    let Some(index) = appeared else {
        return (hw, Attempt::Broken { seen: Seen::Never });
    };
    assert!(gone, "{} step {step}: added and never removed", toy.name);
    // The client's device list follows the server's: a device list asked for now no longer
    // holds the toy, and when the client had announced it, it announced its removal too
    // (device lists, replies or not, are applied in arrival order).
    let list = client.request_device_list().await.expect("device list");
    assert!(list.iter().all(|d| d.index != index));
    let mut announced = false;
    while let Ok(ev) = events.try_recv() {
        match ev {
            ClientEvent::DeviceAdded(d) if d.index() == index => announced = true,
            ClientEvent::DeviceRemoved(i) if i == index => announced = false,
            _ => {}
        }
    }
    assert!(
        !announced,
        "{} step {step}: the client was told of the toy and not of its removal",
        toy.name
    );
    (
        hw,
        Attempt::Broken {
            seen: Seen::ByTheServerOnly,
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnect_at_every_step_of_identification_and_initialisation() {
    let server = server();
    let client = Client::connect_in_process(&server, "fault matrix")
        .await
        .expect("connect");
    let mut events = client.events();
    client.start_scanning().await.expect("scan");
    for toy in HANDSHAKES {
        let mut outcomes = Vec::new();
        for step in 0.. {
            assert!(step < 50, "{}: set-up never completed", toy.name);
            let (hw, outcome) = attempt(&server, &client, &mut events, toy, step).await;
            // the server still answers
            tokio::time::timeout(WAIT, client.ping())
                .await
                .expect("the server hung")
                .expect("ping");
            match outcome {
                Attempt::Clean(device) => {
                    // a fresh toy, connected after all the broken ones, works
                    works(&hw, &device, toy).await;
                    outcomes.push("connected".to_string());
                    server.simulator().remove_device(hw.address());
                    removed(&mut events, device.index()).await;
                    break;
                }
                Attempt::Broken { seen } => {
                    outcomes.push(
                        match seen {
                            Seen::Never => "never appeared",
                            Seen::ByTheServerOnly => "registered, removed unseen",
                            Seen::AddedThenRemoved => "appeared, removed",
                        }
                        .to_string(),
                    );
                    // the same toy is found again and works (the attempt's bookkeeping ends
                    // just after it lets go of the hardware: scan until the toy is offered
                    // and taken)
                    (toy.prepare)(&hw);
                    let deadline = Instant::now() + WAIT;
                    let again = loop {
                        rescan(&client).await;
                        let wait = tokio::time::timeout(
                            Duration::from_millis(500),
                            next_added(&mut events),
                        );
                        if let Ok(d) = wait.await {
                            break d;
                        }
                        assert!(
                            Instant::now() < deadline,
                            "{} step {step}: not found again",
                            toy.name
                        );
                    };
                    works(&hw, &again, toy).await;
                    server.simulator().remove_device(hw.address());
                    removed(&mut events, again.index()).await;
                }
            }
        }
        println!(
            "fault matrix: {} ({}): disconnect at step 0..{}: {}",
            toy.name,
            toy.steps,
            outcomes.len() - 1,
            outcomes.join(" / ")
        );
        assert!(
            outcomes.len() > 1,
            "{}: its set-up had no step to break",
            toy.name
        );
    }
    client.disconnect().await.expect("disconnect");
    server.shutdown().await;
}

/// A server with two Lovense toys, both found and vibrating.
async fn two_moving_toys() -> (
    Server,
    Client,
    [Arc<SimHardware>; 2],
    [ClientDevice; 2],
    UnboundedReceiver<ClientEvent>,
) {
    let server = server();
    let add = |name: &str, address: &str| {
        let mut spec = SimDeviceSpec::parse(name).expect("identifier");
        spec.address = Some(address.into());
        server.add_simulated_device(spec).expect("a toy")
    };
    let hws = [add("LVS-Hush", "faulty"), add("LVS-Lush", "healthy")];
    let client = Client::connect_in_process(&server, "faults")
        .await
        .expect("connect");
    let mut events = client.events();
    client.start_scanning().await.expect("scan");
    let mut found = vec![next_added(&mut events).await, next_added(&mut events).await];
    // index order follows discovery order
    found.sort_by_key(|d| d.index());
    let [a, b]: [ClientDevice; 2] = found.try_into().expect("two toys");
    for (hw, d) in hws.iter().zip([&a, &b]) {
        hw.take_ops();
        d.vibrate(0.5).await.expect("vibrate");
        wrote(hw, b"Vibrate:10;").await;
    }
    (server, client, hws, [a, b], events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_errors_while_commands_run_give_errors_and_stop_all_still_stops() {
    let (server, client, [faulty, healthy], [device, _], _events) = two_moving_toys().await;
    // the battery query's write fails: an error comes back, not a hang
    faulty.inject(Fault::FailWrites { count: 1 });
    let read = tokio::time::timeout(WAIT, device.battery())
        .await
        .expect("the battery read hung");
    assert!(read.is_err(), "a failed write gave {read:?}");
    // the next read works
    let level = tokio::time::timeout(WAIT, device.battery())
        .await
        .expect("the battery read hung")
        .expect("battery");
    assert!(level > 0.0);
    // the toy's command write fails; the command was accepted (outputs are queued), and
    // StopAll afterwards stops both toys
    faulty.inject(Fault::FailWrites { count: 1 });
    device.vibrate(0.8).await.expect("vibrate is accepted");
    tokio::time::timeout(WAIT, client.stop_all())
        .await
        .expect("StopAll hung")
        .expect("StopAll");
    wrote(&healthy, b"Vibrate:0;").await;
    wrote(&faulty, b"Vibrate:0;").await;
    assert_eq!(faulty.faults_fired(), 2);
    client.disconnect().await.expect("disconnect");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_never_completes_neither_hangs_the_client_nor_blocks_the_stops() {
    let (server, client, [faulty, healthy], [device, other], _events) = two_moving_toys().await;
    // a query whose write never completes ends with an error
    faulty.inject(Fault::StallWrites { count: 1 });
    let started = Instant::now();
    let read = tokio::time::timeout(WAIT, device.battery())
        .await
        .expect("the battery read hung");
    assert!(read.is_err(), "a stalled write gave {read:?}");
    println!(
        "fault matrix: stalled write under a battery read: error after {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    // a command whose write never completes: accepted; StopAll answers and stops the other toy
    faulty.inject(Fault::StallWrites { count: 1 });
    device.vibrate(0.8).await.expect("vibrate is accepted");
    let started = Instant::now();
    let stop_all = {
        let client = client.clone();
        tokio::spawn(async move { client.stop_all().await })
    };
    wrote(&healthy, b"Vibrate:0;").await;
    println!(
        "fault matrix: StopAll with one toy's write stalled: the other toy stopped after {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    tokio::time::timeout(WAIT, stop_all)
        .await
        .expect("StopAll hung")
        .expect("StopAll task")
        .expect("StopAll");
    println!(
        "fault matrix: StopAll with one toy's write stalled: answered after {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    // the stalled toy is not lost: its stop goes out once the stuck write is given up
    wrote(&faulty, b"Vibrate:0;").await;
    println!(
        "fault matrix: StopAll with one toy's write stalled: that toy stopped after {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    // and it takes commands again
    faulty.take_ops();
    device.vibrate(0.25).await.expect("vibrate");
    wrote(&faulty, b"Vibrate:5;").await;
    other.vibrate(0.25).await.expect("vibrate");
    wrote(&healthy, b"Vibrate:5;").await;
    client.disconnect().await.expect("disconnect");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbled_identification_replies_are_survived() {
    let server = server();
    let hw = server
        .add_simulated_device(SimDeviceSpec::parse("LVS-Hush").expect("identifier"))
        .expect("a toy");
    // the first answer to DeviceType; is nonsense: the query is repeated
    hw.inject(Fault::GarbleReplies { count: 1 });
    let client = Client::connect_in_process(&server, "garbage")
        .await
        .expect("connect");
    let mut events = client.events();
    client.start_scanning().await.expect("scan");
    let device = next_added(&mut events).await;
    assert_eq!(device.name(), "Lovense Hush");
    assert_eq!(hw.faults_fired(), 1);
    // nonsense on the toy's reply channel, then a battery query: still answered
    let sent = hw.notify_garbage(Endpoint::Rx, 200);
    assert_eq!(sent.len(), 200);
    let level = tokio::time::timeout(WAIT, device.battery())
        .await
        .expect("the battery read hung")
        .expect("battery");
    assert!(level > 0.0);
    hw.take_ops();
    device.vibrate(0.35).await.expect("vibrate");
    wrote(&hw, b"Vibrate:7;").await;
    client.disconnect().await.expect("disconnect");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_input_subscription_survives_garbage_notifications() {
    let server = server();
    let hw = server
        .add_simulated_device(SimDeviceSpec::parse("Boost").expect("identifier"))
        .expect("a toy");
    let client = Client::connect_in_process(&server, "garbage")
        .await
        .expect("connect");
    let mut events = client.events();
    client.start_scanning().await.expect("scan");
    let device = next_added(&mut events).await;
    device
        .subscribe(0, InputType::Pressure)
        .await
        .expect("subscribe");
    // (fewer than the 256 notifications a device's event queue holds, so none is skipped)
    let sent = hw.notify_garbage(Endpoint::RxPressure, 200);
    // a pressure notification has seven bytes: longer garbage reads as some pressure (reported
    // when it differs from the previous one), shorter garbage is dropped
    let readable = sent.iter().filter(|p| p.len() >= 7).count();
    // then real readings: normalised pressure 300, then 42
    let mut garbage_readings = 0;
    for (bytes, want) in [
        ([0x00, 0x01, 0x04, 0x01, 0x2c, 0x07, 0xd0], 300),
        ([0x00, 0x01, 0x04, 0x00, 0x2a, 0x00, 0x2a], 42),
    ] {
        hw.notify(Endpoint::RxPressure, &bytes);
        tokio::time::timeout(WAIT, async {
            loop {
                match events.recv().await {
                    Some(ClientEvent::InputReading {
                        feature_index: 0,
                        reading: InputReadingValue::Pressure(p),
                        ..
                    }) => {
                        if p == want {
                            return;
                        }
                        garbage_readings += 1;
                    }
                    Some(ClientEvent::DeviceRemoved(_))
                    | Some(ClientEvent::Disconnected)
                    | None => {
                        panic!("the toy or the session went away")
                    }
                    Some(_) => {}
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("the valid reading {want} after the garbage never arrived"));
    }
    assert!(garbage_readings <= readable);
    println!(
        "fault matrix: 200 garbage pressure notifications ({readable} long enough to parse) gave \
         {garbage_readings} readings; the valid readings after them arrived"
    );
    client.ping().await.expect("ping");
    client.disconnect().await.expect("disconnect");
    server.shutdown().await;
}
