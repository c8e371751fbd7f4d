//! The Lovense Connect service: Lovense toys paired with the Lovense Connect app (phone or PC),
//! driven through the app's local HTTP API on the same network instead of Bluetooth.
//!
//! # The app's API
//!
//! * `GET {app}/GetToys` answers `{"type":"OK","code":200,"data":{ID:TOY,...}}`, each `TOY`
//!   being `{"id":ID,"name":"nora","nickName":"","status":1,"version":"","battery":80}` (`status`
//!   1, `"1"` or `true` when the toy is connected to the app; `battery` may be null);
//! * a toy command is `GET {app}/{command}`, the command being what the
//!   `lovense-connect-service` protocol writes, e.g. `Vibrate?v=10&t=ID`; the app answers 200.
//!
//! # The manager
//!
//! The app's address (`host:port`, or a `http://` URL) is given by the user, as the app shows it
//! in its connection information; the reference's remote look-up of local apps over the internet
//! is not done. While scanning, every address is asked for its toys once a second; each
//! connected toy not yet offered is offered once, under its model name as the device database
//! spells it (`Nora` for the app's `nora`), addressed by its id.
//! Without an address, or while an app does not answer, scanning logs "Lovense Connect
//! unavailable" with the reason (once per address and scan) and the other buses keep working.
//!
//! A connected toy has endpoints `tx` (each write is one command request; a failed request, or
//! an answer other than 200, fails the write) and `rx` (a read gives one byte: the battery level
//! the app last reported). A task asks the app for the toy list once a second while the toy is
//! connected; when the toy is gone from the list, no longer connected, or the app does not
//! answer, the device ends with a `Disconnected` event.
//!
//! The HTTP client is a small HTTP/1.0 client over tokio (the app speaks plain HTTP on the local
//! network; no TLS is needed), with `httparse` reading the answers.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::{CommEvent, CommEventSender, CommManager, Hardware, HardwareConnector, HardwareEvent};
use crate::core::types::Endpoint;
use crate::error::DeviceError;
use crate::hwmgr::specifier::CommSpecifier;

/// How often the apps are asked for their toys while scanning, and each connected toy's app
/// while it is connected.
const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How long one HTTP request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest answer read.
const MAX_ANSWER: usize = 1024 * 1024;

/// A toy as the app lists it (its name as [`model_name`] spells it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectToy {
    /// The toy's id (its Bluetooth address, as the app gives it).
    pub id: String,
    /// The toy's model name (`nora`, `lush`, ...).
    pub name: String,
    /// True while the toy is connected to the app.
    pub connected: bool,
    /// Battery level 0–100 (0 when the app gives none).
    pub battery: u8,
}

/// A `true`-ish JSON value: `true`, a non-zero number, or a string of one.
fn truthy(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        serde_json::Value::String(s) => {
            let s = s.trim();
            s.eq_ignore_ascii_case("true") || s.parse::<f64>().is_ok_and(|x| x != 0.0)
        }
        _ => false,
    }
}

/// A battery level from a number, a numeric string or null.
fn battery(v: Option<&serde_json::Value>) -> u8 {
    let level = match v {
        Some(serde_json::Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(serde_json::Value::String(s)) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    };
    // clamped to 0..=100, so the cast keeps the value
    level.clamp(0.0, 100.0) as u8
}

/// The model name as the device database spells its identifiers: the app gives lower-case
/// names (`nora`), the database `Nora`, `XMachine`, `ToyS`.
pub fn model_name(app_name: &str) -> String {
    let lower = app_name.trim().to_ascii_lowercase();
    match lower.as_str() {
        "xmachine" => "XMachine".to_string(),
        "toys" => "ToyS".to_string(),
        _ => {
            let mut chars = lower.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        }
    }
}

/// Parses a `GetToys` answer. Fails on anything but a JSON object whose `data` (absent: no toys)
/// maps ids to toy objects.
pub fn parse_toys(body: &[u8]) -> Result<Vec<ConnectToy>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the toy list is not JSON: {e}"))?;
    let obj = v
        .as_object()
        .ok_or_else(|| "the toy list is not a JSON object".to_string())?;
    let data = match obj.get("data") {
        None | Some(serde_json::Value::Null) => return Ok(Vec::new()),
        Some(serde_json::Value::Object(m)) => m,
        Some(_) => return Err("the toy list's data is not an object".into()),
    };
    let mut toys = Vec::new();
    for (key, toy) in data {
        let t = toy
            .as_object()
            .ok_or_else(|| format!("toy {key} is not an object"))?;
        let id = t
            .get("id")
            .and_then(|v| v.as_str())
            .unwrap_or(key)
            .to_string();
        let name = t
            .get("name")
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("toy {id} has no name"))?
            .to_string();
        toys.push(ConnectToy {
            id,
            name: model_name(&name),
            connected: t.get("status").is_some_and(truthy),
            battery: battery(t.get("battery")),
        });
    }
    Ok(toys)
}

