//! The Lovense dongle comm manager (serial variant) end to end over a real pseudo-terminal pair:
//! the test holds the master side and plays a scripted dongle with one Lush in range; the
//! library opens the slave side as the dongle's port. Also: the unavailable paths of both
//! variants.

#![cfg(all(unix, feature = "lovense-dongle-serial"))]

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use haptix::client::{Client, ClientEvent};
use haptix::device::config::DeviceConfigManager;
use haptix::hwmgr::lovense_dongle::{self, LovenseDongleCommManager};
use haptix::hwmgr::{CommEvent, CommEventSender, CommManager};
use haptix::server::{Server, SessionOptions};
use serialport::{SerialPort, TTYPort};

const TOY: &str = "c44f33e2a19c";

/// What the scripted dongle does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Script {
    /// No toy connected at first; a search finds the Lush.
    FoundBySearch,
    /// The Lush is already connected when the host asks.
    AlreadyConnected,
    /// A search finds the Lush, but the dongle never confirms the end of the search.
    SilentStop,
}

/// A scripted dongle on the master side of a pseudo-terminal pair. Every line the host sends
/// goes to `lines`; `say` makes the dongle send a line; dropping `say` unplugs it.
struct Dongle {
    port: String,
    /// Set when the host sent a toy command before the dongle confirmed the search's end.
    early: Arc<AtomicBool>,
    lines: Mutex<std_mpsc::Receiver<serde_json::Value>>,
    say: Mutex<Option<std_mpsc::Sender<String>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Dongle {
    fn start(script: Script) -> Dongle {
        let (mut master, slave) = TTYPort::pair().expect("pseudo-terminal pair");
        master.set_timeout(Duration::from_millis(20)).unwrap();
        let port = slave.name().expect("slave name");
        drop(slave);
        let (line_tx, lines) = std_mpsc::channel();
        let (say, said) = std_mpsc::channel::<String>();
        let early = Arc::new(AtomicBool::new(false));
        let early_flag = Arc::clone(&early);
        let thread = std::thread::spawn(move || {
            // the end of a search is confirmed a little later, as a real dongle does
            let mut confirm_at: Option<Instant> = None;
            let mut partial = Vec::new();
            let mut buf = [0u8; 256];
            let reply = |m: &mut TTYPort, s: &str| {
                m.write_all(s.as_bytes()).unwrap();
                m.write_all(b"\r\n").unwrap();
            };
            loop {
                match said.try_recv() {
                    Ok(line) => reply(&mut master, &line),
                    Err(std_mpsc::TryRecvError::Disconnected) => return,
                    Err(std_mpsc::TryRecvError::Empty) => {}
                }
                if confirm_at.is_some_and(|t| Instant::now() >= t) {
                    confirm_at = None;
                    reply(
                        &mut master,
                        r#"{"type":"toy","func":"search","result":206}"#,
                    );
                }
                let n = match master.read(&mut buf) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
                    // no slave side open yet (EIO): the library has not opened the port
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(20));
                        continue;
                    }
                };
                partial.extend_from_slice(&buf[..n]);
                while let Some(end) = partial.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = partial.drain(..=end).collect();
                    let text = String::from_utf8(line).unwrap();
                    assert!(text.ends_with("\r\n"), "line without CR LF: {text:?}");
                    let msg: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
                    let func = msg["func"].as_str().unwrap_or_default().to_string();
                    match func.as_str() {
                        "statuss" if script == Script::AlreadyConnected => reply(
                            &mut master,
                            &format!(
                                r#"{{"type":"toy","func":"status","data":{{"id":"{TOY}","status":202}}}}"#
                            ),
                        ),
                        "search" => {
                            reply(
                                &mut master,
                                r#"{"type":"toy","func":"search","result":205}"#,
                            );
                            reply(
                                &mut master,
                                &format!(
                                    r#"{{"type":"toy","func":"toyData","data":{{"id":"{TOY}"}}}}"#
                                ),
                            );
                        }
                        "stopSearch" => {
                            reply(
                                &mut master,
                                r#"{"type":"usb","func":"stopSearch","result":200}"#,
                            );
                            if script != Script::SilentStop {
                                confirm_at = Some(Instant::now() + Duration::from_millis(300));
                            }
                        }
                        "command" => {
                            if confirm_at.is_some() {
                                early_flag.store(true, Ordering::SeqCst);
                            }
                            let answer = match msg["cmd"].as_str() {
                                Some("DeviceType;") => Some("S:11:C44F33E2A19C;"),
                                Some("Battery;") => Some("85;"),
                                _ => None,
                            };
                            if let Some(a) = answer {
                                // garbage and split writes must not confuse the host
                                master.write_all(b"not json\r\n").unwrap();
                                let line = format!(
                                    r#"{{"type":"toy","func":"toyData","data":{{"id":"{TOY}","data":"{a}"}}}}"#
                                );
                                let (x, y) = line.split_at(10);
                                master.write_all(x.as_bytes()).unwrap();
                                master.flush().unwrap();
                                reply(&mut master, y);
                            }
                        }
                        _ => {}
                    }
                    if line_tx.send(msg).is_err() {
                        return;
                    }
                }
            }
        });
        Dongle {
            port,
            early,
            lines: Mutex::new(lines),
            say: Mutex::new(Some(say)),
            thread: Mutex::new(Some(thread)),
        }
    }

    /// The next line the host sent, within 10 s.
    fn next(&self) -> serde_json::Value {
        self.lines
            .lock()
            .unwrap()
            .recv_timeout(Duration::from_secs(10))
            .expect("the host sent nothing")
    }

    /// Lines until one with this `func` and (if given) `cmd`; returns it.
    fn until(&self, func: &str, cmd: Option<&str>) -> serde_json::Value {
        loop {
            let m = self.next();
            if m["func"] == func && cmd.is_none_or(|c| m["cmd"] == c) {
                return m;
            }
        }
    }

    fn say(&self, line: &str) {
        let say = self.say.lock().unwrap();
        say.as_ref().unwrap().send(line.to_string()).unwrap();
    }

    /// Closes the master side, as pulling the dongle out does.
    fn unplug(&self) {
        self.say.lock().unwrap().take();
        if let Some(t) = self.thread.lock().unwrap().take() {
            let _ = t.join();
        }
    }
}

