//! The recording toy, independent of either implementation: it logs every operation a server
//! performs on it (writes with their flag, reads, subscriptions) and answers like the real toy
//! where a protocol's handshake needs answers. Each side wraps it in its own hardware traits.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::cases::Case;

/// One operation on the toy, or one message the client received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// A write.
    Write {
        /// Endpoint (lower case).
        endpoint: String,
        /// Bytes.
        data: Vec<u8>,
        /// Write-with-response flag.
        with_response: bool,
    },
    /// A read.
    Read {
        /// Endpoint.
        endpoint: String,
    },
    /// A subscription.
    Subscribe {
        /// Endpoint.
        endpoint: String,
    },
    /// An unsubscription.
    Unsubscribe {
        /// Endpoint.
        endpoint: String,
    },
    /// A message the client received (reply or event), normalised.
    Client(String),
}

fn bytes(data: &[u8]) -> String {
    let text = data.iter().all(|b| (0x20..0x7f).contains(b)) && !data.is_empty();
    if text {
        format!("{:?}", String::from_utf8_lossy(data))
    } else {
        let hex: Vec<String> = data.iter().map(|b| format!("{b:02x}")).collect();
        format!("[{}]", hex.join(" "))
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Write {
                endpoint,
                data,
                with_response,
            } => write!(
                f,
                "write{} {endpoint} {}",
                if *with_response { "+resp" } else { "" },
                bytes(data)
            ),
            Op::Read { endpoint } => write!(f, "read {endpoint}"),
            Op::Subscribe { endpoint } => write!(f, "subscribe {endpoint}"),
            Op::Unsubscribe { endpoint } => write!(f, "unsubscribe {endpoint}"),
            Op::Client(m) => write!(f, "client got {m}"),
        }
    }
}

/// Delivers a notification through the owning side's event channel.
pub type Deliver = Box<dyn Fn(&str, Vec<u8>) + Send + Sync>;

/// The toy's state, shared by the side's hardware object and the runner.
pub struct Toy {
    protocol: String,
    identifier: Option<String>,
    ops: Mutex<Vec<Op>>,
    client: Mutex<Vec<Op>>,
    subscribed: Mutex<BTreeSet<String>>,
    deliver: Mutex<Option<Deliver>>,
}

impl Toy {
    /// A toy for one case.
    pub fn new(case: &Case) -> Arc<Toy> {
        Arc::new(Toy {
            protocol: case.protocol.clone(),
            identifier: case.identifier.clone(),
            ops: Mutex::new(Vec::new()),
            client: Mutex::new(Vec::new()),
            subscribed: Mutex::new(BTreeSet::new()),
            deliver: Mutex::new(None),
        })
    }

    /// Sets how notifications reach the server.
    pub fn set_deliver(&self, deliver: Deliver) {
        *self.deliver.lock().unwrap() = Some(deliver);
    }

    /// Records a message the client received. They are kept apart from the toy's operations:
    /// a reply and the write it caused may arrive in either order.
    pub fn client(&self, message: String) {
        self.client.lock().unwrap().push(Op::Client(message));
    }

    /// The protocol of the definition the toy presents.
    pub fn protocol(&self) -> &str {
        &self.protocol
    }

    /// How many toy operations were recorded so far.
    pub fn len(&self) -> usize {
        self.ops.lock().unwrap().len()
    }

    /// Every recorded toy operation.
    pub fn ops(&self) -> Vec<Op> {
        self.ops.lock().unwrap().clone()
    }

    /// Every message the client received.
    pub fn client_messages(&self) -> Vec<Op> {
        self.client.lock().unwrap().clone()
    }

    fn notify(&self, endpoint: &str, data: Vec<u8>) {
        if !self.subscribed.lock().unwrap().contains(endpoint) {
            return;
        }
        if let Some(d) = self.deliver.lock().unwrap().as_ref() {
            d(endpoint, data);
        }
    }

    /// Delivers `data` on every subscribed endpoint (injected notifications).
    pub fn notify_subscribed(&self, data: &[u8]) {
        let eps: Vec<String> = self.subscribed.lock().unwrap().iter().cloned().collect();
        for ep in eps {
            self.notify(&ep, data.to_vec());
        }
    }

    /// A write from the server: recorded, then answered where the real toy answers.
    pub fn write(&self, endpoint: &str, data: &[u8], with_response: bool) {
        self.ops.lock().unwrap().push(Op::Write {
            endpoint: endpoint.to_string(),
            data: data.to_vec(),
            with_response,
        });
        for (ep, reply) in self.answers(endpoint, data) {
            self.notify(&ep, reply);
        }
    }

    /// A read from the server: recorded; the toy answers with the bytes below.
    pub fn read(&self, endpoint: &str) -> Vec<u8> {
        self.ops.lock().unwrap().push(Op::Read {
            endpoint: endpoint.to_string(),
        });
        match endpoint {
            // the standard battery level characteristic: one byte, percent
            "rxblebattery" => vec![85],
            // a Satisfyer's model number
            "rxblemodel" if self.protocol == "satisfyer" => self
                .identifier
                .as_deref()
                .and_then(crate::cases::satisfyer_model)
                .map_or_else(|| vec![0, 0, 0, 0], |m| m.to_vec()),
            _ => vec![85, 1, 2, 3, 4, 5, 6, 7],
        }
    }

    /// A subscription.
    pub fn subscribe(&self, endpoint: &str) {
        self.subscribed.lock().unwrap().insert(endpoint.to_string());
        self.ops.lock().unwrap().push(Op::Subscribe {
            endpoint: endpoint.to_string(),
        });
        // a Yiciyuan cup pushes its battery frame (`35 13 01 percent`) about once a second on
        // the battery characteristic; the first push follows the subscription
        if self.protocol == "yiciyuan" && endpoint == "rxblebattery" {
            self.notify(endpoint, vec![0x35, 0x13, 0x01, 85]);
        }
    }

    /// An unsubscription.
    pub fn unsubscribe(&self, endpoint: &str) {
        self.subscribed.lock().unwrap().remove(endpoint);
        self.ops.lock().unwrap().push(Op::Unsubscribe {
            endpoint: endpoint.to_string(),
        });
    }

    /// The real toy's answers to a write (as the protocol's documentation describes them).
    fn answers(&self, endpoint: &str, data: &[u8]) -> Vec<(String, Vec<u8>)> {
        match self.protocol.as_str() {
            "lovense" if endpoint == "tx" => {
                let ident = self.identifier.as_deref().unwrap_or("Z");
                match data {
                    b"DeviceType;" => vec![(
                        "rx".into(),
                        format!("{ident}:11:0082059AD3BD;").into_bytes(),
                    )],
                    b"Battery;" => vec![("rx".into(), b"85;".to_vec())],
                    _ => Vec::new(),
                }
            }
            // the battery request (an encrypted frame written with response) is answered on
            // the battery characteristic, first byte the percentage
            "galaku"
                if endpoint == "tx" && self.subscribed.lock().unwrap().contains("rxblebattery") =>
            {
                vec![("rxblebattery".into(), vec![85])]
            }
            _ => Vec::new(),
        }
    }
}