/// An app's address: host and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppAddress {
    host: String,
    port: u16,
}

impl AppAddress {
    /// Parses `host:port`, `http://host:port` or `http://host:port/` (IPv6 hosts in brackets).
    pub fn parse(text: &str) -> Result<AppAddress, String> {
        let t = text.trim();
        let t = t.strip_prefix("http://").unwrap_or(t);
        let t = t.strip_suffix('/').unwrap_or(t);
        if t.contains('/') || t.starts_with("https:") {
            return Err(format!(
                "{text:?} is not a Lovense Connect address (host:port or http://host:port)"
            ));
        }
        let (host, port) = t
            .rsplit_once(':')
            .ok_or_else(|| format!("{text:?} has no port (host:port)"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| format!("{text:?}: {port:?} is not a port number"))?;
        if host.is_empty() || port == 0 {
            return Err(format!("{text:?} is not a Lovense Connect address"));
        }
        Ok(AppAddress {
            host: host.to_string(),
            port,
        })
    }

    /// `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }

    /// Sends `GET /{path}` and returns the status code and body. `path` must be printable ASCII.
    pub async fn get(&self, path: &str) -> Result<(u16, Vec<u8>), String> {
        if path.bytes().any(|b| !(0x21..0x7f).contains(&b)) {
            return Err(format!("{path:?} is not a valid request path"));
        }
        tokio::time::timeout(REQUEST_TIMEOUT, self.exchange(path))
            .await
            .map_err(|_| {
                format!(
                    "{} did not answer within {} s",
                    self.url(),
                    REQUEST_TIMEOUT.as_secs()
                )
            })?
    }

    async fn exchange(&self, path: &str) -> Result<(u16, Vec<u8>), String> {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        let mut stream = tokio::net::TcpStream::connect((host, self.port))
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.url()))?;
        let request = format!(
            "GET /{path} HTTP/1.0\r\nHost: {}:{}\r\nAccept: application/json\r\n\r\n",
            self.host, self.port
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("request to {}: {e}", self.url()))?;
        let mut answer = Vec::new();
        (&mut stream)
            .take(u64::try_from(MAX_ANSWER).unwrap_or(u64::MAX) + 1)
            .read_to_end(&mut answer)
            .await
            .map_err(|e| format!("answer from {}: {e}", self.url()))?;
        if answer.len() > MAX_ANSWER {
            return Err(format!("the answer from {} is too large", self.url()));
        }
        parse_answer(&answer).map_err(|e| format!("answer from {}: {e}", self.url()))
    }
}

