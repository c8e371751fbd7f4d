//! Twerking Butt (Bodikang): the device database lists it with no output or input features, and
//! no command format is known, so the handler connects it (it shows up as a device) and refuses
//! every output with a clear error.

use std::sync::Arc;

use crate::device::definition::DeviceDefinition;
use crate::device::protocol::{HwCommand, OutputAction, ProtocolFactory};
use crate::device::protocols::kit::PerFeature;
use crate::error::DeviceError;

const NAME: &str = "twerkingbutt";

/// The factory registered as `twerkingbutt`.
fn factory() -> Arc<dyn ProtocolFactory> {
    PerFeature::new(NAME, encode)
}

/// The protocols of this module, for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![factory()]
}

fn encode(a: &OutputAction, _: &DeviceDefinition) -> Result<Vec<HwCommand>, DeviceError> {
    Err(DeviceError::NotSupported(format!(
        "{NAME}: the device has no known outputs (asked for {} on feature {})",
        a.kind, a.feature
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::types::OutputType;
    use crate::device::protocols::testkit::*;

    #[test]
    fn every_output_is_refused() {
        let d = def(&[]);
        for kind in OutputType::ALL {
            assert!(matches!(
                encode(&act(0, kind, 1), &d),
                Err(DeviceError::NotSupported(_))
            ));
        }
    }
}
