//! Log records for hosts: a `tracing` layer, installed once per process, that forwards the
//! library's records to every attached context as `haptix.v1.Event{log}` events.
//!
//! Contexts attach with their own level and detach at shutdown, any number of times. The
//! layer's level hint follows the most verbose attached context, so records nobody wants cost
//! one cached callsite check. Each context's log queue is bounded; records dropped because the
//! host did not drain it are counted and reported on the next record.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::RwLock;
use prost::Message as _;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, Layer};
use tracing_subscriber::prelude::*;

use super::events::EventSink;
use super::proto;

struct Attached {
    context_id: u64,
    level: LevelFilter,
    sink: Arc<EventSink>,
}

struct HostLog {
    attached: RwLock<Vec<Attached>>,
    /// Most verbose attached level, as `level_rank`.
    max: AtomicU8,
}

fn host() -> &'static HostLog {
    static HOST: OnceLock<HostLog> = OnceLock::new();
    HOST.get_or_init(|| HostLog {
        attached: RwLock::new(Vec::new()),
        max: AtomicU8::new(0),
    })
}

fn rank(level: LevelFilter) -> u8 {
    match level.into_level() {
        None => 0,
        Some(Level::ERROR) => 1,
        Some(Level::WARN) => 2,
        Some(Level::INFO) => 3,
        Some(Level::DEBUG) => 4,
        Some(Level::TRACE) => 5,
    }
}

fn filter_of(rank: u8) -> LevelFilter {
    match rank {
        0 => LevelFilter::OFF,
        1 => LevelFilter::ERROR,
        2 => LevelFilter::WARN,
        3 => LevelFilter::INFO,
        4 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// The level a context asked for.
pub(crate) fn level_from_proto(level: i32) -> Result<LevelFilter, super::status::Failure> {
    let l = proto::LogLevel::try_from(level).map_err(|_| {
        super::status::Failure::new(
            super::status::haptix_status::ErrorInvalidArgument,
            format!("{level} is not a valid LogLevel"),
        )
    })?;
    Ok(match l {
        proto::LogLevel::Unspecified | proto::LogLevel::Warn => LevelFilter::WARN,
        proto::LogLevel::Off => LevelFilter::OFF,
        proto::LogLevel::Error => LevelFilter::ERROR,
        proto::LogLevel::Info => LevelFilter::INFO,
        proto::LogLevel::Debug => LevelFilter::DEBUG,
        proto::LogLevel::Trace => LevelFilter::TRACE,
    })
}

fn level_to_proto(level: &Level) -> proto::LogLevel {
    match *level {
        Level::ERROR => proto::LogLevel::Error,
        Level::WARN => proto::LogLevel::Warn,
        Level::INFO => proto::LogLevel::Info,
        Level::DEBUG => proto::LogLevel::Debug,
        Level::TRACE => proto::LogLevel::Trace,
    }
}

fn recompute(attached: &[Attached]) {
    let max = attached.iter().map(|a| rank(a.level)).max().unwrap_or(0);
    if host().max.swap(max, Ordering::SeqCst) != max {
        tracing::callsite::rebuild_interest_cache();
    }
}

/// Installs the forwarding layer (once per process). Returns false when another global
/// subscriber was installed first; records then go to that subscriber instead.
fn install() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        tracing_subscriber::registry()
            .with(HostLayer)
            .try_init()
            .is_ok()
    })
}

/// Sends the library's records at `level` and above to `sink` until [`detach`].
pub(crate) fn attach(context_id: u64, level: LevelFilter, sink: Arc<EventSink>) {
    if level == LevelFilter::OFF {
        return;
    }
    if !install() {
        tracing::warn!("another tracing subscriber is installed; log events are not forwarded");
        return;
    }
    let mut attached = host().attached.write();
    attached.push(Attached {
        context_id,
        level,
        sink,
    });
    recompute(&attached);
}

/// Stops forwarding records to a context.
pub(crate) fn detach(context_id: u64) {
    let mut attached = host().attached.write();
    attached.retain(|a| a.context_id != context_id);
    recompute(&attached);
}

struct HostLayer;

#[derive(Default)]
struct MessageVisitor {
    message: String,
    fields: String,
}

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for HostLayer {
    fn enabled(&self, metadata: &Metadata<'_>, _ctx: LayerContext<'_, S>) -> bool {
        metadata.target().starts_with("haptix")
            && filter_of(host().max.load(Ordering::Relaxed)) >= *metadata.level()
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(filter_of(host().max.load(Ordering::Relaxed)))
    }

    fn on_event(&self, event: &Event<'_>, _ctx: LayerContext<'_, S>) {
        let metadata = event.metadata();
        let attached = host().attached.read();
        if !attached.iter().any(|a| a.level >= *metadata.level()) {
            return;
        }
        let mut visitor = MessageVisitor::default();
        event.record(&mut visitor);
        visitor.message.push_str(&visitor.fields);
        let timestamp_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        for a in attached.iter().filter(|a| a.level >= *metadata.level()) {
            let record = proto::LogRecord {
                level: level_to_proto(metadata.level()) as i32,
                target: metadata.target().to_string(),
                message: visitor.message.clone(),
                timestamp_ms,
                dropped_before: a.sink.take_dropped(),
            };
            let event = proto::Event {
                request_id: 0,
                kind: Some(proto::event::Kind::Log(record)),
            };
            a.sink.push(event.encode_to_vec().into_boxed_slice());
        }
    }
}
