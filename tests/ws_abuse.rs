//! Our WebSocket server against abuse while a legitimate client drives a toy (issue 14, part 2).
//!
//! The server holds one client at a time. A legitimate client (our Rust client) holds that slot
//! and sends a vibrate command to a simulated Lovense Hush every few milliseconds, first on an
//! idle server, then while other connections abuse the server: 1,000 connection attempts,
//! half-open upgrades left dangling (slowloris), oversized upgrade requests and frames, binary
//! frames, and connect/disconnect churn for `HAPTIX_ABUSE_SECS` seconds (10 by default; the
//! issue's full run is 60). The abusers run on a runtime of their own.
//!
//! Asserted: every legitimate command is answered and the session never drops; every abusive
//! connection is refused or closed by the server (the dangling ones within the server's
//! handshake timeout); the process's file descriptors return to their baseline afterwards. The
//! command latency (idle and under abuse) and the resident memory are printed, not asserted:
//! the machines are shared and noisy.
// drives simulated toys: needs the `sim` feature (default)
#![cfg(feature = "sim")]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use haptix::client::{Client, ClientDevice, ClientEvent};
use haptix::device::config::DeviceConfigManager;
use haptix::hwmgr::sim::SimDeviceSpec;
use haptix::server::websocket::{WebsocketServer, DEFAULT_MAX_FRAME, HANDSHAKE_TIMEOUT};
use haptix::server::{Server, SessionOptions};

/// Far above anything expected: an await still running after this has hung.
const HANG: Duration = Duration::from_secs(60);

/// Tests that count the process's file descriptors take this exclusively.
static FD_GATE: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// How long the churn lasts: `HAPTIX_ABUSE_SECS`, 10 s by default.
fn abuse_secs() -> u64 {
    std::env::var("HAPTIX_ABUSE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&s| s > 0)
        .unwrap_or(10)
}

fn fd_count() -> Option<usize> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count())
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn server() -> Server {
    Server::new(
        DeviceConfigManager::builtin().expect("built-in database"),
        SessionOptions {
            server_name: "abuse".into(),
            max_ping_time: 0,
        },
    )
}

/// Sends `count` vibrate commands (or, with `count` 0, commands until `stop` is set), one
/// every `pause`, and returns each one's round trip. Panics on any failed command: the
/// legitimate session must keep working.
async fn drive(
    device: &ClientDevice,
    count: usize,
    stop: &AtomicBool,
    pause: Duration,
) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let mut n = 0usize;
    while (count == 0 && !stop.load(Ordering::SeqCst)) || (count > 0 && n < count) {
        let level = 0.1 + 0.1 * (n % 9) as f64;
        let started = Instant::now();
        match tokio::time::timeout(HANG, device.vibrate(level)).await {
            Ok(Ok(())) => latencies.push(started.elapsed()),
            Ok(Err(e)) => panic!("legitimate command {n} failed: {e}"),
            Err(_) => panic!("legitimate command {n} unanswered after {HANG:?}"),
        }
        n += 1;
        tokio::time::sleep(pause).await;
    }
    latencies
}

/// What the abusers saw, by kind of abuse and outcome.
#[derive(Default, Debug)]
struct Report {
    outcomes: BTreeMap<String, usize>,
    /// Longest time the server took to close a dangling connection.
    slowest_dangling_close: Duration,
    churn_rounds: usize,
}

impl Report {
    fn count(&mut self, what: String) {
        *self.outcomes.entry(what).or_default() += 1;
    }

    fn get(&self, what: &str) -> usize {
        self.outcomes.get(what).copied().unwrap_or(0)
    }

    fn total(&self, prefix: &str) -> usize {
        self.outcomes
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v)
            .sum()
    }
}

/// One full WebSocket connection attempt while the slot is taken: the server must refuse it
/// with a close frame that says why.
async fn attempt(url: &str) -> String {
    let (mut ws, _) = match tokio::time::timeout(HANG, tokio_tungstenite::connect_async(url)).await
    {
        Ok(Ok(pair)) => pair,
        Ok(Err(e)) => return format!("attempt: connect error: {e}"),
        Err(_) => return "attempt: connect hung".into(),
    };
    match tokio::time::timeout(HANG, ws.next()).await {
        Ok(Some(Ok(Message::Close(Some(frame))))) if frame.reason.contains("another client") => {
            "attempt: refused with the reason".into()
        }
        Ok(other) => format!("attempt: unexpected {other:?}"),
        Err(_) => "attempt: never refused".into(),
    }
}

