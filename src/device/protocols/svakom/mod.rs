//! Svakom family. Most models take one 6- or 7-byte `55 <function> ...` frame per motor;
//! `svakom-iker`, `svakom-v5` and `svakom-v6` drive two vibrators through one shared frame and
//! keep the last level of each.

pub(crate) mod avaneo;
pub(crate) mod dice;
pub(crate) mod dt250a;
pub(crate) mod fatima;
pub(crate) mod jordan;
pub(crate) mod sam;
pub(crate) mod suitcase;
pub(crate) mod tarax;
pub(crate) mod v4;

use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    feature_bit, FeatureMask, HwCommand, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

fn on(v: u8) -> u8 {
    u8::from(v != 0)
}

fn tx(data: Vec<u8>, feature: u32) -> Vec<HwCommand> {
    vec![HwCommand::write(Endpoint::Tx, data, mask(feature))]
}

fn tx_r(data: Vec<u8>, feature: u32) -> Vec<HwCommand> {
    vec![HwCommand::write_with_response(
        Endpoint::Tx,
        data,
        mask(feature),
    )]
}

fn vibrate_only(name: &str, action: &OutputAction) -> Result<u8, DeviceError> {
    if action.kind != OutputType::Vibrate {
        return Err(unsupported(name, action));
    }
    byte(name, action.value)
}

fn alex(a: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let v = vibrate_only("svakom-alex", a)?;
    // The Alex treats 0xff, not 0, as "off".
    let level = if v == 0 { 0xff } else { v };
    Ok(tx(vec![0x12, 0x01, 0x03, 0x00, level, 0x00], a.feature))
}

fn alex_v2(a: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "svakom-alex-v2";
    let v = vibrate_only(NAME, a)?;
    let check = v
        .checked_add(5)
        .ok_or_else(|| DeviceError::protocol(NAME, "level too high"))?;
    Ok(tx(vec![0x55, 0x03, 0x03, 0x00, v, check], a.feature))
}

fn barnard(a: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "svakom-barnard";
    let v = byte(NAME, a.value)?;
    let data = match a.kind {
        OutputType::Vibrate => vec![0x55, 0x03, 0x00, 0x00, v, on(v)],
        OutputType::Oscillate => vec![0x55, 0x08, 0x00, 0x00, v, if v == 0 { 0 } else { 0xff }],
        _ => return Err(unsupported(NAME, a)),
    };
    Ok(tx(data, a.feature))
}

fn pulse(a: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "svakom-pulse";
    let v = vibrate_only(NAME, a)?;
    let level = v
        .checked_add(1)
        .ok_or_else(|| DeviceError::protocol(NAME, "level too high"))?;
    Ok(tx(vec![0x55, 0x03, 0x03, 0x00, on(v), level], a.feature))
}

fn sam2(a: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "svakom-sam2";
    let v = byte(NAME, a.value)?;
    let data = match a.kind {
        OutputType::Vibrate => vec![0x55, 0x03, 0x00, 0x00, if v == 0 { 0 } else { 5 }, v, 0x00],
        OutputType::Constrict => vec![0x55, 0x09, 0x00, 0x00, on(v), v, 0x00],
        _ => return Err(unsupported(NAME, a)),
    };
    Ok(tx_r(data, a.feature))
}

fn v1(a: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let v = vibrate_only("svakom-v1", a)?;
    Ok(tx(vec![0x55, 0x04, 0x03, 0x00, on(v), v], a.feature))
}

fn v2(a: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    let v = vibrate_only("svakom-v2", a)?;
    let data = if a.feature == 1 {
        vec![0x55, 0x06, 0x01, 0x00, v, v]
    } else {
        vec![0x55, 0x03, 0x03, 0x00, on(v), v]
    };
    Ok(tx_r(data, a.feature))
}

