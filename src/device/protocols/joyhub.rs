//! JoyHub: the motors (feature indexes 0–3: vibration, rotation, oscillation) share one packet
//! `[0xA0, 0x03, m0, m1, m2, m3, 0xAA]`; the air pump is `[0xA0, 0x07, on, 0, level, 0xFF]` when
//! it is feature 4, else `[0xA0, 0x0D, 0, 0, level, 0xFF]`; the heater is
//! `[0xA0, 0x04, 1, 0, 1, 0xFF]` (on) or `[0xA0, 0x04, 0, 0, 0, 0]` (off); the light is
//! `[0xA0, 0x14, 1, 0, 1, 0xFF]` / `[0xA0, 0x14, 0, 0, 0, 0]`, and the lube pump (spray)
//! `[0xA0, 0x24, 1, 0, 1, 0xFF]` / `[0xA0, 0x24, 0, 0, 0, 0]`, the pump being switched off again
//! one second after every spray command, as the reference does.

use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    feature_bit, FeatureMask, HwCommand, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{byte, unsupported};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "joyhub";
/// How long a spray runs before the pump is switched off again.
const SPRAY_TIME: std::time::Duration = std::time::Duration::from_secs(1);
/// The packet that switches the lube pump off.
const SPRAY_OFF: [u8; 6] = [0xa0, 0x24, 0x00, 0x00, 0x00, 0x00];
/// Motor slots in the shared packet.
const MOTORS: usize = 4;

struct JoyHub;

/// The factory registered as `joyhub`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(JoyHub)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn is_motor(kind: OutputType) -> bool {
    matches!(
        kind,
        OutputType::Vibrate | OutputType::Rotate | OutputType::Oscillate
    )
}

#[async_trait]
impl ProtocolFactory for JoyHub {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        let motor_mask = definition
            .features
            .iter()
            .filter(|f| f.outputs.iter().any(|o| is_motor(o.kind)))
            .fold(0, |m, f| m | feature_bit(f.index));
        Ok(Arc::new(JoyHubHandler {
            motors: Mutex::new([0; MOTORS]),
            motor_mask,
            hardware: hardware.clone(),
            // captured here, inside the device's runtime: `output` may run on any thread (an
            // in-process client encodes on its caller's thread), where there is no runtime
            runtime: tokio::runtime::Handle::try_current().ok(),
        }))
    }
}

struct JoyHubHandler {
    motors: Mutex<[u8; MOTORS]>,
    /// Every feature whose state travels in the motor packet.
    motor_mask: FeatureMask,
    /// For the pump's switch-off a second after a spray.
    hardware: Arc<dyn Hardware>,
    /// The runtime the switch-off timer runs on.
    runtime: Option<tokio::runtime::Handle>,
}

/// `[0xA0, code, 1, 0, 1, 0xFF]` when on, `[0xA0, code, 0, 0, 0, 0]` when off.
fn switch(code: u8, on: bool) -> Vec<u8> {
    if on {
        vec![0xa0, code, 0x01, 0x00, 0x01, 0xff]
    } else {
        vec![0xa0, code, 0x00, 0x00, 0x00, 0x00]
    }
}

