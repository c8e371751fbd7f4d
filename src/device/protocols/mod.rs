//! Protocol implementations, one module per protocol family, and the registry that maps the
//! configuration's protocol names to them.
//!
//! Simple protocols are declared as data with the toolkit in [`kit`]: an encoder function from
//! an output action (or from the current values of every feature) to packets. Protocols that talk
//! to the device during identification or keep state beyond that implement the traits of
//! `device::protocol` directly.

use std::collections::HashMap;
use std::sync::Arc;

use crate::device::protocol::ProtocolFactory;

pub mod kit;

// ---- protocol modules, set A (activejoy .. lovense) ----
pub mod activejoy;
pub mod adrienlastic;
pub mod amorelie_joy;
pub mod aneros;
pub mod ankni;
pub mod bananasome;
pub mod cachito;
pub mod cowgirl;
pub mod cupido;
pub mod deepsire;
pub mod feelingso;
pub mod fleshy_thrust;
pub mod fluffer;
pub mod foreo;
pub mod fox;
pub mod galaku;
pub mod hgod;
pub mod hismith;
pub mod itoys;
pub mod jejoue;
pub mod joyhub;
pub mod kiiroo_powershot;
pub mod kiiroo_prowand;
pub mod kiiroo_spot;
pub mod lelo;
pub mod leten;
pub mod loob;
pub mod lovehoney_desire;
pub mod lovense;
#[cfg(test)]
mod testkit_a;
// ---- end of set A ----

// ---- protocol modules, set B (luvmazer .. xuanhuan) ----
mod luvmazer;
mod magic_motion;
mod meese;
mod mizzzee;
mod motorbunny;
mod mysteryvibe;
mod nexus_revo;
mod nobra;
mod omobo;
mod pink_punch;
mod sakuraneko;
mod satisfyer;
mod sensee;
mod serveu;
mod sexverse;
mod svakom;
mod synchro;
mod tcode_v03;
mod tryfun;
#[cfg(test)]
mod vectors_b;
mod vorze_sa;
mod wetoy;
mod wevibe;
mod xibao;
mod xiuxiuda;
mod xuanhuan;
// ---- end of set B ----

// Sets C to I: each file declares its own protocol modules.
mod set_c;
mod set_d;
mod set_e;
mod set_f;
mod set_g;
mod set_h;
mod set_i;

/// Whether this build of the library has a comm manager for a bus named as in the device
/// configuration (`btle`, `serial`, `hid`, `usb`, `xinput`, `sdl-gamepad`,
/// `lovense_connect_service`, `websocket`, `simulated`): Bluetooth LE, HID and the optional buses
/// ([`crate::hwmgr::OptionalBus`]: Lovense Connect, gamepads, raw USB) only with their cargo
/// features; serial, WebSocket devices and simulated devices always. A protocol can only reach
/// a toy over a bus that is built in.
pub fn bus_built_in(bus: &str) -> bool {
    use crate::hwmgr::OptionalBus;
    match bus {
        "btle" => cfg!(feature = "btle"),
        "hid" => cfg!(feature = "hid"),
        "usb" => OptionalBus::Usb.built_in(),
        "xinput" | "sdl-gamepad" => OptionalBus::Gamepad.built_in(),
        "lovense_connect_service" => OptionalBus::LovenseConnect.built_in(),
        other => ["serial", "websocket", "simulated"].contains(&other),
    }
}

/// Maps protocol names to implementations.
#[derive(Clone, Default)]
pub struct ProtocolRegistry {
    map: HashMap<&'static str, Arc<dyn ProtocolFactory>>,
}

impl std::fmt::Debug for ProtocolRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProtocolRegistry")
            .field("protocols", &self.map.len())
            .finish()
    }
}

impl ProtocolRegistry {
    /// An empty registry.
    pub fn new() -> ProtocolRegistry {
        ProtocolRegistry::default()
    }

    /// Every protocol built into the library.
    pub fn builtin() -> ProtocolRegistry {
        let mut r = ProtocolRegistry::new();
        let mut list: Vec<Arc<dyn ProtocolFactory>> = Vec::new();
        // ---- registrations, set A ----
        list.extend([
            activejoy::factory(),
            adrienlastic::factory(),
            amorelie_joy::factory(),
            aneros::factory(),
            bananasome::factory(),
            cachito::factory(),
            cowgirl::factory(),
            cupido::factory(),
            deepsire::factory(),
            feelingso::factory(),
            fleshy_thrust::factory(),
            fox::factory(),
            itoys::factory(),
            jejoue::factory(),
            kiiroo_powershot::factory(),
            kiiroo_prowand::factory(),
            kiiroo_spot::factory(),
            leten::factory(),
            loob::factory(),
            ankni::factory(),
            fluffer::factory(),
            foreo::factory(),
            galaku::factory(),
            galaku::pump_factory(),
            hgod::factory(),
            hismith::factory(),
            hismith::mini_factory(),
            joyhub::factory(),
            lelo::f1s_factory(),
            lelo::f1sv2_factory(),
            lelo::harmony_factory(),
            lovehoney_desire::factory(),
            lovense::factory(),
        ]);
        // ---- end of registrations, set A ----
        // ---- registrations, set B ----
        list.extend(luvmazer::factories());
        list.extend(magic_motion::factories());
        list.extend(meese::factories());
        list.extend(mizzzee::factories());
        list.extend(motorbunny::factories());
        list.extend(mysteryvibe::factories());
        list.extend(nexus_revo::factories());
        list.extend(nobra::factories());
        list.extend(omobo::factories());
        list.extend(pink_punch::factories());
        list.extend(sakuraneko::factories());
        list.extend(satisfyer::factories());
        list.extend(sensee::factories());
        list.extend(serveu::factories());
        list.extend(sexverse::factories());
        list.extend(svakom::factories());
        list.extend(synchro::factories());
        list.extend(tcode_v03::factories());
        list.extend(tryfun::factories());
        list.extend(vorze_sa::factories());
        list.extend(wetoy::factories());
        list.extend(wevibe::factories());
        list.extend(xibao::factories());
        list.extend(xiuxiuda::factories());
        list.extend(xuanhuan::factories());
        // ---- end of registrations, set B ----
        list.extend(set_c::factories());
        list.extend(set_d::factories());
        list.extend(set_e::factories());
        list.extend(set_f::factories());
        list.extend(set_g::factories());
        list.extend(set_h::factories());
        list.extend(set_i::factories());
        for p in list {
            r.add(p);
        }
        r
    }

    /// Adds (or replaces) a protocol.
    pub fn add(&mut self, protocol: Arc<dyn ProtocolFactory>) {
        self.map.insert(protocol.name(), protocol);
    }

    /// The protocol registered under `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn ProtocolFactory>> {
        self.map.get(name).cloned()
    }

    /// True when `name` has an implementation.
    pub fn contains(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// Registered names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut v: Vec<_> = self.map.keys().copied().collect();
        v.sort_unstable();
        v
    }
}
