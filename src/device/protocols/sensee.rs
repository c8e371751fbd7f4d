//! Sensee toys. `sensee`: one fixed frame per vibration command. `sensee-v2`: the device
//! reports its type byte when `tx` is read at start-up; every command then sends the whole
//! state, grouped by function (vibrate, thrust, suck), in one framed packet.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    all_features, FeatureMask, HwCommand, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, mask, unsupported, PerFeature};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

fn v1(action: &OutputAction, _def: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    const NAME: &str = "sensee";
    if action.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, action));
    }
    let data = vec![
        0x55,
        0xaa,
        0xf0,
        0x01,
        0x01,
        0x0b,
        0x65,
        0xf7,
        0x01,
        0x01,
        byte(NAME, action.value)?,
    ];
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        data,
        mask(action.feature),
    )])
}

const V2: &str = "sensee-v2";

/// Device type assumed when the start-up read does not report one.
const V2_DEFAULT_TYPE: u8 = 0x65;

/// Function groups of the v2 frame, in packet order.
const V2_GROUPS: [(u8, OutputType); 3] = [
    (0, OutputType::Vibrate),
    (1, OutputType::Oscillate),
    (2, OutputType::Constrict),
];

/// One motor slot: function group, feature index, current value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slot {
    group: u8,
    kind: OutputType,
    feature: u32,
    value: u8,
}

fn v2_slots(def: &DeviceDefinition) -> Vec<Slot> {
    let mut slots = Vec::new();
    for (group, kind) in V2_GROUPS {
        for f in &def.features {
            if f.output(kind).is_some() {
                slots.push(Slot {
                    group,
                    kind,
                    feature: f.index,
                    value: 0,
                });
            }
        }
    }
    slots
}

/// Builds the v2 frame for the given state.
fn v2_packet(device_type: u8, slots: &[Slot]) -> Result<Vec<u8>, DeviceError> {
    let too_long = || DeviceError::protocol(V2, "too many motors for one frame");
    let mut body = Vec::new();
    let mut groups = 0u8;
    for (group, _) in V2_GROUPS {
        let members: Vec<&Slot> = slots.iter().filter(|s| s.group == group).collect();
        if members.is_empty() {
            continue;
        }
        groups += 1;
        body.push(group);
        body.push(u8::try_from(members.len()).map_err(|_| too_long())?);
        for (i, s) in members.iter().enumerate() {
            body.push(u8::try_from(i + 1).map_err(|_| too_long())?);
            body.push(s.value);
        }
    }
    body.insert(0, groups);
    let length = u8::try_from(body.len() + 4).map_err(|_| too_long())?;
    let mut data = vec![0x55, 0xaa, 0xf0, 0x02, 0x00, length, device_type, 0xf1];
    data.extend(body);
    // Two check bytes the device does not verify.
    data.extend_from_slice(&[0x00, 0x00]);
    Ok(data)
}

struct SenseeV2Handler {
    device_type: u8,
    slots: Mutex<Vec<Slot>>,
    mask: FeatureMask,
}

impl ProtocolHandler for SenseeV2Handler {
    fn outputs(&self, actions: &[OutputAction]) -> Result<Vec<HwCommand>, DeviceError> {
        let mut slots = self.slots.lock();
        let mut next = slots.clone();
        for a in actions {
            let slot = next
                .iter_mut()
                .find(|s| s.feature == a.feature && s.kind == a.kind)
                .ok_or_else(|| unsupported(V2, a))?;
            slot.value = byte(V2, a.value)?;
        }
        let data = v2_packet(self.device_type, &next)?;
        *slots = next;
        Ok(vec![HwCommand::write(Endpoint::Tx, data, self.mask)])
    }

    fn output(&self, action: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        self.outputs(std::slice::from_ref(action))
    }
}

struct SenseeV2;

