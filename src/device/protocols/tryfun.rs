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
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    /// The bytes of the reference's `tryfun_blackhole_protocol` case (TryFun Black Hole Plus).
    #[tokio::test]
    async fn tryfun_blackhole() {
        let d = def_with(
            &[],
            &[
                (0, &[(Oscillate, 0, 100)], false),
                (1, &[(Vibrate, 0, 100)], false),
            ],
        );
        let (sim, hw) = connect(spec("TF-BHPLUS", &[Endpoint::Tx])).await;
        let h = named(factories(), "tryfun-blackhole")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Oscillate, 100)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x00, 0x02, 0x00, 0x03, 0x0c, 0x64, 0x90],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(1, Vibrate, 100)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x01, 0x02, 0x00, 0x03, 0x09, 0x64, 0x93],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Oscillate, 50), act(1, Vibrate, 50)])
                    .unwrap()
            ),
            [
                (
                    Endpoint::Tx,
                    vec![0x02, 0x02, 0x00, 0x03, 0x0c, 0x32, 0xc2],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0x03, 0x02, 0x00, 0x03, 0x09, 0x32, 0xc5],
                    false
                )
            ]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[act(0, Oscillate, 0), act(1, Vibrate, 0)])
                    .unwrap()
            ),
            [
                (
                    Endpoint::Tx,
                    vec![0x04, 0x02, 0x00, 0x03, 0x0c, 0x00, 0xf4],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0x05, 0x02, 0x00, 0x03, 0x09, 0x00, 0xf7],
                    false
                )
            ]
        );
    }

    /// The bytes of the reference's `tryfun_meta2_protocol` case (TryFun Meta 2).
    #[tokio::test]
    async fn tryfun_meta2() {
        let d = def_with(
            &[],
            &[
                (0, &[(Oscillate, 0, 100)], false),
                (1, &[(Vibrate, 0, 100)], false),
                (2, &[(Rotate, -100, 100)], false),
            ],
        );
        let (sim, hw) = connect(spec("TF-META2", &[Endpoint::Tx])).await;
        let h = named(factories(), "tryfun-meta2")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Oscillate, 100)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x00, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0b, 0x64, 0x6b],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(1, Vibrate, 100)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x01, 0x02, 0x00, 0x05, 0x21, 0x05, 0x08, 0x64, 0x6e],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(2, Rotate, 100)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x02, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0x9b, 0x31],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(2, Rotate, -100)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x03, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0x64, 0x68],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(2, Rotate, -50)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x04, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0x32, 0x9a],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Oscillate, 50), act(1, Vibrate, 50)])
                    .unwrap()
            ),
            [
                (
                    Endpoint::Tx,
                    vec![0x05, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0b, 0x32, 0x9d],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0x06, 0x02, 0x00, 0x05, 0x21, 0x05, 0x08, 0x32, 0xa0],
                    false
                )
            ]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[act(0, Oscillate, 0), act(1, Vibrate, 0), act(2, Rotate, 0)])
                    .unwrap()
            ),
            [
                (
                    Endpoint::Tx,
                    vec![0x07, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0b, 0x00, 0xcf],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0x08, 0x02, 0x00, 0x05, 0x21, 0x05, 0x08, 0x00, 0xd2],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0x09, 0x02, 0x00, 0x05, 0x21, 0x05, 0x0e, 0xff, 0xcd],
                    false
                )
            ]
        );
    }

    /// The bytes of the reference's `tryfun_protocol` case (TryFun Yuan Series).
    #[tokio::test]
    async fn tryfun() {
        let d = def_with(
            &[],
            &[
                (0, &[(Oscillate, 0, 9)], false),
                (1, &[(Rotate, 0, 9)], false),
            ],
        );
        let (sim, hw) = connect(spec("TRYFUN-ONE", &[Endpoint::Tx])).await;
        let h = named(factories(), "tryfun")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Oscillate, 5)]).unwrap()),
            [(Endpoint::Tx, vec![0xaa, 0x02, 0x07, 0x05, 0xf4], true)]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Oscillate, 1), act(1, Rotate, 5)])
                    .unwrap()
            ),
            [
                (Endpoint::Tx, vec![0xaa, 0x02, 0x07, 0x01, 0xf8], true),
                (Endpoint::Tx, vec![0xaa, 0x02, 0x08, 0x05, 0xf3], true)
            ]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[act(0, Oscillate, 0), act(1, Rotate, 0)])
                    .unwrap()
            ),
            [
                (Endpoint::Tx, vec![0xaa, 0x02, 0x07, 0x00, 0xf9], true),
                (Endpoint::Tx, vec![0xaa, 0x02, 0x08, 0x00, 0xf8], true)
            ]
        );
    }

    /// The bytes of the reference's `tryfun_surge` case (TryFun Surge Pro).
    #[tokio::test]
    async fn tryfun_surge() {
        let d = def_with(&["TF-SPRAY"], &[(0, &[(Vibrate, 0, 4)], false)]);
        let (sim, hw) = connect(spec("TF-SPRAY", &[Endpoint::Tx])).await;
        let h = named(factories(), "tryfun")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 2)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x00, 0x02, 0x00, 0x05, 0x02, 0x02, 0x01, 0x00, 0xfb],
                true
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 4)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x00, 0x02, 0x00, 0x05, 0x02, 0x04, 0x01, 0x00, 0xf9],
                true
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x00, 0x02, 0x00, 0x05, 0x01, 0x02, 0x01, 0x01, 0xfc],
                true
            )]
        );
    }
}
