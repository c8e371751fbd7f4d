//! Measures what WebSocket sessions leave behind in a long-lived server (a benchmark, not a
//! test): `cargo run --release --example ws_sessions [SESSIONS]` (default 5,000).
//!
//! One server with a simulated Lovense Hush listens on a loopback port. First, 50 clients in a
//! row each complete the handshake, start the toy and then drop their TCP connection without a
//! close handshake, and the next connects at once: the run counts how many were accepted on
//! their first attempt (a dropped session is still being torn down when its successor arrives).
//! Then SESSIONS clients each connect, complete the handshake and close cleanly, and the
//! process's resident memory is sampled every 500 sessions. The growth per session is the
//! least-squares slope over the second half of the samples (the first half includes the
//! allocator warming up); the device-event subscribers left behind are counted at the end.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use haptix::device::config::DeviceConfigManager;
use haptix::hwmgr::sim::SimDeviceSpec;
use haptix::server::websocket::WebsocketServer;
use haptix::server::{Server, SessionOptions};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Resident memory of this process in KiB: `VmRSS` of `/proc/self/status`, which the kernel
/// gives in KiB whatever the page size (0 where there is none).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .unwrap_or(0)
}

fn frame(message: Value) -> Message {
    Message::text(Value::Array(vec![message]).to_string())
}

/// The next text frame, or why there is none.
async fn next_text(socket: &mut Socket) -> Result<String, String> {
    match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
        Err(_) => Err("no reply within 10 s".into()),
        Ok(Some(Ok(Message::Text(text)))) => Ok(text.to_string()),
        Ok(other) => Err(format!("{other:?}")),
    }
}

/// Connects and completes a spec v4 handshake.
async fn handshake(url: &str) -> Result<Socket, String> {
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .map_err(|e| e.to_string())?;
    socket
        .send(frame(
            json!({"RequestServerInfo": {"Id": 1, "ClientName": "churn",
            "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}}),
        ))
        .await
        .map_err(|e| e.to_string())?;
    let reply = next_text(&mut socket).await?;
    if reply.contains("ServerInfo") {
        Ok(socket)
    } else {
        Err(reply)
    }
}

/// Slope (KiB per session) of the least-squares line through `points`.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (sx, sy) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    let (mx, my) = (sx / n, sy / n);
    let (num, den) = points.iter().fold((0.0, 0.0), |(a, b), (x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    if den == 0.0 {
        0.0
    } else {
        num / den
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), String> {
    let sessions: usize = match std::env::args().nth(1) {
        None => 5_000,
        Some(a) => a
            .parse()
            .map_err(|_| format!("usage: ws_sessions [SESSIONS]; {a:?} is not a count"))?,
    };
    let config = DeviceConfigManager::builtin().map_err(|e| e.to_string())?;
    let server = Server::new(
        config,
        SessionOptions {
            server_name: "churn".into(),
            max_ping_time: 0,
        },
    );
    server.add_simulated_device(SimDeviceSpec::parse("LVS-Hush")?)?;
    let listen = "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?;
    let ws = WebsocketServer::start(server.clone(), listen, 1 << 20)
        .await
        .map_err(|e| e.to_string())?;
    let url = format!("ws://{}", ws.local_addr());

    // dropped connections, each followed at once by the next client
    let mut accepted = 0;
    let rounds = 50;
    for round in 0..rounds {
        match handshake(&url).await {
            Ok(mut socket) => {
                accepted += 1;
                let scan = frame(json!({"StartScanning": {"Id": 2}}));
                let _ = socket.send(scan).await;
                if round == 0 {
                    while server.device_manager().devices().is_empty() {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                let vibrate = frame(json!({"OutputCmd": {"Id": 3, "DeviceIndex": 0,
                    "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 5}}}}));
                let _ = socket.send(vibrate).await;
                let _ = next_text(&mut socket).await;
                drop(socket); // no close handshake
            }
            Err(e) => println!("reconnect {round}: refused: {e}"),
        }
    }
    println!("immediate reconnects after a dropped connection: {accepted} of {rounds} accepted");

    // clean handshake-and-close sessions, sampling resident memory
    let baseline = server.device_manager().subscriber_count();
    let start = Instant::now();
    let mut samples = vec![(0.0, rss_kib() as f64)];
    let mut failed = 0;
    for i in 1..=sessions {
        match handshake(&url).await {
            Ok(mut socket) => {
                let _ = socket.close(None).await;
                // wait for the server's close, so the next session finds the slot free
                while let Ok(Some(Ok(_))) =
                    tokio::time::timeout(Duration::from_secs(5), socket.next()).await
                {
                }
            }
            Err(_) => failed += 1,
        }
        if i % 500 == 0 || i == sessions {
            samples.push((i as f64, rss_kib() as f64));
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let left = server
        .device_manager()
        .subscriber_count()
        .saturating_sub(baseline);
    println!(
        "{sessions} handshake-and-close sessions in {:.1} s, {failed} failed",
        start.elapsed().as_secs_f64()
    );
    for (n, kib) in &samples {
        println!("  after {n:>6} sessions: RSS {:.1} MiB", kib / 1024.0);
    }
    let second_half = &samples[samples.len() / 2..];
    println!(
        "growth over the second half: {:.3} KiB per session; device-event subscribers left \
         behind: {left}",
        slope(second_half)
    );
    ws.shutdown().await;
    server.shutdown().await;
    Ok(())
}