/// Reads until the server closes the connection; the time that took, or `None` after `limit`.
async fn until_closed(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

/// A dangling connection: TCP open, then nothing or a partial upgrade request, or one byte a
/// second. The server must close it within its handshake timeout (with slack for a busy
/// machine).
async fn dangling(addr: std::net::SocketAddr, kind: usize) -> (String, Option<Duration>) {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return ("dangling: connect failed".into(), None);
    };
    let limit = HANDSHAKE_TIMEOUT + Duration::from_secs(20);
    let closed = match kind % 3 {
        0 => until_closed(&mut stream, limit).await,
        1 => {
            let _ = stream
                .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n")
                .await;
            until_closed(&mut stream, limit).await
        }
        _ => {
            // one byte a second of a header that never ends
            let started = Instant::now();
            let request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
            let mut i = 0;
            loop {
                if started.elapsed() > limit {
                    break None;
                }
                let byte = request.get(i).copied().unwrap_or(b'a');
                i += 1;
                if stream.write_all(&[byte]).await.is_err() {
                    break Some(started.elapsed());
                }
                if until_closed(&mut stream, Duration::from_secs(1))
                    .await
                    .is_some()
                {
                    break Some(started.elapsed());
                }
            }
        }
    };
    let what = match closed {
        Some(_) => "dangling: closed by the server",
        None => "dangling: still open",
    };
    (what.into(), closed)
}