fn v3(a: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "svakom-v3";
    let v = byte(NAME, a.value)?;
    let data = match a.kind {
        OutputType::Vibrate if a.feature == 0 => vec![0x55, 0x03, 0x03, 0x00, on(v), v],
        OutputType::Vibrate => vec![0x55, 0x09, 0x00, 0x00, on(v), v],
        OutputType::Rotate => vec![0x55, 0x08, 0x00, 0x00, v, 0xff],
        _ => return Err(unsupported(NAME, a)),
    };
    Ok(tx(data, a.feature))
}

/// Which shared-frame model a [`Shared`] handler drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Model {
    Iker,
    V5,
    V6,
}

/// Handler for the models whose first two vibrators share one frame. `levels[i]` is the last
/// level of feature `i`.
struct Shared {
    name: &'static str,
    model: Model,
    vibrators: usize,
    /// Features the shared vibration frame carries: those of the first two that vibrate (a
    /// suction or rotation feature at index 1 has frames of its own, which must not replace it).
    pair_mask: FeatureMask,
    levels: Mutex<[u8; 3]>,
}

/// Mode byte of the shared v5/v6 vibration frame: both motors (0), only the first (1) or only
/// the second (2).
fn pair_mode(first: u8, second: u8) -> u8 {
    if (first > 0 && second > 0) || first == second {
        0x00
    } else if first > 0 {
        0x01
    } else {
        0x02
    }
}

impl Shared {
    fn encode(
        &self,
        levels: &mut [u8; 3],
        a: &OutputAction,
    ) -> Result<Vec<HwCommand>, DeviceError> {
        let v = byte(self.name, a.value)?;
        let pair_mask = self.pair_mask;
        match (self.model, a.kind) {
            (Model::Iker, OutputType::Vibrate) => {
                *levels
                    .get_mut(a.feature as usize)
                    .filter(|_| a.feature < 2)
                    .ok_or_else(|| unsupported(self.name, a))? = v;
                let [first, second, _] = *levels;
                if first == 0 && second == 0 {
                    return Ok(vec![HwCommand::write(
                        Endpoint::Tx,
                        vec![0x55, 0x07, 0x00, 0x00, 0x00, 0x00],
                        pair_mask,
                    )]);
                }
                let mut out = vec![HwCommand::write(
                    Endpoint::Tx,
                    vec![0x55, 0x03, 0x03, 0x00, 0x01, first],
                    feature_bit(0),
                )];
                if second > 0 {
                    out.push(HwCommand::write(
                        Endpoint::Tx,
                        vec![0x55, 0x07, 0x00, 0x00, second, 0x00],
                        feature_bit(1),
                    ));
                }
                Ok(out)
            }
            (Model::V5 | Model::V6, OutputType::Vibrate) if a.feature < 2 => {
                if let Some(slot) = levels.get_mut(a.feature as usize) {
                    *slot = v;
                }
                let [first, second, _] = *levels;
                let mode = if self.model == Model::V6 && self.vibrators == 1 {
                    0x00
                } else {
                    pair_mode(first, second)
                };
                let running = u8::from(!(first == 0 && second == 0));
                let mut data = vec![0x55, 0x03, mode, 0x00, running, first.max(second)];
                if self.model == Model::V6 {
                    data.push(0x00);
                }
                Ok(vec![HwCommand::write(Endpoint::Tx, data, pair_mask)])
            }
            (Model::V6, OutputType::Vibrate) if a.feature == 2 => {
                if let Some(slot) = levels.get_mut(2) {
                    *slot = v;
                }
                Ok(tx(vec![0x55, 0x07, 0x00, 0x00, on(v), v, 0x00], a.feature))
            }
            (Model::V5, OutputType::Oscillate) => {
                Ok(tx(vec![0x55, 0x09, 0x00, 0x00, v, 0x00], a.feature))
            }
            // Klitty-style extra motors: suction level and a rotating head.
            (Model::V6, OutputType::Constrict) => {
                Ok(tx(vec![0x55, 0x09, 0x00, 0x00, v, 0x00, 0x00], a.feature))
            }
            (Model::V6, OutputType::Rotate) => {
                Ok(tx(vec![0x55, 0x14, 0x00, 0x00, on(v), v, 0x00], a.feature))
            }
            _ => Err(unsupported(self.name, a)),
        }
    }
}