/// Parses a whole HTTP answer: status code and body (a chunked body is decoded).
pub fn parse_answer(answer: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let head = match response.parse(answer) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Err("the answer ended early".into()),
        Err(e) => return Err(format!("not an HTTP answer ({e})")),
    };
    let code = response.code.unwrap_or(0);
    let chunked = response.headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("transfer-encoding")
            && String::from_utf8_lossy(h.value)
                .to_ascii_lowercase()
                .contains("chunked")
    });
    let length = response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| {
            std::str::from_utf8(h.value)
                .ok()?
                .trim()
                .parse::<usize>()
                .ok()
        });
    let mut body = answer.get(head..).unwrap_or_default().to_vec();
    if chunked {
        body = dechunk(&body)?;
    } else if let Some(n) = length {
        if body.len() < n {
            return Err("the answer ended early".into());
        }
        body.truncate(n);
    }
    Ok((code, body))
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunk size line is cut")?;
        let line = String::from_utf8_lossy(data.get(..end).unwrap_or_default()).to_string();
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size {line:?}"))?;
        data = data.get(end + 2..).unwrap_or_default();
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(data.get(..size).ok_or("a chunk is cut")?);
        data = data.get(size + 2..).unwrap_or_default();
    }
}

/// Asks the app at `app` for its toys.
pub async fn get_toys(app: &AppAddress) -> Result<Vec<ConnectToy>, String> {
    let (code, body) = app.get("GetToys").await?;
    if code != 200 {
        return Err(format!("{} answered GetToys with status {code}", app.url()));
    }
    parse_toys(&body)
}

/// Toys currently connected, by (app, id).
type InUse = Arc<Mutex<HashSet<(AppAddress, String)>>>;

/// The Lovense Connect comm manager.
pub struct LovenseConnectCommManager {
    apps: Vec<AppAddress>,
    events: CommEventSender,
    in_use: InUse,
    scanning: Arc<Mutex<Option<CancellationToken>>>,
}

impl std::fmt::Debug for LovenseConnectCommManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LovenseConnectCommManager")
            .field("apps", &self.apps)
            .finish()
    }
}

impl LovenseConnectCommManager {
    /// Creates the manager for the apps at `addresses` (`host:port` or `http://host:port`);
    /// found toys go to `events`. An empty list is allowed (scanning then reports the service
    /// unavailable); a malformed address is an error.
    pub fn new(
        addresses: &[String],
        events: CommEventSender,
    ) -> Result<LovenseConnectCommManager, String> {
        let apps = addresses
            .iter()
            .map(|a| AppAddress::parse(a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LovenseConnectCommManager {
            apps,
            events,
            in_use: Arc::new(Mutex::new(HashSet::new())),
            scanning: Arc::new(Mutex::new(None)),
        })
    }
}

#[async_trait]
impl CommManager for LovenseConnectCommManager {
    fn name(&self) -> &'static str {
        "lovense-connect"
    }

    async fn start_scanning(&self) -> Result<(), DeviceError> {
        if self.apps.is_empty() {
            tracing::warn!(
                reason = "no app address was given",
                "Lovense Connect unavailable; scanning the other buses only"
            );
            let _ = self.events.send(CommEvent::ScanningFinished {
                manager: "lovense-connect",
            });
            return Ok(());
        }
        let token = CancellationToken::new();
        if let Some(old) = self.scanning.lock().replace(token.clone()) {
            old.cancel();
        }
        let (apps, events, in_use) = (
            self.apps.clone(),
            self.events.clone(),
            Arc::clone(&self.in_use),
        );
        tokio::spawn(async move {
            let mut offered: HashSet<(AppAddress, String)> = HashSet::new();
            let mut warned: HashSet<AppAddress> = HashSet::new();
            loop {
                for app in &apps {
                    let toys = tokio::select! {
                        _ = token.cancelled() => return,
                        t = get_toys(app) => t,
                    };
                    let toys = match toys {
                        Ok(t) => {
                            warned.remove(app);
                            t
                        }
                        Err(reason) => {
                            if warned.insert(app.clone()) {
                                tracing::warn!(
                                    %reason,
                                    "Lovense Connect unavailable; still trying while scanning"
                                );
                            }
                            continue;
                        }
                    };
                    let present: HashSet<String> = toys
                        .iter()
                        .filter(|t| t.connected)
                        .map(|t| t.id.clone())
                        .collect();
                    offered.retain(|(a, id)| a != app || present.contains(id));
                    for toy in toys.into_iter().filter(|t| t.connected) {
                        let key = (app.clone(), toy.id.clone());
                        if in_use.lock().contains(&key) || !offered.insert(key) {
                            continue;
                        }
                        tracing::debug!(toy = %toy.id, name = %toy.name, "Lovense Connect toy found");
                        let _ = events.send(CommEvent::DeviceFound(Box::new(ConnectConnector {
                            specifier: CommSpecifier::LovenseConnectService,
                            app: app.clone(),
                            toy,
                            in_use: Arc::clone(&in_use),
                        })));
                    }
                }
                tokio::select! {
                    _ = token.cancelled() => break,
                    _ = tokio::time::sleep(POLL_INTERVAL) => {}
                }
            }
        });
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), DeviceError> {
        if let Some(token) = self.scanning.lock().take() {
            token.cancel();
        }
        Ok(())
    }

