//! A connected device: definition + protocol handler + hardware, the output de-duplication, and
//! the per-device writer task (message-gap throttling with latest-wins coalescing, keep-alive).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::core::legacy::LegacyView;
use crate::core::messages::{DeviceInfo, InputReadingValue, OutputCommand};
use crate::core::types::{InputCommand, InputType, OutputType};
use crate::device::config::DeviceIdentifier;
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, KeepAlive, OutputAction, ProtocolHandler};
use crate::device::protocols::kit::KEEPALIVE_IDLE;
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

/// A hardware operation in progress, owned so it can move between threads.
type Running = Pin<Box<dyn Future<Output = Result<(), DeviceError>> + Send>>;

/// Commands to the writer task.
enum TaskMsg {
    /// One batch of hardware commands (one client message).
    Batch(Vec<HwCommand>),
    /// An inline write that did not complete at once: finish it, then write `rest`.
    Resume {
        running: Running,
        command: HwCommand,
        rest: Vec<HwCommand>,
    },
    /// Answer once everything queued before this has been written.
    Flush(oneshot::Sender<()>),
}

/// The last output sent to a feature: type, device value, duration.
type LastOutput = (OutputType, i32, Option<u32>);

/// How long an input read may take.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one operation of the writer (a write, a subscription) may take before it is given
/// up as failed. Operations complete in milliseconds; one that never completes (a transport
/// that lost the request) would otherwise hold the device's writer, and every later write to
/// the device, the stop included, forever.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Coordination between writes made inline, on the thread that sent the command, and the
/// writer task: at most one of them writes at a time, and inline writes happen only when the
/// task has nothing queued, so the order of writes is the order of commands.
struct WriterShared {
    state: Mutex<WriterState>,
    /// Signalled when an inline write finishes (a permit is kept if the task is not waiting).
    idle: tokio::sync::Notify,
}

struct WriterState {
    /// Batches sent to the task and not yet taken by it.
    queued: usize,
    /// Someone (inline caller or task) is writing.
    writing: bool,
    /// Last write, repeated by keep-alive.
    last_write: Option<HwCommand>,
    /// Last output activity, for keep-alive idleness.
    last_activity: Instant,
}

/// A connected device.
pub struct Device {
    index: u32,
    identifier: DeviceIdentifier,
    definition: DeviceDefinition,
    info: DeviceInfo,
    legacy: LegacyView,
    hardware: Arc<dyn Hardware>,
    handler: Arc<dyn ProtocolHandler>,
    last: Mutex<HashMap<u32, LastOutput>>,
    subscriptions: Mutex<HashSet<(u32, InputType)>>,
    task: mpsc::UnboundedSender<TaskMsg>,
    cancel: CancellationToken,
    writer: Arc<WriterShared>,
    /// Writes may be made inline (the device has no message gap to enforce).
    inline_writes: bool,
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("index", &self.index)
            .field("protocol", &self.identifier.protocol)
            .field("name", &self.info.name)
            .finish()
    }
}

