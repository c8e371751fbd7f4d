//! A toy that records what it is sent, offered to a server as if a bus had found it: lets a
//! test see the bytes a protocol produces for a bus whose hardware is not here.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use haptix::core::types::Endpoint;
use haptix::device::config::CommSpecifier;
use haptix::error::DeviceError;
use haptix::hwmgr::{CommEvent, CommEventSender, Hardware, HardwareConnector, HardwareEvent};
use tokio::sync::broadcast;

/// Writes a recorder received, in order.
pub type Writes = Arc<Mutex<Vec<(Endpoint, Vec<u8>)>>>;

/// Offers a recording toy with `specifier`, `name` and `endpoints` on `events`; returns where
/// its writes go.
#[allow(dead_code)] // not every test file that includes this module offers one
pub fn offer(
    events: &CommEventSender,
    specifier: CommSpecifier,
    name: &str,
    endpoints: &[Endpoint],
) -> Writes {
    let writes: Writes = Arc::new(Mutex::new(Vec::new()));
    let (tx, _) = broadcast::channel(16);
    let toy = Arc::new(Recorder {
        name: name.to_string(),
        endpoints: endpoints.to_vec(),
        writes: Arc::clone(&writes),
        events: tx,
    });
    events
        .send(CommEvent::DeviceFound(Box::new(Connector {
            specifier,
            toy,
            characteristics: None,
        })))
        .unwrap();
    writes
}

/// Like [`offer`] for a Bluetooth LE toy that has only the GATT characteristics `uuids`: as a
/// real device, it refuses to connect for a candidate protocol none of whose characteristics
/// it has.
#[allow(dead_code)] // not every test file that includes this module offers one
pub fn offer_with_characteristics(
    events: &CommEventSender,
    specifier: CommSpecifier,
    name: &str,
    endpoints: &[Endpoint],
    uuids: &[&str],
) -> Writes {
    let writes: Writes = Arc::new(Mutex::new(Vec::new()));
    let (tx, _) = broadcast::channel(16);
    let toy = Arc::new(Recorder {
        name: name.to_string(),
        endpoints: endpoints.to_vec(),
        writes: Arc::clone(&writes),
        events: tx,
    });
    events
        .send(CommEvent::DeviceFound(Box::new(Connector {
            specifier,
            toy,
            characteristics: Some(uuids.iter().map(|u| u.to_lowercase()).collect()),
        })))
        .unwrap();
    writes
}

/// Waits up to 5 s for at least one write and takes them all.
pub async fn take(writes: &Writes) -> Vec<(Endpoint, Vec<u8>)> {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let got: Vec<_> = writes.lock().unwrap().drain(..).collect();
        if !got.is_empty() || std::time::Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

struct Connector {
    specifier: CommSpecifier,
    toy: Arc<Recorder>,
    /// The characteristics a Bluetooth LE toy has (`None`: whatever the candidate wants).
    characteristics: Option<Vec<String>>,
}

#[async_trait]
impl HardwareConnector for Connector {
    fn specifier(&self) -> &CommSpecifier {
        &self.specifier
    }

    fn address(&self) -> &str {
        "recorder-1"
    }

    fn name(&self) -> &str {
        &self.toy.name
    }

    async fn connect(
        &mut self,
        candidate: &[CommSpecifier],
    ) -> Result<Arc<dyn Hardware>, DeviceError> {
        if let Some(have) = &self.characteristics {
            let fits = candidate.iter().any(|s| match s {
                CommSpecifier::Btle(b) => b
                    .services
                    .iter()
                    .flat_map(|s| s.characteristics.iter())
                    .any(|(_, uuid)| have.contains(&uuid.to_lowercase())),
                _ => false,
            });
            if !fits {
                return Err(DeviceError::Hardware(
                    "the toy has none of the candidate's characteristics".into(),
                ));
            }
        }
        Ok(self.toy.clone())
    }
}

struct Recorder {
    name: String,
    endpoints: Vec<Endpoint>,
    writes: Writes,
    events: broadcast::Sender<HardwareEvent>,
}

#[async_trait]
impl Hardware for Recorder {
    fn name(&self) -> &str {
        &self.name
    }

    fn address(&self) -> &str {
        "recorder-1"
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        self.endpoints.clone()
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        _with_response: bool,
    ) -> Result<(), DeviceError> {
        self.writes.lock().unwrap().push((endpoint, data.to_vec()));
        Ok(())
    }

    async fn read(
        &self,
        _endpoint: Endpoint,
        _length: u32,
        _timeout: Duration,
    ) -> Result<Vec<u8>, DeviceError> {
        Err(DeviceError::NotSupported(
            "the recorder has nothing to read".into(),
        ))
    }

    async fn subscribe(&self, _endpoint: Endpoint) -> Result<(), DeviceError> {
        Ok(())
    }

    async fn unsubscribe(&self, _endpoint: Endpoint) -> Result<(), DeviceError> {
        Ok(())
    }

    fn events(&self) -> broadcast::Receiver<HardwareEvent> {
        self.events.subscribe()
    }

    async fn disconnect(&self) {
        let _ = self.events.send(HardwareEvent::Disconnected);
    }
}