/// An upgrade request with 128 KiB of headers: refused before any upgrade.
async fn huge_upgrade(addr: std::net::SocketAddr) -> String {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return "huge upgrade: connect failed".into();
    };
    let mut request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n".to_vec();
    for i in 0..2048 {
        request.extend_from_slice(format!("X-Pad-{i}: {}\r\n", "a".repeat(56)).as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    let _ = stream.write_all(&request).await;
    match until_closed(&mut stream, HANG).await {
        Some(_) => "huge upgrade: closed by the server".into(),
        None => "huge upgrade: still open".into(),
    }
}

/// An upgraded connection that sends an oversized text frame or binary frames right away.
async fn frames(url: &str, oversized: bool) -> String {
    let kind = if oversized { "oversized" } else { "binary" };
    let Ok(Ok((mut ws, _))) =
        tokio::time::timeout(HANG, tokio_tungstenite::connect_async(url)).await
    else {
        return format!("{kind}: connect failed");
    };
    let sent = if oversized {
        ws.send(Message::text("x".repeat(2 * DEFAULT_MAX_FRAME)))
            .await
    } else {
        let mut sent = Ok(());
        for _ in 0..10 {
            sent = ws.send(Message::binary(vec![0xA5; 64 * 1024])).await;
            if sent.is_err() {
                break;
            }
        }
        sent
    };
    let _ = sent;
    let ended =
        tokio::time::timeout(HANG, async { while let Some(Ok(_)) = ws.next().await {} }).await;
    match ended {
        Ok(()) => format!("{kind}: closed by the server"),
        Err(_) => format!("{kind}: still open"),
    }
}

/// Connects and disconnects in turn until `deadline`: plain TCP, an upgrade dropped without a
/// close frame, an upgrade closed cleanly.
async fn churn(url: &str, addr: std::net::SocketAddr, deadline: Instant, seed: usize) -> usize {
    let mut rounds = 0;
    while Instant::now() < deadline {
        match (rounds + seed) % 3 {
            0 => drop(TcpStream::connect(addr).await),
            1 => {
                if let Ok(Ok((ws, _))) =
                    tokio::time::timeout(HANG, tokio_tungstenite::connect_async(url)).await
                {
                    drop(ws);
                }
            }
            _ => {
                if let Ok(Ok((mut ws, _))) =
                    tokio::time::timeout(HANG, tokio_tungstenite::connect_async(url)).await
                {
                    let _ = ws.close(None).await;
                    let _ = tokio::time::timeout(HANG, async {
                        while let Some(Ok(_)) = ws.next().await {}
                    })
                    .await;
                }
            }
        }
        rounds += 1;
    }
    rounds
}

/// Every abuse at once, on the current runtime; returns what happened.
async fn abuse(url: String, addr: std::net::SocketAddr, secs: u64) -> Report {
    const ATTEMPTS: usize = 1_000;
    const DANGLING: usize = 100;
    const CHURNERS: usize = 4;
    let deadline = Instant::now() + Duration::from_secs(secs);
    let attempts = futures::stream::iter(0..ATTEMPTS)
        .map(|_| attempt(&url))
        .buffer_unordered(25)
        .collect::<Vec<String>>();
    let dangling = futures::future::join_all((0..DANGLING).map(|k| dangling(addr, k)));
    let oddities = futures::future::join_all((0..20).map(|i| {
        let url = url.clone();
        async move {
            match i % 3 {
                0 => huge_upgrade(addr).await,
                1 => frames(&url, true).await,
                _ => frames(&url, false).await,
            }
        }
    }));
    let churners = futures::future::join_all((0..CHURNERS).map(|i| churn(&url, addr, deadline, i)));
    let (attempts, dangling, oddities, churned) =
        tokio::join!(attempts, dangling, oddities, churners);
    let mut report = Report::default();
    for outcome in attempts.into_iter().chain(oddities) {
        report.count(outcome);
    }
    for (outcome, took) in dangling {
        report.count(outcome);
        if let Some(took) = took {
            report.slowest_dangling_close = report.slowest_dangling_close.max(took);
        }
    }
    report.churn_rounds = churned.into_iter().sum();
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abuse_while_a_client_drives_a_toy() {
    let _gate = FD_GATE.write().await;
    let secs = abuse_secs();
    let server = server();
    let hw = server
        .simulator()
        .add_device(SimDeviceSpec::ble("LVS-Hush"));
    let ws = WebsocketServer::start(
        server.clone(),
        "127.0.0.1:0".parse().expect("address"),
        DEFAULT_MAX_FRAME,
    )
    .await
    .expect("listen");
    let addr = ws.local_addr();
    let url = format!("ws://{addr}");

    let client = Client::connect_websocket(&url, "legitimate")
        .await
        .expect("the legitimate client connects");
    let mut events = client.events();
    client.start_scanning().await.expect("scan");
    let device = tokio::time::timeout(HANG, async {
        loop {
            match events.recv().await {
                Some(ClientEvent::DeviceAdded(d)) => return d,
                Some(_) => {}
                None => panic!("events ended before the toy appeared"),
            }
        }
    })
    .await
    .expect("the toy appears");
    client.stop_scanning().await.expect("stop scanning");

    let pause = Duration::from_millis(5);
    let never = AtomicBool::new(false);
    // warm-up, then the idle figures
    drive(&device, 50, &never, pause).await;
    let mut idle = drive(&device, 400, &never, pause).await;
    idle.sort();
    hw.take_writes();

    let fds_before = fd_count();
    let rss_before = rss_kib();
    let stop = Arc::new(AtomicBool::new(false));
    let abusers = {
        let (url, stop) = (url.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("abuse runtime");
            let report = rt.block_on(abuse(url, addr, secs));
            stop.store(true, Ordering::SeqCst);
            report
        })
    };
    // the simulator keeps only its latest operations: count the toy's writes as they come
    let counter = {
        let (hw, stop) = (Arc::clone(&hw), Arc::clone(&stop));
        tokio::spawn(async move {
            let mut writes = 0;
            while !stop.load(Ordering::SeqCst) {
                writes += hw.take_writes().len();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            writes
        })
    };
    let started = Instant::now();
    let mut loaded = drive(&device, 0, &stop, pause).await;
    let abuse_took = started.elapsed();
    let report = tokio::task::spawn_blocking(move || abusers.join())
        .await
        .expect("join")
        .expect("the abusers finish");
    loaded.sort();
    let rss_peak = rss_kib();

    // the legitimate session is intact
    assert!(client.is_connected(), "the legitimate session never drops");
    let mut writes = counter.await.expect("write counter") + hw.take_writes().len();
    assert!(writes > 0, "the toy received the commands sent under abuse");
    // the last command reaches the toy (a write may land just after its reply)
    device.vibrate(1.0).await.expect("and still works");
    let deadline = Instant::now() + HANG;
    loop {
        let batch = hw.take_writes();
        writes += batch.len();
        if batch
            .iter()
            .any(|(_, data)| data.as_slice() == b"Vibrate:20;")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the last command never reached the toy"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    while let Ok(event) = events.try_recv() {
        assert!(
            !matches!(event, ClientEvent::Disconnected),
            "the legitimate session never drops"
        );
    }

    // file descriptors back to the baseline once the server closed every abusive connection
    let mut fds_after = fd_count();
    if let Some(before) = fds_before {
        let deadline = Instant::now() + Duration::from_secs(30);
        while fds_after.is_some_and(|n| n > before + 2) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            fds_after = fd_count();
        }
    }
    let rss_after = rss_kib();

    let figures = |v: &[Duration]| {
        format!(
            "p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {} commands",
            ms(percentile(v, 0.5)),
            ms(percentile(v, 0.99)),
            ms(percentile(v, 1.0)),
            v.len()
        )
    };
    println!(
        "abuse: churn for {secs} s; abuse phase took {:.1} s",
        abuse_took.as_secs_f64()
    );
    println!("abuse: idle latency:         {}", figures(&idle));
    println!("abuse: latency under abuse:  {}", figures(&loaded));
    println!(
        "abuse: p50 ratio {:.2}, p99 ratio {:.2} (target: within 2x)",
        ms(percentile(&loaded, 0.5)) / ms(percentile(&idle, 0.5)).max(1e-9),
        ms(percentile(&loaded, 0.99)) / ms(percentile(&idle, 0.99)).max(1e-9)
    );
    for (what, n) in &report.outcomes {
        println!("abuse: {what}: {n}");
    }
    println!(
        "abuse: churn rounds: {}; slowest dangling close: {:.1} s (handshake timeout {} s)",
        report.churn_rounds,
        report.slowest_dangling_close.as_secs_f64(),
        HANDSHAKE_TIMEOUT.as_secs()
    );
    println!(
        "abuse: {writes} toy writes for {} commands under abuse",
        loaded.len() + 1
    );
    println!("abuse: fds {fds_before:?} -> {fds_after:?}; RSS KiB {rss_before:?} -> peak {rss_peak:?} -> {rss_after:?}");

    assert_eq!(
        report.get("attempt: refused with the reason"),
        1_000,
        "every attempt is refused with the reason: {:?}",
        report.outcomes
    );
    assert_eq!(
        report.get("dangling: closed by the server"),
        100,
        "the server closes every dangling connection: {:?}",
        report.outcomes
    );
    assert_eq!(
        report.total("huge upgrade: closed"),
        7,
        "{:?}",
        report.outcomes
    );
    assert_eq!(
        report.total("oversized: closed"),
        7,
        "{:?}",
        report.outcomes
    );
    assert_eq!(report.total("binary: closed"), 6, "{:?}", report.outcomes);
    assert!(report.churn_rounds > 0);
    if let (Some(before), Some(after)) = (fds_before, fds_after) {
        assert!(
            after <= before + 2,
            "file descriptors return to the baseline: {before} before, {after} after"
        );
    }
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        assert!(
            after.saturating_sub(before) < 256 * 1024,
            "memory stays bounded: {before} -> {after} KiB"
        );
    }

    client.disconnect().await.expect("disconnect");
    ws.shutdown().await;
    server.shutdown().await;
}