impl Device {
    /// Builds the device and starts its writer task on the current tokio runtime. The task ends
    /// when `cancel` fires or the device is dropped.
    pub fn start(
        index: u32,
        identifier: DeviceIdentifier,
        definition: DeviceDefinition,
        hardware: Arc<dyn Hardware>,
        handler: Arc<dyn ProtocolHandler>,
        cancel: CancellationToken,
    ) -> Arc<Device> {
        let gap = definition
            .effective_gap_ms()
            .map(|ms| Duration::from_millis(u64::from(ms)))
            .or_else(|| hardware.default_gap())
            .filter(|d| !d.is_zero());
        let info = DeviceInfo {
            index,
            name: definition.name.clone(),
            display_name: definition.user.display_name.clone(),
            message_timing_gap: gap
                .map(|d| u32::try_from(d.as_millis()).unwrap_or(u32::MAX))
                .unwrap_or(0),
            features: definition.advertised_features(),
        };
        let legacy = LegacyView::from_features(&info.features);
        let (tx, rx) = mpsc::unbounded_channel();
        let keepalive = handler.keepalive();
        let keepalive = match keepalive {
            KeepAlive::RepeatLastIfRequired | KeepAlive::FixedIfRequired { .. }
                if !hardware.requires_keepalive() =>
            {
                None
            }
            other => Some(other),
        };
        let writer = Arc::new(WriterShared {
            state: Mutex::new(WriterState {
                queued: 0,
                writing: false,
                last_write: None,
                last_activity: Instant::now(),
            }),
            idle: tokio::sync::Notify::new(),
        });
        tokio::spawn(writer_task(
            hardware.clone(),
            handler.clone(),
            rx,
            gap,
            keepalive,
            cancel.clone(),
            Arc::clone(&writer),
        ));
        Arc::new(Device {
            index,
            identifier,
            definition,
            info,
            legacy,
            hardware,
            handler,
            last: Mutex::new(HashMap::new()),
            subscriptions: Mutex::new(HashSet::new()),
            task: tx,
            cancel,
            writer,
            inline_writes: gap.is_none(),
            runtime: tokio::runtime::Handle::current(),
        })
    }

    /// Device index.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The `(address, protocol, identifier)` triple.
    pub fn identifier(&self) -> &DeviceIdentifier {
        &self.identifier
    }

    /// The resolved definition.
    pub fn definition(&self) -> &DeviceDefinition {
        &self.definition
    }

    /// What clients see.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// The legacy (v0–v3) index spaces, built from the client-visible features.
    pub fn legacy(&self) -> &LegacyView {
        &self.legacy
    }

    /// The hardware.
    pub fn hardware(&self) -> &Arc<dyn Hardware> {
        &self.hardware
    }

    /// The protocol handler.
    pub fn handler(&self) -> &Arc<dyn ProtocolHandler> {
        &self.handler
    }

    /// True when the stop strategy requires stopping right after connecting (protocols that
    /// repeat the last packet need a safe packet to repeat).
    pub fn needs_stop_on_connect(&self) -> bool {
        match self.handler.keepalive() {
            KeepAlive::RepeatLastEvery(_) => true,
            KeepAlive::RepeatLastIfRequired => self.hardware.requires_keepalive(),
            _ => false,
        }
    }

    /// Validates a v4 output command and converts it into a device action.
    pub fn check_output(
        &self,
        feature_index: u32,
        command: &OutputCommand,
    ) -> Result<OutputAction, DeviceError> {
        let feature = self
            .definition
            .feature(feature_index)
            .ok_or(DeviceError::NoFeature {
                device: self.index,
                feature: feature_index,
            })?;
        if feature.outputs.is_empty() {
            return Err(DeviceError::NotSupported(format!(
                "feature {feature_index} of device {} has no outputs",
                self.index
            )));
        }
        let output = feature.output(command.kind).ok_or_else(|| {
            DeviceError::NotSupported(format!(
                "feature {feature_index} of device {} has no {} output",
                self.index, command.kind
            ))
        })?;
        if output.disabled {
            return Err(DeviceError::NotSupported(format!(
                "{} output of feature {feature_index} on device {} is disabled by the user",
                command.kind, self.index
            )));
        }
        let value = output.device_value(command.value)?;
        let duration = match (command.kind, command.duration) {
            (OutputType::HwPositionWithDuration, Some(d)) => Some(output.check_duration(d)?),
            (OutputType::HwPositionWithDuration, None) => {
                return Err(DeviceError::OutOfRange(
                    "HwPositionWithDuration needs a Duration".to_string(),
                ))
            }
            _ => None,
        };
        if value < 0 && !command.kind.allows_negative() {
            return Err(DeviceError::OutOfRange(format!(
                "{} does not take negative values",
                command.kind
            )));
        }
        Ok(OutputAction {
            feature: feature_index,
            kind: command.kind,
            value,
            duration,
        })
    }