impl ProtocolHandler for Shared {
    fn outputs(&self, actions: &[OutputAction]) -> Result<Vec<HwCommand>, DeviceError> {
        let mut levels = self.levels.lock();
        let mut next = *levels;
        let mut out: Vec<HwCommand> = Vec::new();
        for a in actions {
            let packets = self.encode(&mut next, a)?;
            // A later frame replaces an earlier one of this batch that carries the same motors.
            out.retain(|q| match q {
                HwCommand::Write { features, .. } => packets.iter().all(|p| match p {
                    HwCommand::Write { features: f, .. } => f & features == 0,
                    _ => true,
                }),
                _ => true,
            });
            out.extend(packets);
        }
        *levels = next;
        Ok(out)
    }

    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        self.outputs(std::slice::from_ref(action))
    }
}

struct SharedFactory {
    name: &'static str,
    model: Model,
}

#[async_trait]
impl ProtocolFactory for SharedFactory {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn initialize(
        &self,
        _hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let vibrators = definition
            .features
            .iter()
            .filter(|f| f.output(OutputType::Vibrate).is_some())
            .count();
        let pair_mask = definition
            .features
            .iter()
            .filter(|f| f.index < 2 && f.output(OutputType::Vibrate).is_some())
            .fold(0, |m, f| m | feature_bit(f.index));
        Ok(Arc::new(Shared {
            name: self.name,
            model: self.model,
            vibrators,
            pair_mask: if pair_mask == 0 {
                feature_bit(0) | feature_bit(1)
            } else {
                pair_mask
            },
            levels: Mutex::new([0; 3]),
        }))
    }
}