    fn is_scanning(&self) -> bool {
        self.scanning.lock().is_some()
    }

    async fn shutdown(&self) {
        let _ = self.stop_scanning().await;
    }
}

/// A toy the app lists, not yet connected.
struct ConnectConnector {
    specifier: CommSpecifier,
    app: AppAddress,
    toy: ConnectToy,
    in_use: InUse,
}

#[async_trait]
impl HardwareConnector for ConnectConnector {
    fn specifier(&self) -> &CommSpecifier {
        &self.specifier
    }

    fn address(&self) -> &str {
        &self.toy.id
    }

    fn name(&self) -> &str {
        &self.toy.name
    }

    async fn connect(
        &mut self,
        _candidate: &[CommSpecifier],
    ) -> Result<Arc<dyn Hardware>, DeviceError> {
        let key = (self.app.clone(), self.toy.id.clone());
        if !self.in_use.lock().insert(key.clone()) {
            return Err(DeviceError::Hardware(format!(
                "Lovense Connect toy {} is already connected",
                self.toy.id
            )));
        }
        let (events, _) = broadcast::channel(16);
        let shared = Arc::new(ToyShared {
            app: self.app.clone(),
            toy: self.toy.clone(),
            battery: AtomicU8::new(self.toy.battery),
            closed: AtomicBool::new(false),
            stop: CancellationToken::new(),
            events,
            in_use: self.in_use.clone(),
            key,
        });
        let watching = Arc::clone(&shared);
        tokio::spawn(async move { watching.watch().await });
        Ok(Arc::new(ConnectHardware { shared }))
    }
}

/// State of a connected toy, shared with its watch task.
struct ToyShared {
    app: AppAddress,
    toy: ConnectToy,
    battery: AtomicU8,
    closed: AtomicBool,
    stop: CancellationToken,
    events: broadcast::Sender<HardwareEvent>,
    in_use: InUse,
    key: (AppAddress, String),
}

impl ToyShared {
    /// Polls the app until the toy goes away or the device is disconnected.
    async fn watch(self: Arc<Self>) {
        loop {
            tokio::select! {
                _ = self.stop.cancelled() => return,
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
            }
            let listed = tokio::select! {
                _ = self.stop.cancelled() => return,
                t = get_toys(&self.app) => t,
            };
            let gone = match listed {
                Ok(toys) => match toys.iter().find(|t| t.id == self.toy.id) {
                    Some(t) if t.connected => {
                        self.battery.store(t.battery, Ordering::SeqCst);
                        None
                    }
                    Some(_) => Some("the app reports it disconnected".to_string()),
                    None => Some("the app no longer lists it".to_string()),
                },
                Err(e) => Some(e),
            };
            if let Some(reason) = gone {
                tracing::info!(toy = %self.toy.id, %reason, "Lovense Connect toy gone");
                self.close();
                return;
            }
        }
    }

    fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        self.stop.cancel();
        self.in_use.lock().remove(&self.key);
        let _ = self.events.send(HardwareEvent::Disconnected);
    }

    fn check(&self) -> Result<(), DeviceError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(DeviceError::Disconnected(format!(
                "Lovense Connect toy {}",
                self.toy.id
            )));
        }
        Ok(())
    }
}