/// A connection that completes the WebSocket upgrade while the slot is free, then never
/// handshakes, loses the slot after the handshake timeout: the next client gets in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_handshakes_loses_the_slot() {
    let _gate = FD_GATE.read().await;
    let server = server();
    let ws = WebsocketServer::start(
        server.clone(),
        "127.0.0.1:0".parse().expect("address"),
        DEFAULT_MAX_FRAME,
    )
    .await
    .expect("listen");
    let url = format!("ws://{}", ws.local_addr());
    let (mut silent, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("upgrade");
    let started = Instant::now();
    let closed = tokio::spawn(async move {
        // the server closes the silent connection, saying why
        let mut reason = None;
        while let Ok(Some(Ok(m))) = tokio::time::timeout(HANG, silent.next()).await {
            if let Message::Close(Some(frame)) = m {
                reason = Some(frame.reason.to_string());
            }
        }
        reason
    });
    let client = tokio::time::timeout(HANG, async {
        loop {
            match Client::connect_websocket(&url, "next").await {
                Ok(client) => return client,
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    })
    .await
    .expect("the next client gets the slot");
    println!(
        "silent client: the next client got in after {:.1} s (handshake timeout {} s)",
        started.elapsed().as_secs_f64(),
        HANDSHAKE_TIMEOUT.as_secs()
    );
    let reason = tokio::time::timeout(HANG, closed)
        .await
        .expect("closed")
        .expect("join")
        .expect("a close frame with a reason");
    assert!(reason.contains("handshake"), "{reason}");
    client.ping().await.expect("the new client works");
    client.disconnect().await.expect("disconnect");
    ws.shutdown().await;
    server.shutdown().await;
}