/// The protocols of this family (its members' included), for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    let mut list: Vec<Arc<dyn ProtocolFactory>> = vec![
        PerFeature::new("svakom-alex", alex),
        PerFeature::new("svakom-alex-v2", alex_v2),
        PerFeature::new("svakom-barnard", barnard),
        PerFeature::new("svakom-pulse", pulse),
        PerFeature::new("svakom-sam2", sam2),
        PerFeature::new("svakom-v1", v1),
        PerFeature::new("svakom-v2", v2),
        PerFeature::new("svakom-v3", v3),
        Arc::new(SharedFactory {
            name: "svakom-iker",
            model: Model::Iker,
        }),
        Arc::new(SharedFactory {
            name: "svakom-v5",
            model: Model::V5,
        }),
        Arc::new(SharedFactory {
            name: "svakom-v6",
            model: Model::V6,
        }),
    ];
    list.extend(avaneo::factories());
    list.extend(dice::factories());
    list.extend(dt250a::factories());
    list.extend(fatima::factories());
    list.extend(jordan::factories());
    list.extend(sam::factories());
    list.extend(suitcase::factories());
    list.extend(tarax::factories());
    list.extend(v4::factories());
    list
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_family_is_every_svakom_protocol() {
        let mut names: Vec<&str> = super::factories().iter().map(|f| f.name()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "svakom-alex",
                "svakom-alex-v2",
                "svakom-avaneo",
                "svakom-barnard",
                "svakom-barney",
                "svakom-dice",
                "svakom-dt250a",
                "svakom-fatima",
                "svakom-iker",
                "svakom-jordan",
                "svakom-pulse",
                "svakom-sam",
                "svakom-sam2",
                "svakom-suitcase",
                "svakom-tarax",
                "svakom-v1",
                "svakom-v2",
                "svakom-v3",
                "svakom-v4",
                "svakom-v5",
                "svakom-v6",
            ]
        );
    }

    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    /// The bytes of the reference's `svakom_alex` case (Svakom Alex Neo).
    #[tokio::test]
    async fn svakom_alex() {
        let d = def_with(&[], &[(0, &[(Vibrate, 0, 3)], false)]);
        let (sim, hw) = connect(spec("Alex NEO", &[Endpoint::Tx])).await;
        let h = named(factories(), "svakom-alex")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 2)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x12, 0x01, 0x03, 0x00, 0x02, 0x00],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 3)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x12, 0x01, 0x03, 0x00, 0x03, 0x00],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x12, 0x01, 0x03, 0x00, 0xff, 0x00],
                false
            )]
        );
    }

    /// The bytes of the reference's `svakom_alex_v2` case (Svakom Alex Neo 2).
    #[tokio::test]
    async fn svakom_alex_v2() {
        let d = def_with(&[], &[(0, &[(Vibrate, 0, 3)], false)]);
        let (sim, hw) = connect(spec("Alex NEO 2", &[Endpoint::Tx])).await;
        let h = named(factories(), "svakom-alex-v2")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 2)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x03, 0x00, 0x02, 0x07],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 3)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x03, 0x00, 0x03, 0x08],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x03, 0x00, 0x00, 0x05],
                false
            )]
        );
    }

    /// The bytes of the reference's `svakom_barnard` case (Fantasy Cup Barnard).
    #[tokio::test]
    async fn svakom_barnard() {
        let d = def_with(
            &[],
            &[
                (0, &[(Vibrate, 0, 3)], false),
                (1, &[(Oscillate, 0, 3)], false),
            ],
        );
        let (sim, hw) = connect(spec("DG239A", &[Endpoint::Tx])).await;
        let h = named(factories(), "svakom-barnard")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 2)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x02, 0x01],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 3), act(1, Oscillate, 2)])
                    .unwrap()
            ),
            [
                (
                    Endpoint::Tx,
                    vec![0x55, 0x03, 0x00, 0x00, 0x03, 0x01],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0x55, 0x08, 0x00, 0x00, 0x02, 0xff],
                    false
                )
            ]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x00, 0x00],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(1, Oscillate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x08, 0x00, 0x00, 0x00, 0x00],
                false
            )]
        );
    }

    /// The bytes of the reference's `svakom_cocopro` case (Svakom Coco Pro).
    #[tokio::test]
    async fn svakom_cocopro() {
        let d = def_with(&["CocoPro"], &[(0, &[(Vibrate, 0, 10)], false)]);
        let (sim, hw) = connect(spec("CocoPro", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "svakom-v6")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 5)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x05, 0x00],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 8)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x08, 0x00],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00],
                false
            )]
        );
    }

    /// The bytes of the reference's `svakom_ella` case (Svakom Ella).
    #[tokio::test]
    async fn svakom_ella() {
        let d = def_with(&["Aogu SCB"], &[(0, &[(Vibrate, 0, 19)], false)]);
        let (sim, hw) = connect(spec("Aogu SCB", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "svakom-v1")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 10)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x04, 0x03, 0x00, 0x01, 0x0a],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 15)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x04, 0x03, 0x00, 0x01, 0x0f],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x04, 0x03, 0x00, 0x00, 0x00],
                false
            )]
        );
    }

    /// The bytes of the reference's `svakom_iker` case (Svakom Iker).
    #[tokio::test]
    async fn svakom_iker() {
        let d = def_with(
            &[],
            &[
                (0, &[(Vibrate, 0, 10)], false),
                (1, &[(Vibrate, 0, 5)], false),
            ],
        );
        let (sim, hw) = connect(spec("Iker", &[Endpoint::Tx])).await;
        let h = named(factories(), "svakom-iker")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 5)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x03, 0x00, 0x01, 0x05],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 8), act(1, Vibrate, 3)])
                    .unwrap()
            ),
            [
                (
                    Endpoint::Tx,
                    vec![0x55, 0x03, 0x03, 0x00, 0x01, 0x08],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0x55, 0x07, 0x00, 0x00, 0x03, 0x00],
                    false
                )
            ]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [
                (
                    Endpoint::Tx,
                    vec![0x55, 0x03, 0x03, 0x00, 0x01, 0x00],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0x55, 0x07, 0x00, 0x00, 0x03, 0x00],
                    false
                )
            ]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(1, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x07, 0x00, 0x00, 0x00, 0x00],
                false
            )]
        );
    }

    /// The bytes of the reference's `svakom_mora_neo` case (Svakom Mora Neo).
    #[tokio::test]
    async fn svakom_mora_neo() {
        let d = def_with(
            &["Mora Neo"],
            &[
                (0, &[(Vibrate, 0, 10)], false),
                (1, &[(Vibrate, 0, 10)], false),
                (2, &[(Oscillate, 0, 3)], false),
            ],
        );
        let (sim, hw) = connect(spec("Mora Neo", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "svakom-v5")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 5)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x01, 0x00, 0x01, 0x05],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 8)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x01, 0x00, 0x01, 0x08],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(1, Vibrate, 8)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x08],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 1)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x01, 0x08],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[
                    act(0, Vibrate, 0),
                    act(1, Vibrate, 10),
                    act(2, Oscillate, 2)
                ])
                .unwrap()
            ),
            [
                (
                    Endpoint::Tx,
                    vec![0x55, 0x03, 0x02, 0x00, 0x01, 0x0a],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0x55, 0x09, 0x00, 0x00, 0x02, 0x00],
                    false
                )
            ]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[act(1, Vibrate, 0), act(2, Oscillate, 0)])
                    .unwrap()
            ),
            [
                (
                    Endpoint::Tx,
                    vec![0x55, 0x03, 0x00, 0x00, 0x00, 0x00],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0x55, 0x09, 0x00, 0x00, 0x00, 0x00],
                    false
                )
            ]
        );
    }

    /// The bytes of the reference's `svakom_pulse` case (Svakom Pulse Lite Neo).
    #[tokio::test]
    async fn svakom_pulse() {
        let d = def_with(&["SWK-SX013A"], &[(0, &[(Vibrate, 0, 9)], false)]);
        let (sim, hw) = connect(spec("SWK-SX013A", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "svakom-pulse")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 5)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x03, 0x00, 0x01, 0x06],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 7)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x03, 0x00, 0x01, 0x08],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x03, 0x00, 0x00, 0x01],
                false
            )]
        );
    }

    /// The bytes of the reference's `svakom_sam2` case (Svakom Sam Neo 2 Pro).
    #[tokio::test]
    async fn svakom_sam2() {
        let d = def_with(
            &["Sam Neo 2 Pro"],
            &[
                (0, &[(Vibrate, 0, 10)], false),
                (1, &[(Constrict, 0, 5)], false),
            ],
        );
        let (sim, hw) = connect(spec("Sam Neo 2 Pro", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "svakom-sam2")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 5)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x00, 0x00, 0x05, 0x05, 0x00],
                true
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 8), act(1, Constrict, 3)])
                    .unwrap()
            ),
            [
                (
                    Endpoint::Tx,
                    vec![0x55, 0x03, 0x00, 0x00, 0x05, 0x08, 0x00],
                    true
                ),
                (
                    Endpoint::Tx,
                    vec![0x55, 0x09, 0x00, 0x00, 0x01, 0x03, 0x00],
                    true
                )
            ]
        );
        assert_eq!(
            writes(
                &h.stop_outputs(&[act(0, Vibrate, 0), act(1, Constrict, 0)])
                    .unwrap()
            ),
            [
                (
                    Endpoint::Tx,
                    vec![0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00],
                    true
                ),
                (
                    Endpoint::Tx,
                    vec![0x55, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00],
                    true
                )
            ]
        );
    }

    /// The bytes of the reference's `svakom_theodore` case (Fantasy Cup Theodore).
    #[tokio::test]
    async fn svakom_theodore() {
        let d = def_with(
            &["FK008A"],
            &[
                (0, &[(Vibrate, 0, 10)], false),
                (1, &[(Rotate, 0, 1)], false),
            ],
        );
        let (sim, hw) = connect(spec("FK008A", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "svakom-v3")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 5)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x03, 0x00, 0x01, 0x05],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 8), act(1, Rotate, 1)]).unwrap()),
            [
                (
                    Endpoint::Tx,
                    vec![0x55, 0x03, 0x03, 0x00, 0x01, 0x08],
                    false
                ),
                (
                    Endpoint::Tx,
                    vec![0x55, 0x08, 0x00, 0x00, 0x01, 0xff],
                    false
                )
            ]
        );
        // the reference's case ends with the vibrator's stop frame; the rotator's stop frame
        // is written after it here, which the case does not look at
        let stop = writes(
            &h.stop_outputs(&[act(0, Vibrate, 0), act(1, Rotate, 0)])
                .unwrap(),
        );
        assert_eq!(
            stop.first(),
            Some(&(
                Endpoint::Tx,
                vec![0x55, 0x03, 0x03, 0x00, 0x00, 0x00],
                false
            ))
        );
    }

    /// The bytes of the reference's `svakom_vivianna` case (Svakom Viviana).
    #[tokio::test]
    async fn svakom_vivianna() {
        let d = def_with(&["Viviana"], &[(0, &[(Vibrate, 0, 10)], false)]);
        let (sim, hw) = connect(spec("Viviana", &[Endpoint::Rx, Endpoint::Tx])).await;
        let h = named(factories(), "svakom-v2")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 5)]).unwrap()),
            [(Endpoint::Tx, vec![0x55, 0x03, 0x03, 0x00, 0x01, 0x05], true)]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 8)]).unwrap()),
            [(Endpoint::Tx, vec![0x55, 0x03, 0x03, 0x00, 0x01, 0x08], true)]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(Endpoint::Tx, vec![0x55, 0x03, 0x03, 0x00, 0x00, 0x00], true)]
        );
    }

    #[test]
    fn iker_batch_keeps_final_frames() {
        let h = Shared {
            name: "svakom-iker",
            model: Model::Iker,
            vibrators: 2,
            pair_mask: feature_bit(0) | feature_bit(1),
            levels: Mutex::new([0; 3]),
        };
        let out = h
            .outputs(&[
                act(0, OutputType::Vibrate, 8),
                act(1, OutputType::Vibrate, 3),
            ])
            .unwrap();
        assert_eq!(
            bytes(&out),
            vec![
                vec![0x55, 0x03, 0x03, 0x00, 0x01, 0x08],
                vec![0x55, 0x07, 0x00, 0x00, 0x03, 0x00]
            ]
        );
        let out = h
            .outputs(&[
                act(0, OutputType::Vibrate, 0),
                act(1, OutputType::Vibrate, 0),
            ])
            .unwrap();
        assert_eq!(bytes(&out), vec![vec![0x55, 0x07, 0x00, 0x00, 0x00, 0x00]]);
    }

    #[test]
    fn klitty_stop_keeps_the_vibration_frame() {
        // Klitty: one vibrator, suction at index 1, rotation at index 2
        let h = Shared {
            name: "svakom-v6",
            model: Model::V6,
            vibrators: 1,
            pair_mask: feature_bit(0),
            levels: Mutex::new([10, 0, 0]),
        };
        let out = h
            .outputs(&[
                act(0, OutputType::Vibrate, 0),
                act(1, OutputType::Constrict, 0),
                act(2, OutputType::Rotate, 0),
            ])
            .unwrap();
        assert_eq!(
            bytes(&out),
            vec![
                vec![0x55, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00],
                vec![0x55, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00],
                vec![0x55, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00]
            ]
        );
    }

    #[test]
    fn v6_third_vibrator_has_own_frame() {
        let h = Shared {
            name: "svakom-v6",
            model: Model::V6,
            vibrators: 3,
            pair_mask: feature_bit(0) | feature_bit(1),
            levels: Mutex::new([0; 3]),
        };
        let out = h
            .outputs(&[
                act(1, OutputType::Vibrate, 4),
                act(2, OutputType::Vibrate, 5),
            ])
            .unwrap();
        assert_eq!(
            bytes(&out),
            vec![
                vec![0x55, 0x03, 0x02, 0x00, 0x01, 0x04, 0x00],
                vec![0x55, 0x07, 0x00, 0x00, 0x01, 0x05, 0x00]
            ]
        );
    }
}