    /// Sends output actions (already validated) as one batch. Actions equal to the last value
    /// sent to their feature are skipped. Returns once the batch is queued for writing.
    pub fn output(&self, actions: Vec<OutputAction>) -> Result<(), DeviceError> {
        self.output_or_stop(actions, false)
    }

    /// [`Device::output`], encoded as a stop when `stop` is set
    /// ([`crate::device::protocol::ProtocolHandler::stop_outputs`]).
    fn output_or_stop(
        &self,
        mut actions: Vec<OutputAction>,
        stop: bool,
    ) -> Result<(), DeviceError> {
        actions.sort_by_key(|a| a.feature);
        let fresh: Vec<OutputAction> = {
            let last = self.last.lock();
            actions
                .into_iter()
                .filter(|a| last.get(&a.feature) != Some(&(a.kind, a.value, a.duration)))
                .collect()
        };
        if fresh.is_empty() {
            return Ok(());
        }
        let commands = if stop {
            self.handler.stop_outputs(&fresh)?
        } else {
            self.handler.outputs(&fresh)?
        };
        {
            let mut last = self.last.lock();
            for a in &fresh {
                last.insert(a.feature, (a.kind, a.value, a.duration));
            }
        }
        tracing::debug!(device = self.index, actions = fresh.len(), "output");
        self.enqueue(commands)
    }

    fn enqueue(&self, commands: Vec<HwCommand>) -> Result<(), DeviceError> {
        if commands.is_empty() {
            return Ok(());
        }
        {
            let mut st = self.writer.state.lock();
            if self.inline_writes && st.queued == 0 && !st.writing && !self.task.is_closed() {
                st.writing = true;
                drop(st);
                self.write_inline(commands);
                return Ok(());
            }
            st.queued += 1;
        }
        self.task.send(TaskMsg::Batch(commands)).map_err(|_| {
            self.writer.state.lock().queued -= 1;
            DeviceError::Disconnected(format!("device {}", self.index))
        })
    }

    /// Writes on the calling thread while the operations complete at once (simulated devices,
    /// buffered transports); the first one that would wait is handed to the writer task with
    /// the rest. The caller holds the `writing` flag; it is released here or by the task.
    fn write_inline(&self, commands: Vec<HwCommand>) {
        let _runtime = self.runtime.enter();
        let waker = futures::task::noop_waker_ref();
        let mut cx = std::task::Context::from_waker(waker);
        let mut commands = commands.into_iter();
        while let Some(command) = commands.next() {
            let hardware = Arc::clone(&self.hardware);
            let c = command.clone();
            let mut running: Running = Box::pin(async move { execute(&hardware, &c).await });
            match running.as_mut().poll(&mut cx) {
                std::task::Poll::Ready(result) => {
                    if let Err(e) = result {
                        tracing::warn!(device = self.index, error = %e, "device write failed");
                    }
                    if matches!(command, HwCommand::Write { .. }) {
                        self.writer.state.lock().last_write = Some(command);
                    }
                }
                std::task::Poll::Pending => {
                    self.writer.state.lock().queued += 1;
                    let resume = TaskMsg::Resume {
                        running,
                        command,
                        rest: commands.collect(),
                    };
                    if self.task.send(resume).is_err() {
                        let mut st = self.writer.state.lock();
                        st.queued -= 1;
                        st.writing = false;
                    }
                    return;
                }
            }
        }
        {
            let mut st = self.writer.state.lock();
            st.writing = false;
            st.last_activity = Instant::now();
        }
        self.writer.idle.notify_one();
    }

