//! TryFun toys. All frames end with a check byte `0xff − Σ(bytes after the first) + n`
//! (mod 256), where `n` counts bytes as noted per model.
//!
//! * `tryfun`: `aa 02 <fn> <speed>` for oscillation (`07`) and rotation (`08`), `n` = 3; the
//!   Surge's vibration uses its own 9-byte frame.
//! * `tryfun-blackhole`, `tryfun-meta2`: frames start with a packet counter; `n` = frame length.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use async_trait::async_trait;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory, ProtocolHandler};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

/// Appends the check byte, counting `n` as given.
fn with_check(mut data: Vec<u8>, n: u8) -> Vec<u8> {
    let sum = data
        .iter()
        .skip(1)
        .fold(0xffu8, |a, b| a.wrapping_sub(*b))
        .wrapping_add(n);
    data.push(sum);
    data
}

fn tryfun(a: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "tryfun";
    let v = byte(NAME, a.value)?;
    let data = match a.kind {
        OutputType::Oscillate => with_check(vec![0xaa, 0x02, 0x07, v], 3),
        OutputType::Rotate => with_check(vec![0xaa, 0x02, 0x08, v], 3),
        OutputType::Vibrate => {
            let (mode, level, stop) = if v == 0 { (1, 2, 1) } else { (2, v, 0) };
            let check = 0xfdu8
                .checked_sub(v.max(1))
                .ok_or_else(|| DeviceError::protocol(NAME, "level too high"))?;
            vec![0x00, 0x02, 0x00, 0x05, mode, level, 0x01, stop, check]
        }
        _ => return Err(unsupported(NAME, a)),
    };
    Ok(vec![HwCommand::write_with_response(
        Endpoint::Tx,
        data,
        mask(a.feature),
    )])
}

/// Which counter-framed model a [`Counted`] handler drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    BlackHole,
    Meta2,
}

struct Counted {
    name: &'static str,
    model: Model,
    counter: AtomicU8,
}

impl ProtocolHandler for Counted {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        let body: Vec<u8> = match (self.model, a.kind) {
            (Model::BlackHole, OutputType::Oscillate) => {
                vec![0x03, 0x0c, byte(self.name, a.value)?]
            }
            (Model::BlackHole, OutputType::Vibrate) => vec![0x03, 0x09, byte(self.name, a.value)?],
            (Model::Meta2, OutputType::Oscillate) => {
                vec![0x05, 0x21, 0x05, 0x0b, byte(self.name, a.value)?]
            }
            (Model::Meta2, OutputType::Vibrate) => {
                vec![0x05, 0x21, 0x05, 0x08, byte(self.name, a.value)?]
            }
            (Model::Meta2, OutputType::Rotate) => {
                // Clockwise (and stop) is sent as -(speed + 1), counter-clockwise as the speed.
                let speed = if a.value >= 0 {
                    a.value.checked_add(1).map(|s| -s)
                } else {
                    a.value.checked_neg()
                };
                let speed = speed
                    .and_then(|s| i8::try_from(s).ok())
                    .ok_or_else(|| DeviceError::protocol(self.name, "rotation speed too high"))?;
                vec![0x05, 0x21, 0x05, 0x0e, speed.to_le_bytes()[0]]
            }
            _ => return Err(unsupported(self.name, a)),
        };
        let mut data = vec![self.counter.fetch_add(1, Ordering::Relaxed), 0x02, 0x00];
        data.extend(body);
        let n = u8::try_from(data.len()).unwrap_or(u8::MAX);
        Ok(vec![HwCommand::write(
            Endpoint::Tx,
            with_check(data, n),
            mask(a.feature),
        )])
    }
}

struct CountedFactory {
    name: &'static str,
    model: Model,
}

#[async_trait]
impl ProtocolFactory for CountedFactory {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn initialize(
        &self,
        _hardware: &Arc<dyn Hardware>,
        _definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        Ok(Arc::new(Counted {
            name: self.name,
            model: self.model,
            counter: AtomicU8::new(0),
        }))
    }
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![
        PerFeature::new("tryfun", tryfun),
        Arc::new(CountedFactory {
            name: "tryfun-blackhole",
            model: Model::BlackHole,
        }),
        Arc::new(CountedFactory {
            name: "tryfun-meta2",
            model: Model::Meta2,
        }),
    ]
}

#[cfg(test)]
mod tests {
    use crate::device::protocols::vectors_b::check_vectors;

    #[test]
    fn vectors() {
        check_vectors(&[
            "tryfun_blackhole_protocol",
            "tryfun_meta2_protocol",
            "tryfun_protocol",
            "tryfun_surge",
        ]);
    }
}
