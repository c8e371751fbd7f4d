//! SayberX: the stroker takes AT-style ASCII commands on `tx`, `AT+SPD<tens><units>`, where the
//! two decimal digits give the speed from `00` to `40` in steps of ten; the device value 0–4 is
//! the tens digit and the units digit is always `0` (e.g. value 3 → `AT+SPD30`). Written without
//! response. The companion X-Ring (advertised as `X-Ring <serial>`) is an input-only remote; it
//! identifies as `X-Ring` and has no outputs.

use std::sync::Arc;

use async_trait::async_trait;

use crate::core::types::{Endpoint, OutputType};
use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{
    HwCommand, Identified, OutputAction, ProtocolFactory, ProtocolHandler,
};
use crate::device::protocols::kit::{mask, unsupported, PerFeature};
use crate::error::DeviceError;
use crate::hwmgr::Hardware;

const NAME: &str = "sayberx";

/// Name prefix (and identifier) of the X-Ring remote.
const RING: &str = "X-Ring";

/// Highest speed step (`AT+SPD40`).
const MAX_STEP: i32 = 4;

struct SayberX {
    inner: Arc<PerFeature>,
}

/// The identifier for an advertised name: the X-Ring's serial suffix is dropped.
fn identifier(name: &str) -> String {
    if name.starts_with(RING) {
        RING.to_string()
    } else {
        name.to_string()
    }
}

#[async_trait]
impl ProtocolFactory for SayberX {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn identify(&self, hardware: &Arc<dyn Hardware>) -> Result<Identified, DeviceError> {
        Ok(Identified::new(NAME, Some(identifier(hardware.name()))))
    }

    async fn initialize(
        &self,
        hardware: &Arc<dyn Hardware>,
        definition: &DeviceDefinition,
    ) -> Result<Arc<dyn ProtocolHandler>, DeviceError> {
        self.inner.initialize(hardware, definition).await
    }
}

/// The factory registered as `sayberx`.
fn factory() -> Arc<dyn ProtocolFactory> {
    Arc::new(SayberX {
        inner: PerFeature::new(NAME, encode),
    })
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    if a.kind != OutputType::Vibrate {
        return Err(unsupported(NAME, a));
    }
    if !(0..=MAX_STEP).contains(&a.value) {
        return Err(DeviceError::protocol(
            NAME,
            format!("speed {} is outside 0..={MAX_STEP}", a.value),
        ));
    }
    Ok(vec![HwCommand::write(
        Endpoint::Tx,
        format!("AT+SPD{}0", a.value).into_bytes(),
        mask(a.feature),
    )])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::protocols::testkit::*;

    #[test]
    fn commands() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 4)], false)]);
        let e = |v| writes(&encode(&act(0, OutputType::Vibrate, v), &d).unwrap());
        assert_eq!(e(4), [(Endpoint::Tx, b"AT+SPD40".to_vec(), false)]);
        assert_eq!(
            e(2),
            [(
                Endpoint::Tx,
                vec![0x41, 0x54, 0x2b, 0x53, 0x50, 0x44, 0x32, 0x30],
                false
            )]
        );
        assert_eq!(e(0), [(Endpoint::Tx, b"AT+SPD00".to_vec(), false)]);
        assert!(encode(&act(0, OutputType::Vibrate, 5), &d).is_err());
        assert!(encode(&act(0, OutputType::Vibrate, -1), &d).is_err());
        assert!(encode(&act(0, OutputType::Rotate, 1), &d).is_err());
    }

    #[tokio::test]
    async fn identification() {
        let f = factory();
        let (_sim, hw) = connect(spec("X-Ring 0F313B", &[Endpoint::Rx])).await;
        assert_eq!(
            f.identify(&hw)
                .await
                .unwrap()
                .identification
                .identifier
                .as_deref(),
            Some("X-Ring")
        );
        let (sim, hw) = connect(spec("SayberX", &[Endpoint::Tx, Endpoint::Rx])).await;
        assert_eq!(
            f.identify(&hw)
                .await
                .unwrap()
                .identification
                .identifier
                .as_deref(),
            Some("SayberX")
        );
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 4)], false)]);
        let h = init(&*f, &hw, &d).await;
        assert!(sim.take_ops().is_empty());
        assert_eq!(
            bytes(&h.outputs(&[act(0, OutputType::Vibrate, 1)]).unwrap()),
            [b"AT+SPD10".to_vec()]
        );
    }
}