    /// Stops outputs and/or unsubscribes inputs, for one feature or the whole device.
    pub async fn stop(
        &self,
        feature: Option<u32>,
        inputs: bool,
        outputs: bool,
    ) -> Result<(), DeviceError> {
        let selected: Vec<_> = self
            .definition
            .features
            .iter()
            .filter(|f| feature.is_none_or(|i| f.index == i))
            .collect();
        if let Some(i) = feature {
            if selected.is_empty() {
                return Err(DeviceError::NoFeature {
                    device: self.index,
                    feature: i,
                });
            }
        }
        if outputs {
            let actions: Vec<OutputAction> = selected
                .iter()
                .filter_map(|f| {
                    f.stop_output().map(|kind| OutputAction {
                        feature: f.index,
                        kind,
                        value: 0,
                        duration: None,
                    })
                })
                .collect();
            self.output_or_stop(actions, true)?;
        }
        if inputs {
            for f in selected.iter().filter(|f| f.has_subscribable_input()) {
                for input in &f.inputs {
                    if input.commands.contains(&InputCommand::Subscribe) {
                        self.subscriptions.lock().remove(&(f.index, input.kind));
                        self.handler
                            .input(&self.hardware, f, input.kind, InputCommand::Unsubscribe)
                            .await?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs an input command on a feature.
    pub async fn input(
        &self,
        feature_index: u32,
        kind: InputType,
        command: InputCommand,
    ) -> Result<Option<InputReadingValue>, DeviceError> {
        let feature = self
            .definition
            .feature(feature_index)
            .ok_or(DeviceError::NoFeature {
                device: self.index,
                feature: feature_index,
            })?;
        let input = feature.input(kind).ok_or_else(|| {
            DeviceError::NotSupported(format!(
                "feature {feature_index} of device {} has no {kind} input",
                self.index
            ))
        })?;
        let allowed = match command {
            InputCommand::Read => input.commands.contains(&InputCommand::Read),
            InputCommand::Subscribe | InputCommand::Unsubscribe => {
                input.commands.contains(&InputCommand::Subscribe)
            }
        };
        if !allowed {
            return Err(DeviceError::NotSupported(format!(
                "{kind} input of feature {feature_index} on device {} does not support {}",
                self.index,
                command.wire_name()
            )));
        }
        match command {
            InputCommand::Subscribe => {
                if !self.subscriptions.lock().insert((feature_index, kind)) {
                    return Ok(None);
                }
            }
            InputCommand::Unsubscribe => {
                if !self.subscriptions.lock().remove(&(feature_index, kind)) {
                    return Ok(None);
                }
            }
            InputCommand::Read => {}
        }
        let fut = self.handler.input(&self.hardware, feature, kind, command);
        match tokio::time::timeout(READ_TIMEOUT, fut).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                if command == InputCommand::Subscribe {
                    self.subscriptions.lock().remove(&(feature_index, kind));
                }
                Err(e)
            }
            Err(_) => Err(DeviceError::Timeout(format!(
                "{kind} {} on device {}",
                command.wire_name(),
                self.index
            ))),
        }
    }

    /// True when a subscription is active for this feature and input.
    pub fn is_subscribed(&self, feature_index: u32, kind: InputType) -> bool {
        self.subscriptions.lock().contains(&(feature_index, kind))
    }

    /// Waits until every queued write has been performed (bounded by `timeout`).
    pub async fn flush(&self, timeout: Duration) -> bool {
        let (tx, rx) = oneshot::channel();
        if self.task.send(TaskMsg::Flush(tx)).is_err() {
            return false;
        }
        matches!(tokio::time::timeout(timeout, rx).await, Ok(Ok(())))
    }

    /// Stops the writer task and disconnects the hardware.
    pub async fn disconnect(&self) {
        self.cancel.cancel();
        self.hardware.disconnect().await;
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Performs one hardware operation, bounded by [`WRITE_TIMEOUT`].
async fn execute(hardware: &Arc<dyn Hardware>, command: &HwCommand) -> Result<(), DeviceError> {
    let (operation, endpoint) = match command {
        HwCommand::Write { endpoint, .. } => ("write to", endpoint),
        HwCommand::Subscribe { endpoint } => ("subscription to", endpoint),
        HwCommand::Unsubscribe { endpoint } => ("unsubscription from", endpoint),
    };
    let run = async {
        match command {
            HwCommand::Write {
                endpoint,
                data,
                with_response,
                ..
            } => hardware.write(*endpoint, data, *with_response).await,
            HwCommand::Subscribe { endpoint } => hardware.subscribe(*endpoint).await,
            HwCommand::Unsubscribe { endpoint } => hardware.unsubscribe(*endpoint).await,
        }
    };
    tokio::time::timeout(WRITE_TIMEOUT, run)
        .await
        .unwrap_or_else(|_| {
            Err(DeviceError::Timeout(format!(
                "{operation} {endpoint} of {} gave no answer within {} ms",
                hardware.address(),
                WRITE_TIMEOUT.as_millis()
            )))
        })
}

/// Merges a batch into the pending queue: each new write removes pending writes sharing a
/// feature bit; subscribe/unsubscribe replace pending ones on the same endpoint.
fn merge(pending: &mut Vec<HwCommand>, batch: Vec<HwCommand>) {
    let mut incoming: Vec<HwCommand> = Vec::with_capacity(batch.len());
    for c in batch {
        match &c {
            HwCommand::Write { features, .. } => pending.retain(|p| match p {
                HwCommand::Write { features: f, .. } => f & features == 0,
                _ => true,
            }),
            HwCommand::Subscribe { endpoint } | HwCommand::Unsubscribe { endpoint } => pending
                .retain(|p| match p {
                    HwCommand::Subscribe { endpoint: e }
                    | HwCommand::Unsubscribe { endpoint: e } => e != endpoint,
                    HwCommand::Write { .. } => true,
                }),
        }
        incoming.push(c);
    }
    pending.extend(incoming);
}

/// Waits until no inline write is running, then takes the `writing` flag for the task.
/// Returns the last inline write, if one happened since the task last looked.
async fn acquire_writer(shared: &WriterShared) -> Option<HwCommand> {
    loop {
        {
            let mut st = shared.state.lock();
            if !st.writing {
                st.writing = true;
                return st.last_write.take();
            }
        }
        shared.idle.notified().await;
    }
}

/// Gives the `writing` flag back after the task handled one queued batch.
fn release_writer(shared: &WriterShared) {
    {
        let mut st = shared.state.lock();
        st.writing = false;
        st.queued = st.queued.saturating_sub(1);
    }
    shared.idle.notify_one();
}

async fn writer_task(
    hardware: Arc<dyn Hardware>,
    handler: Arc<dyn ProtocolHandler>,
    mut rx: mpsc::UnboundedReceiver<TaskMsg>,
    gap: Option<Duration>,
    keepalive: Option<KeepAlive>,
    cancel: CancellationToken,
    shared: Arc<WriterShared>,
) {
    let mut pending: Vec<HwCommand> = Vec::new();
    let mut waiters: Vec<oneshot::Sender<()>> = Vec::new();
    // earliest time the next write may go out (gap throttling)
    let mut next_slot = Instant::now();
    let mut last_write: Option<HwCommand> = None;
    let mut last_activity = Instant::now();
    let far = Duration::from_secs(3600);
    loop {
        {
            // writes made inline count as activity and as the last write
            let mut st = shared.state.lock();
            if st.last_activity > last_activity {
                last_activity = st.last_activity;
            }
            if let Some(w) = st.last_write.take() {
                last_write = Some(w);
            }
        }
        let flush_at = if pending.is_empty() {
            None
        } else {
            Some(next_slot)
        };
        let keepalive_at = match &keepalive {
            Some(KeepAlive::RepeatLastEvery(d)) | Some(KeepAlive::Periodic(d)) => {
                Some(last_activity + *d)
            }
            Some(KeepAlive::RepeatLastIfRequired) | Some(KeepAlive::FixedIfRequired { .. }) => {
                Some(last_activity + KEEPALIVE_IDLE)
            }
            None => None,
        };
        let wake = match (flush_at, keepalive_at) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => Instant::now() + far,
        };
        tokio::select! {
            _ = cancel.cancelled() => break,
            msg = rx.recv() => {
                match msg {
                    None => break,
                    Some(TaskMsg::Flush(tx)) => {
                        if pending.is_empty() {
                            let _ = tx.send(());
                        } else {
                            waiters.push(tx);
                        }
                    }
                    Some(TaskMsg::Resume { running, command, rest }) => {
                        // the inline writer handed over its `writing` flag with this
                        if let Err(e) = running.await {
                            tracing::warn!(error = %e, "device write failed");
                        }
                        if matches!(command, HwCommand::Write { .. }) {
                            last_write = Some(command);
                        }
                        for c in &rest {
                            if let Err(e) = execute(&hardware, c).await {
                                tracing::warn!(error = %e, "device write failed");
                            }
                            if matches!(c, HwCommand::Write { .. }) {
                                last_write = Some(c.clone());
                            }
                        }
                        last_activity = Instant::now();
                        release_writer(&shared);
                    }
                    Some(TaskMsg::Batch(batch)) => {
                        last_activity = Instant::now();
                        match gap {
                            Some(_) if Instant::now() < next_slot || !pending.is_empty() => {
                                merge(&mut pending, batch);
                                shared.state.lock().queued -= 1;
                            }
                            _ => {
                                if let Some(w) = acquire_writer(&shared).await {
                                    last_write = Some(w);
                                }
                                // Everything queued meanwhile (a slow link, a fast game loop)
                                // goes out as one batch, latest value per feature.
                                let mut batch = batch;
                                loop {
                                    match rx.try_recv() {
                                        Ok(TaskMsg::Batch(more)) => {
                                            merge(&mut batch, more);
                                            shared.state.lock().queued -= 1;
                                        }
                                        Ok(TaskMsg::Flush(tx)) => waiters.push(tx),
                                        Ok(TaskMsg::Resume { running, .. }) => {
                                            // cannot happen while the task holds the writer;
                                            // finish it rather than drop it
                                            let _ = running.await;
                                            shared.state.lock().queued -= 1;
                                        }
                                        Err(_) => break,
                                    }
                                }
                                for c in &batch {
                                    if let Err(e) = execute(&hardware, c).await {
                                        tracing::warn!(error = %e, "device write failed");
                                    }
                                    if matches!(c, HwCommand::Write { .. }) {
                                        last_write = Some(c.clone());
                                    }
                                }
                                release_writer(&shared);
                                if let Some(g) = gap {
                                    next_slot = Instant::now() + g;
                                }
                            }
                        }
                    }
                }
            }
            _ = tokio::time::sleep_until(wake) => {
                let now = Instant::now();
                if !pending.is_empty() && now >= next_slot {
                    for c in std::mem::take(&mut pending) {
                        if let Err(e) = execute(&hardware, &c).await {
                            tracing::warn!(error = %e, "device write failed");
                        }
                        if matches!(c, HwCommand::Write { .. }) {
                            last_write = Some(c);
                        }
                    }
                    if let Some(g) = gap {
                        next_slot = Instant::now() + g;
                    }
                    last_activity = Instant::now();
                    for w in waiters.drain(..) {
                        let _ = w.send(());
                    }
                } else if keepalive_at.is_some_and(|k| now >= k) {
                    last_activity = now;
                    let packets: Vec<HwCommand> = match &keepalive {
                        Some(KeepAlive::Periodic(_)) => handler.periodic(),
                        Some(KeepAlive::FixedIfRequired { endpoint, data }) => {
                            vec![HwCommand::write(*endpoint, data.clone(), 0)]
                        }
                        Some(_) => last_write.iter().cloned().collect(),
                        None => Vec::new(),
                    };
                    for p in &packets {
                        if let Err(e) = execute(&hardware, p).await {
                            tracing::warn!(error = %e, "keep-alive write failed; device task ends");
                            return;
                        }
                    }
                }
            }
        }
        if pending.is_empty() {
            for w in waiters.drain(..) {
                let _ = w.send(());
            }
        }
    }
}
