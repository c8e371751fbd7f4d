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

#[cfg(test)]
pub(crate) mod testkit_a;
#[cfg(test)]
mod vectors_b;

pub(crate) mod activejoy;
pub(crate) mod adrienlastic;
pub(crate) mod amorelie_joy;
pub(crate) mod aneros;
pub(crate) mod ankni;
pub(crate) mod bananasome;
pub(crate) mod cachito;
pub(crate) mod cowgirl;
pub(crate) mod cueme;
pub(crate) mod cupido;
pub(crate) mod deepsire;
pub(crate) mod feelingso;
pub(crate) mod fleshy_thrust;
pub(crate) mod fluffer;
pub(crate) mod fmachine;
pub(crate) mod foreo;
pub(crate) mod fox;
pub(crate) mod fredorch;
pub(crate) mod galaku;
pub(crate) mod gamepad;
pub(crate) mod hgod;
pub(crate) mod hismith;
pub(crate) mod honeyplaybox;
pub(crate) mod htk_bm;
pub(crate) mod itoys;
pub(crate) mod jejoue;
pub(crate) mod joyhub;
pub(crate) mod kgoal_boost;
pub(crate) mod kiiroo;
pub(crate) mod kizuna;
pub(crate) mod lelo;
pub(crate) mod leten;
pub(crate) mod libo;
pub(crate) mod lioness;
pub(crate) mod loob;
pub(crate) mod lovedistance;
pub(crate) mod lovehoney_desire;
pub(crate) mod lovense;
pub(crate) mod lovenuts;
pub(crate) mod luvmazer;
pub(crate) mod magic_motion;
pub(crate) mod mannuo;
pub(crate) mod maxpro;
pub(crate) mod meese;
pub(crate) mod mizzzee;
pub(crate) mod monsterpub;
pub(crate) mod motorbunny;
pub(crate) mod muse;
pub(crate) mod mymuselinkplus;
pub(crate) mod mysteryvibe;
pub(crate) mod nextlevelracing;
pub(crate) mod nexus_revo;
pub(crate) mod nintendo_joycon;
pub(crate) mod nobra;
pub(crate) mod omobo;
pub(crate) mod ossm;
pub(crate) mod patoo;
pub(crate) mod picobong;
pub(crate) mod pink_punch;
pub(crate) mod prettylove;
pub(crate) mod realov;
pub(crate) mod realtouch;
pub(crate) mod rez_trancevibrator;
pub(crate) mod sakuraneko;
pub(crate) mod satisfyer;
pub(crate) mod sayberx;
pub(crate) mod sensee;
pub(crate) mod serveu;
pub(crate) mod sexverse;
pub(crate) mod simulated;
pub(crate) mod svakom;
pub(crate) mod synchro;
pub(crate) mod tcode_v03;
pub(crate) mod thehandy;
pub(crate) mod tryfun;
pub(crate) mod twerkingbutt;
pub(crate) mod umove;
pub(crate) mod utimi;
pub(crate) mod vibcrafter;
pub(crate) mod vibratissimo;
pub(crate) mod vorze;
pub(crate) mod wetoy;
pub(crate) mod wevibe;
pub(crate) mod xibao;
pub(crate) mod xiuxiuda;
pub(crate) mod xuanhuan;
pub(crate) mod yiciyuan;
pub(crate) mod youcups;
pub(crate) mod youou;
pub(crate) mod zalo;

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
        list.push(activejoy::factory());
        list.push(adrienlastic::factory());
        list.push(amorelie_joy::factory());
        list.push(aneros::factory());
        list.push(ankni::factory());
        list.push(bananasome::factory());
        list.push(cachito::factory());
        list.push(cowgirl::cone::factory());
        list.push(cowgirl::factory());
        list.push(cueme::factory());
        list.push(cupido::factory());
        list.push(deepsire::factory());
        list.push(feelingso::factory());
        list.push(fleshy_thrust::factory());
        list.push(fluffer::factory());
        list.push(fmachine::factory());
        list.push(foreo::factory());
        list.push(fox::factory());
        list.push(fredorch::factory());
        list.push(fredorch::rotary::factory());
        list.push(galaku::factory());
        list.push(galaku::pump_factory());
        list.push(gamepad::sdl_gamepad());
        list.push(gamepad::xinput());
        list.push(hgod::factory());
        list.push(hismith::factory());
        list.push(hismith::mini_factory());
        list.push(honeyplaybox::factory());
        list.push(htk_bm::factory());
        list.push(itoys::factory());
        list.push(jejoue::factory());
        list.push(joyhub::factory());
        list.push(kgoal_boost::factory());
        list.push(kiiroo::powershot::factory());
        list.push(kiiroo::prowand::factory());
        list.push(kiiroo::spot::factory());
        list.push(kiiroo::spot_v2::factory());
        list.push(kiiroo::v1::factory());
        list.push(kiiroo::v21::factory());
        list.push(kiiroo::v21::initialized_factory());
        list.push(kiiroo::v21::v3_factory());
        list.push(kiiroo::v2::factory());
        list.push(kiiroo::v2::vibrator_factory());
        list.push(kizuna::factory());
        list.push(lelo::f1s_factory());
        list.push(lelo::f1sv2_factory());
        list.push(lelo::harmony_factory());
        list.push(leten::factory());
        list.push(libo::elle_factory());
        list.push(libo::karen_factory());
        list.push(libo::shark_factory());
        list.push(libo::vibes_factory());
        list.push(lioness::factory());
        list.push(loob::factory());
        list.push(lovedistance::factory());
        list.push(lovehoney_desire::factory());
        list.push(lovense::connect_service::factory());
        list.push(lovense::factory());
        list.push(lovenuts::factory());
        list.extend(luvmazer::factories());
        list.extend(magic_motion::factories());
        list.push(mannuo::factory());
        list.push(maxpro::factory());
        list.extend(meese::factories());
        list.extend(mizzzee::factories());
        list.push(monsterpub::factory());
        list.extend(motorbunny::factories());
        list.push(muse::factory());
        list.push(mymuselinkplus::factory());
        list.extend(mysteryvibe::factories());
        list.push(mysteryvibe::v2::factory());
        list.push(nextlevelracing::factory());
        list.extend(nexus_revo::factories());
        list.push(nintendo_joycon::factory());
        list.extend(nobra::factories());
        list.extend(omobo::factories());
        list.push(ossm::factory());
        list.push(patoo::factory());
        list.push(picobong::factory());
        list.extend(pink_punch::factories());
        list.push(prettylove::factory());
        list.push(realov::factory());
        list.push(realtouch::factory());
        list.push(rez_trancevibrator::factory());
        list.extend(sakuraneko::factories());
        list.extend(satisfyer::factories());
        list.push(sayberx::factory());
        list.extend(sensee::factories());
        list.extend(serveu::factories());
        list.extend(sexverse::factories());
        list.push(sexverse::v3::factory());
        list.push(sexverse::v6::factory());
        list.push(simulated::factory());
        list.push(svakom::avaneo::factory());
        list.push(svakom::dice::factory());
        list.push(svakom::dt250a::factory());
        list.extend(svakom::factories());
        list.push(svakom::fatima::factory());
        list.push(svakom::jordan::factory());
        list.push(svakom::sam::factory());
        list.push(svakom::suitcase::factory());
        list.push(svakom::tarax::factory());
        list.push(svakom::v4::barney_factory());
        list.push(svakom::v4::factory());
        list.extend(synchro::factories());
        list.extend(tcode_v03::factories());
        list.push(thehandy::factory());
        list.push(thehandy::v3::factory());
        list.extend(tryfun::factories());
        list.push(twerkingbutt::factory());
        list.push(umove::factory());
        list.push(utimi::factory());
        list.extend(vibcrafter::factories());
        list.push(vibratissimo::factory());
        list.push(vorze::cyclone_x::factory());
        list.extend(vorze::sa::factories());
        list.extend(wetoy::factories());
        list.extend(wevibe::factories());
        list.extend(xibao::factories());
        list.extend(xiuxiuda::factories());
        list.extend(xuanhuan::factories());
        list.push(yiciyuan::factory());
        list.push(youcups::factory());
        list.push(youou::factory());
        list.push(zalo::factory());
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

#[cfg(test)]
mod tests {
    use super::ProtocolRegistry;

    #[test]
    fn svakom_and_sexverse_models_are_registered() {
        let registry = ProtocolRegistry::builtin();
        for name in [
            "sexverse-v3",
            "sexverse-v6",
            "svakom-avaneo",
            "svakom-barney",
            "svakom-dice",
            "svakom-dt250a",
            "svakom-fatima",
            "svakom-jordan",
            "svakom-sam",
            "svakom-suitcase",
            "svakom-tarax",
            "svakom-v4",
        ] {
            assert!(registry.contains(name), "{name}");
        }
    }
}