impl Drop for Dongle {
    fn drop(&mut self) {
        self.unplug();
    }
}

async fn server_with(
    manager: impl FnOnce(CommEventSender) -> LovenseDongleCommManager,
) -> (Server, Client, Arc<LovenseDongleCommManager>) {
    let server = Server::new(
        DeviceConfigManager::builtin().unwrap(),
        SessionOptions {
            server_name: "dongle test".into(),
            max_ping_time: 0,
        },
    );
    let manager = Arc::new(manager(server.comm_sender()));
    server.add_comm_manager(manager.clone()).unwrap();
    let client = Client::connect_in_process(&server, "dongle test")
        .await
        .unwrap();
    (server, client, manager)
}

async fn next_event<T>(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<ClientEvent>,
    what: &str,
    pick: impl Fn(ClientEvent) -> Option<T>,
) -> T {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match events.recv().await {
                Some(e) => {
                    if let Some(t) = pick(e) {
                        return t;
                    }
                }
                None => panic!("the client's events ended"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what}"))
}

/// Blocking wait for a dongle line, off the async runtime.
async fn until(
    dongle: &Arc<Dongle>,
    func: &'static str,
    cmd: Option<&'static str>,
) -> serde_json::Value {
    let d = Arc::clone(dongle);
    tokio::task::spawn_blocking(move || d.until(func, cmd))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_toy_found_by_the_dongle_search_is_driven_through_it() {
    let dongle = Arc::new(Dongle::start(Script::FoundBySearch));
    let port = dongle.port.clone();
    let (server, client, manager) =
        server_with(|events| LovenseDongleCommManager::serial_at(&port, events)).await;
    let mut events = client.events();
    client.start_scanning().await.unwrap();
    // the host first asks for a connected toy, then searches
    let first = until(&dongle, "statuss", None).await;
    assert_eq!(first, serde_json::json!({"type": "toy", "func": "statuss"}));
    let search = until(&dongle, "search", None).await;
    assert_eq!(search["type"], "toy");
    // the toy found: the search is stopped and the toy identified through the dongle
    let stop = until(&dongle, "stopSearch", None).await;
    assert_eq!(
        stop,
        serde_json::json!({"type": "usb", "func": "stopSearch"})
    );
    let ask = until(&dongle, "command", Some("DeviceType;")).await;
    assert_eq!(
        ask,
        serde_json::json!({"type": "toy", "func": "command", "id": TOY, "cmd": "DeviceType;"})
    );
    let device = next_event(&mut events, "DeviceAdded", |e| match e {
        ClientEvent::DeviceAdded(d) => Some(d),
        _ => None,
    })
    .await;
    // the dongle holds one toy: its manager's scan ended with the toy found
    assert!(!manager.is_scanning());
    // nothing was sent to the toy before the dongle confirmed the end of the search
    assert!(!dongle.early.load(Ordering::SeqCst));
    assert!(device.name().contains("Lush"), "{}", device.name());

    // commands travel wrapped for the dongle, with the toy's id
    let max = device.info().features[0].outputs[0].value.1;
    device.vibrate(0.5).await.unwrap();
    let half = format!("Vibrate:{};", (max + 1) / 2);
    let cmd = until(&dongle, "command", None).await;
    assert_eq!(cmd["id"], TOY);
    assert_eq!(cmd["cmd"], half.as_str(), "{cmd}");
    // the toy's reply comes back through the dongle's toyData
    assert_eq!(device.battery().await.unwrap(), 0.85);
    device.stop().await.unwrap();
    until(&dongle, "command", Some("Vibrate:0;")).await;

    // the dongle reports the toy gone: the device is removed
    dongle.say(&format!(
        r#"{{"type":"toy","func":"status","data":{{"id":"{TOY}","status":403}}}}"#
    ));
    let removed = next_event(&mut events, "DeviceRemoved", |e| match e {
        ClientEvent::DeviceRemoved(i) => Some(i),
        _ => None,
    })
    .await;
    assert_eq!(removed, device.index());
    client.disconnect().await.unwrap();
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_toy_already_connected_is_offered_without_search_and_unplugging_removes_it() {
    let dongle = Arc::new(Dongle::start(Script::AlreadyConnected));
    let port = dongle.port.clone();
    let (server, client, manager) =
        server_with(|events| LovenseDongleCommManager::serial_at(&port, events)).await;
    let mut events = client.events();
    client.start_scanning().await.unwrap();
    let device = next_event(&mut events, "DeviceAdded", |e| match e {
        ClientEvent::DeviceAdded(d) => Some(d),
        _ => None,
    })
    .await;
    assert!(device.name().contains("Lush"), "{}", device.name());
    // no search was sent: the lines so far are the status query and toy commands
    let d = Arc::clone(&dongle);
    let sent: Vec<serde_json::Value> = tokio::task::spawn_blocking(move || {
        let lines = d.lines.lock().unwrap();
        std::iter::from_fn(|| lines.recv_timeout(Duration::from_millis(300)).ok()).collect()
    })
    .await
    .unwrap();
    assert!(sent.iter().all(|m| m["func"] != "search"), "{sent:?}");
    assert!(!manager.is_scanning());
    // pulling the dongle out removes the toy
    let d = Arc::clone(&dongle);
    tokio::task::spawn_blocking(move || d.unplug())
        .await
        .unwrap();
    let removed = next_event(&mut events, "DeviceRemoved", |e| match e {
        ClientEvent::DeviceRemoved(i) => Some(i),
        _ => None,
    })
    .await;
    assert_eq!(removed, device.index());
    client.disconnect().await.unwrap();
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dongle_that_never_confirms_the_search_end_still_gets_its_toy_used() {
    let dongle = Arc::new(Dongle::start(Script::SilentStop));
    let port = dongle.port.clone();
    let (server, client, _manager) =
        server_with(|events| LovenseDongleCommManager::serial_at(&port, events)).await;
    let mut events = client.events();
    client.start_scanning().await.unwrap();
    let device = next_event(&mut events, "DeviceAdded", |e| match e {
        ClientEvent::DeviceAdded(d) => Some(d),
        _ => None,
    })
    .await;
    assert!(device.name().contains("Lush"), "{}", device.name());
    client.disconnect().await.unwrap();
    server.shutdown().await;
}

/// Waits for the manager's ScanningFinished.
async fn finished(rx: &mut tokio::sync::mpsc::UnboundedReceiver<CommEvent>) -> &'static str {
    match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
        Ok(Some(CommEvent::ScanningFinished { manager })) => manager,
        other => panic!("expected ScanningFinished, got {other:?}"),
    }
}

#[tokio::test]
async fn without_a_dongle_scanning_finishes_cleanly() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let manager = LovenseDongleCommManager::serial_at("/nonexistent/haptix-dongle", tx);
    manager.start_scanning().await.unwrap();
    assert_eq!(finished(&mut rx).await, "lovense-dongle-serial");
    assert!(!manager.is_scanning());
    // scanning again tries again, and finishes again
    manager.start_scanning().await.unwrap();
    assert_eq!(finished(&mut rx).await, "lovense-dongle-serial");
    manager.shutdown().await;
}

#[cfg(feature = "lovense-dongle-hid")]
#[tokio::test]
async fn without_a_hid_dongle_scanning_finishes_cleanly() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let manager = LovenseDongleCommManager::hid(tx);
    manager.start_scanning().await.unwrap();
    assert_eq!(finished(&mut rx).await, "lovense-dongle-hid");
    assert!(!manager.is_scanning());
    manager.shutdown().await;
}

#[test]
fn hid_framing_of_a_toy_command() {
    let line = lovense_dongle::toy_command(TOY, "Vibrate:20;");
    let reports = lovense_dongle::hid_reports(&line);
    let mut sent: Vec<u8> = Vec::new();
    for r in &reports {
        assert_eq!(r.len(), 65);
        assert_eq!(r[0], 0, "report id");
        // 63 bytes of the line, the last byte stays zero
        assert_eq!(r[64], 0);
        sent.extend_from_slice(&r[1..64]);
    }
    let text = String::from_utf8(sent).unwrap();
    assert_eq!(text.trim_end_matches('\0'), format!("{line}\r\n"));
    assert_eq!(reports.len(), (line.len() + 2).div_ceil(63));
}