/// A connected Lovense Connect toy.
struct ConnectHardware {
    shared: Arc<ToyShared>,
}

#[async_trait]
impl Hardware for ConnectHardware {
    fn name(&self) -> &str {
        &self.shared.toy.name
    }

    fn address(&self) -> &str {
        &self.shared.toy.id
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        vec![Endpoint::Tx, Endpoint::Rx]
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        _with_response: bool,
    ) -> Result<(), DeviceError> {
        self.shared.check()?;
        if endpoint != Endpoint::Tx {
            return Err(DeviceError::Hardware(format!(
                "a Lovense Connect toy has no {endpoint} endpoint to write (use tx)"
            )));
        }
        let path = std::str::from_utf8(data)
            .map_err(|_| DeviceError::Hardware("a Lovense Connect command is ASCII text".into()))?;
        let (code, _) = self
            .shared
            .app
            .get(path)
            .await
            .map_err(DeviceError::Hardware)?;
        if code != 200 {
            return Err(DeviceError::Hardware(format!(
                "{} answered {path:?} with status {code}",
                self.shared.app.url()
            )));
        }
        Ok(())
    }

    async fn read(
        &self,
        endpoint: Endpoint,
        _length: u32,
        _timeout: Duration,
    ) -> Result<Vec<u8>, DeviceError> {
        self.shared.check()?;
        if endpoint != Endpoint::Rx {
            return Err(DeviceError::Hardware(format!(
                "a Lovense Connect toy has no {endpoint} endpoint to read (use rx)"
            )));
        }
        Ok(vec![self.shared.battery.load(Ordering::SeqCst)])
    }

    async fn subscribe(&self, _endpoint: Endpoint) -> Result<(), DeviceError> {
        Err(DeviceError::NotSupported(
            "Lovense Connect toys send no notifications".into(),
        ))
    }

    async fn unsubscribe(&self, _endpoint: Endpoint) -> Result<(), DeviceError> {
        Err(DeviceError::NotSupported(
            "Lovense Connect toys send no notifications".into(),
        ))
    }

    fn events(&self) -> broadcast::Receiver<HardwareEvent> {
        self.shared.events.subscribe()
    }

    async fn disconnect(&self) {
        self.shared.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toy_lists_parse_leniently_and_reject_garbage() {
        let toys = parse_toys(
            br#"{"type":"OK","code":200,"data":{
                "a1":{"id":"a1","name":"nora","nickName":"","status":"1","version":"","battery":null},
                "b2":{"id":"b2","name":"lush","status":0,"battery":"77"}}}"#,
        )
        .unwrap();
        assert_eq!(toys.len(), 2);
        assert!(toys[0].connected && toys[0].battery == 0);
        assert!(!toys[1].connected && toys[1].battery == 77);
        assert!(parse_toys(br#"{"code":200}"#).unwrap().is_empty());
        assert!(parse_toys(b"<html>").is_err());
        assert!(parse_toys(br#"{"data":[1]}"#).is_err());
        assert!(parse_toys(br#"{"data":{"x":{"id":"x"}}}"#).is_err());
    }

    #[test]
    fn addresses_and_answers() {
        let a = AppAddress::parse("http://127.0.0.1:34567/").unwrap();
        assert_eq!(a.url(), "http://127.0.0.1:34567");
        assert!(AppAddress::parse("127.0.0.1").is_err());
        assert!(AppAddress::parse("https://x:1").is_err());
        assert!(AppAddress::parse("x:99999").is_err());
        let (code, body) =
            parse_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA").unwrap();
        assert_eq!((code, body.as_slice()), (200, &b"ok"[..]));
        let (_, body) = parse_answer(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(body, b"abcde");
        assert!(parse_answer(b"garbage\r\n\r\n").is_err());
        assert!(parse_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort").is_err());
    }
}
