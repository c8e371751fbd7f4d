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
