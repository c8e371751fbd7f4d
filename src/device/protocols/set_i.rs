//! Protocol set I: muse, twerkingbutt, and gamepad rumble (xinput, sdl-gamepad).

use std::sync::Arc;

use crate::device::protocol::ProtocolFactory;

#[path = "gamepad.rs"]
mod gamepad;
#[path = "muse.rs"]
mod muse;
#[path = "twerkingbutt.rs"]
mod twerkingbutt;

/// Every protocol of this set.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![
        gamepad::xinput(),
        gamepad::sdl_gamepad(),
        muse::factory(),
        twerkingbutt::factory(),
    ]
}

#[cfg(test)]
mod tests {
    use crate::core::messages::InputReadingValue;
    use crate::core::types::{Endpoint, InputCommand, InputType, OutputType};
    use crate::device::protocol::default_input;
    use crate::device::protocols::testkit_a::*;

    #[tokio::test]
    async fn rssi_reads_come_from_the_radio() {
        let d = def(&[(0, &[(OutputType::Vibrate, 0, 9)], false)]);
        let feature = d.features.first().unwrap();
        let (sim, hw) = connect(spec("WB-TDD", &[Endpoint::Tx])).await;
        // a bus without signal strength refuses the read
        assert!(
            default_input(&hw, feature, InputType::Rssi, InputCommand::Read)
                .await
                .is_err()
        );
        sim.set_rssi(Some(-61));
        assert_eq!(
            default_input(&hw, feature, InputType::Rssi, InputCommand::Read)
                .await
                .unwrap(),
            Some(InputReadingValue::Rssi(-61))
        );
        sim.set_rssi(Some(-300));
        assert_eq!(
            default_input(&hw, feature, InputType::Rssi, InputCommand::Read)
                .await
                .unwrap(),
            Some(InputReadingValue::Rssi(i8::MIN))
        );
        sim.disconnect_now();
        assert!(
            default_input(&hw, feature, InputType::Rssi, InputCommand::Read)
                .await
                .is_err()
        );
    }
}