impl ProtocolHandler for JoyHubHandler {
    fn output(&self, a: &OutputAction) -> Result<Vec<HwCommand>, DeviceError> {
        let own = feature_bit(a.feature);
        match a.kind {
            kind if is_motor(kind) => {
                let speed = byte(
                    NAME,
                    i32::try_from(a.value.unsigned_abs()).unwrap_or(i32::MAX),
                )?;
                let mut motors = self.motors.lock();
                let slot = usize::try_from(a.feature)
                    .ok()
                    .and_then(|i| motors.get_mut(i))
                    .ok_or_else(|| unsupported(NAME, a))?;
                *slot = speed;
                let [m0, m1, m2, m3] = *motors;
                Ok(vec![HwCommand::write(
                    Endpoint::Tx,
                    vec![0xa0, 0x03, m0, m1, m2, m3, 0xaa],
                    self.motor_mask,
                )])
            }
            OutputType::Constrict => {
                let level = byte(NAME, a.value)?;
                let data = if a.feature == 4 {
                    vec![0xa0, 0x07, u8::from(level > 0), 0x00, level, 0xff]
                } else {
                    vec![0xa0, 0x0d, 0x00, 0x00, level, 0xff]
                };
                Ok(vec![HwCommand::write(Endpoint::Tx, data, own)])
            }
            OutputType::Temperature => {
                let data = if a.value == 0 {
                    vec![0xa0, 0x04, 0x00, 0x00, 0x00, 0x00]
                } else {
                    vec![0xa0, 0x04, 0x01, 0x00, 0x01, 0xff]
                };
                Ok(vec![HwCommand::write(Endpoint::Tx, data, own)])
            }
            OutputType::Led => Ok(vec![HwCommand::write(
                Endpoint::Tx,
                switch(0x14, a.value != 0),
                own,
            )]),
            OutputType::Spray => {
                // the pump is switched off a second later whatever the level (the write goes
                // straight to the hardware, like the reference's; a disconnected toy ignores it)
                let hardware = self.hardware.clone();
                let runtime = self
                    .runtime
                    .clone()
                    .or_else(|| tokio::runtime::Handle::try_current().ok());
                match runtime {
                    Some(rt) => {
                        rt.spawn(async move {
                            tokio::time::sleep(SPRAY_TIME).await;
                            let _ = hardware.write(Endpoint::Tx, &SPRAY_OFF, false).await;
                        });
                    }
                    None => {
                        return Err(DeviceError::Protocol {
                            protocol: NAME.to_string(),
                            message: "no runtime to switch the lube pump off again, so it is \
                                      not switched on"
                                .to_string(),
                        })
                    }
                }
                Ok(vec![HwCommand::write(
                    Endpoint::Tx,
                    switch(0x24, a.value != 0),
                    own,
                )])
            }
            _ => Err(unsupported(NAME, a)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;
    use OutputType::*;

    async fn handler(d: &DeviceDefinition) -> Arc<dyn ProtocolHandler> {
        let (_, hw) = connect(spec("J-Test", &[Endpoint::Tx])).await;
        init(&*factory(), &hw, d).await
    }

    #[tokio::test]
    async fn light_and_spray() {
        let d = def(&[
            (0, &[(Vibrate, 0, 255)], false),
            (5, &[(Spray, 0, 1)], false),
            (6, &[(Led, 0, 1)], false),
        ]);
        let (sim, hw) = connect(spec("J-Dodge", &[Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        let e = |f, k, v| writes(&h.output(&act(f, k, v)).unwrap());
        assert_eq!(
            e(6, Led, 1),
            [(
                Endpoint::Tx,
                vec![0xa0, 0x14, 0x01, 0x00, 0x01, 0xff],
                false
            )]
        );
        assert_eq!(
            e(6, Led, 0),
            [(
                Endpoint::Tx,
                vec![0xa0, 0x14, 0x00, 0x00, 0x00, 0x00],
                false
            )]
        );
        assert_eq!(
            e(5, Spray, 1),
            [(
                Endpoint::Tx,
                vec![0xa0, 0x24, 0x01, 0x00, 0x01, 0xff],
                false
            )]
        );
        // a second later the pump is switched off on its own (the handler itself wrote nothing
        // before: its packets are returned, not written)
        assert!(sim.take_ops().is_empty());
        assert_eq!(next(&sim).await, Some(w(Endpoint::Tx, &SPRAY_OFF, false)));
    }

    /// An in-process client encodes outputs on its caller's thread, which has no runtime: the
    /// pump must still be switched off a second later.
    #[tokio::test]
    async fn spray_from_a_thread_without_a_runtime_is_switched_off() {
        let d = def(&[
            (0, &[(Vibrate, 0, 255)], false),
            (5, &[(Spray, 0, 1)], false),
        ]);
        let (sim, hw) = connect(spec("J-Dodge", &[Endpoint::Tx])).await;
        let h = init(&*factory(), &hw, &d).await;
        let on = std::thread::spawn(move || h.output(&act(5, Spray, 1)))
            .join()
            .unwrap()
            .unwrap();
        assert_eq!(
            writes(&on),
            [(
                Endpoint::Tx,
                vec![0xa0, 0x24, 0x01, 0x00, 0x01, 0xff],
                false
            )]
        );
        assert_eq!(next(&sim).await, Some(w(Endpoint::Tx, &SPRAY_OFF, false)));
    }

    #[tokio::test]
    async fn moon_horn() {
        let d = def(&[
            (0, &[(Vibrate, 0, 255)], false),
            (5, &[(Constrict, 0, 9)], false),
            (6, &[(Temperature, 0, 1)], false),
        ]);
        let h = handler(&d).await;
        let e = |a: &[_]| bytes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 128)]),
            [vec![0xa0, 3, 0x80, 0, 0, 0, 0xaa]]
        );
        assert_eq!(
            e(&[act(5, Constrict, 1)]),
            [vec![0xa0, 0x0d, 0, 0, 1, 0xff]]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 128), act(5, Constrict, 5)]),
            [
                vec![0xa0, 3, 0x80, 0, 0, 0, 0xaa],
                vec![0xa0, 0x0d, 0, 0, 5, 0xff]
            ]
        );
        assert_eq!(
            e(&[
                act(0, Vibrate, 0),
                act(5, Constrict, 0),
                act(6, Temperature, 0)
            ]),
            [
                vec![0xa0, 3, 0, 0, 0, 0, 0xaa],
                vec![0xa0, 0x0d, 0, 0, 0, 0xff],
                vec![0xa0, 0x04, 0, 0, 0, 0]
            ]
        );
    }

    #[tokio::test]
    async fn petalwish_and_roselin() {
        let d = def(&[
            (0, &[(Oscillate, 0, 255)], false),
            (2, &[(Vibrate, 0, 255)], false),
        ]);
        let h = handler(&d).await;
        let e = |a: &[_]| bytes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(2, Vibrate, 128)]),
            [vec![0xa0, 3, 0, 0, 0x80, 0, 0xaa]]
        );
        assert_eq!(
            e(&[act(0, Oscillate, 128), act(2, Vibrate, 26)]),
            [vec![0xa0, 3, 0x80, 0, 0x1a, 0, 0xaa]]
        );

        let d = def(&[
            (0, &[(Vibrate, 0, 255)], false),
            (3, &[(Rotate, 0, 255)], false),
            (4, &[(Constrict, 0, 4)], false),
        ]);
        let h = handler(&d).await;
        let e = |a: &[_]| bytes(&h.outputs(a).unwrap());
        assert_eq!(
            e(&[act(0, Vibrate, 128)]),
            [vec![0xa0, 3, 0x80, 0, 0, 0, 0xaa]]
        );
        assert_eq!(
            e(&[act(3, Rotate, 26), act(4, Constrict, 4)]),
            [
                vec![0xa0, 3, 0x80, 0, 0, 0x1a, 0xaa],
                vec![0xa0, 7, 1, 0, 4, 0xff]
            ]
        );
        assert_eq!(
            e(&[act(0, Vibrate, 0), act(3, Rotate, 0), act(4, Constrict, 0)]),
            [
                vec![0xa0, 3, 0, 0, 0, 0, 0xaa],
                vec![0xa0, 7, 0, 0, 0, 0xff]
            ]
        );
    }
}