#[async_trait]
impl ProtocolFactory for SenseeV2 {
    fn name(&self) -> &'static str {
        V2
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let info = hardware
            .read(Endpoint::Tx, 128, Duration::from_millis(500))
            .await?;
        let device_type = match info.get(6) {
            Some(t) if *t != 0 => *t,
            _ => V2_DEFAULT_TYPE,
        };
        Ok(Arc::new(SenseeV2Handler {
            device_type,
            slots: Mutex::new(v2_slots(definition)),
            mask: all_features(definition),
        }))
    }
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![PerFeature::new("sensee", v1), Arc::new(SenseeV2)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    /// The bytes of the reference's `sensee_capsule` case (Sensee Capsule).
    #[tokio::test]
    async fn sensee_capsule() {
        let d = def_with(
            &["CCPA10S2"],
            &[
                (0, &[(Vibrate, 0, 100)], false),
                (1, &[(Constrict, 0, 100)], false),
            ],
        );
        let (sim, hw) = connect(spec("CCPA10S2", &[Endpoint::Rx, Endpoint::Tx])).await;
        sim.queue_read(
            Endpoint::Tx,
            &[
                0x55, 0xaa, 0xf0, 0x02, 0x01, 0x0a, 0x66, 0xfa, 0x01, 0x00, 0x00, 0x01, 0xff, 0x05,
                0xa6,
            ],
        );
        let h = named(factories(), "sensee-v2")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 50)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x55, 0xaa, 0xf0, 0x02, 0x00, 0x0d, 0x66, 0xf1, 0x02, 0x00, 0x01, 0x01, 0x32,
                    0x02, 0x01, 0x01, 0x00, 0x00, 0x00
                ],
                false
            )]
        );
        assert_eq!(
            writes(
                &h.outputs(&[act(0, Vibrate, 90), act(1, Constrict, 50)])
                    .unwrap()
            ),
            [(
                Endpoint::Tx,
                vec![
                    0x55, 0xaa, 0xf0, 0x02, 0x00, 0x0d, 0x66, 0xf1, 0x02, 0x00, 0x01, 0x01, 0x5a,
                    0x02, 0x01, 0x01, 0x32, 0x00, 0x00
                ],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x55, 0xaa, 0xf0, 0x02, 0x00, 0x0d, 0x66, 0xf1, 0x02, 0x00, 0x01, 0x01, 0x00,
                    0x02, 0x01, 0x01, 0x32, 0x00, 0x00
                ],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(1, Constrict, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![
                    0x55, 0xaa, 0xf0, 0x02, 0x00, 0x0d, 0x66, 0xf1, 0x02, 0x00, 0x01, 0x01, 0x00,
                    0x02, 0x01, 0x01, 0x00, 0x00, 0x00
                ],
                false
            )]
        );
    }

    /// The bytes of the reference's `sensee_protocol` case (Sensee Diandou Rabbit).
    #[tokio::test]
    async fn sensee() {
        let d = def_with(&[], &[(0, &[(Vibrate, 0, 100)], false)]);
        let (sim, hw) = connect(spec("CTY222S4", &[Endpoint::Tx])).await;
        let h = named(factories(), "sensee")
            .initialize(&hw, &d)
            .await
            .unwrap();
        assert_eq!(sim.take_ops(), []);
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 50)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0xaa, 0xf0, 0x01, 0x01, 0x0b, 0x65, 0xf7, 0x01, 0x01, 0x32],
                false
            )]
        );
        assert_eq!(
            writes(&h.outputs(&[act(0, Vibrate, 75)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0xaa, 0xf0, 0x01, 0x01, 0x0b, 0x65, 0xf7, 0x01, 0x01, 0x4b],
                false
            )]
        );
        assert_eq!(
            writes(&h.stop_outputs(&[act(0, Vibrate, 0)]).unwrap()),
            [(
                Endpoint::Tx,
                vec![0x55, 0xaa, 0xf0, 0x01, 0x01, 0x0b, 0x65, 0xf7, 0x01, 0x01, 0x00],
                false
            )]
        );
    }

    #[test]
    fn v2_groups_follow_function_order() {
        let d = def(&[
            (0, &[(Oscillate, 0, 100)], false),
            (1, &[(Vibrate, 0, 100)], false),
        ]);
        let mut slots = v2_slots(&d);
        slots[0].value = 7;
        slots[1].value = 9;
        let p = v2_packet(0x66, &slots).unwrap();
        assert_eq!(
            p,
            vec![
                0x55, 0xaa, 0xf0, 0x02, 0x00, 0x0d, 0x66, 0xf1, 0x02, 0x00, 0x01, 0x01, 0x07, 0x01,
                0x01, 0x01, 0x09, 0x00, 0x00
            ]
        );
    }
}
