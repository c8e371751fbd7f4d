//! Protocol implementations and the registry that maps the configuration's protocol names to
//! them.
//!
//! # How the folder is organised
//!
//! * One module per protocol, or per group of protocols that share their code (`libo.rs` holds
//!   the four Libo protocols), named after the protocol, declared below in alphabetical order.
//! * A family of several modules (modules sharing a name prefix) gets a folder: `cowgirl/`,
//!   `fredorch/`, `kiiroo/`, `lovense/`, `mysteryvibe/`, `sexverse/`, `svakom/`, `thehandy/`,
//!   `vorze/`. Members drop the family prefix (`svakom/avaneo.rs`); the folder's `mod.rs`
//!   declares them, lists their factories, and holds the protocol that carries the family's
//!   bare name, when there is one (`lovense/mod.rs` is `lovense`, `lovense/connect_service.rs`
//!   is `lovense-connect-service`).
//! * Every module exports one item, `pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>>`
//!   (a family folder: those of all its members); constructors of single factories stay
//!   private. The registry is the alphabetical `MODULES` list in this file, read by
//!   [`ProtocolRegistry::builtin`].
//! * `kit` is the toolkit for protocols declared as data; `testkit` (tests only) the helpers
//!   of the protocols' unit tests.
//!
//! # Adding a protocol
//!
//! * As data, when every command encodes on its own: write an encoder function and return it
//!   through the toolkit, e.g. `vec![PerFeature::new(NAME, encode)]` (each action to packets) or
//!   `kit::AllFeatures` (one packet with every feature's value), with setup packets and a
//!   keep-alive strategy if needed; `kit::Sequential` and `kit::StopWrites` adjust how
//!   batches and stops are sent.
//! * As a trait implementation, when the protocol talks to the device while identifying or
//!   initialising, or keeps state: implement `device::protocol::ProtocolFactory` and
//!   `ProtocolHandler`. A factory is shared by every device and keeps no per-device state:
//!   what identification learns and initialisation needs travels in the `Identified` that
//!   `identify` returns, as an `Initializer` (see `lovense/mod.rs`).
//! * Declare the module (`pub(crate) mod name;`) in alphabetical order below, or in its
//!   family's `mod.rs`, and add `name::factories` to `MODULES` (a family member to its folder's
//!   `factories()` instead).
//!
//! # Tests
//!
//! * Unit tests go in the module's `#[cfg(test)] mod tests`, built with `testkit`: definitions
//!   written by hand, a simulated device (`connect`, `spec`), the module's factory by name
//!   (`named`), and the bytes a handler encodes (`writes`, `bytes`). They must not read
//!   `../shared`.
//! * Conformance vectors are data in `../shared/vectors` and run through the server by
//!   `tests/vectors.rs`, which also initialises every configuration of the shared databases
//!   with its protocol and drives it; a protocol whose initialisation waits for replies from
//!   the device is listed there (`NOT_SWEPT`) with the reason.

use std::collections::HashMap;
use std::sync::Arc;

use crate::device::protocol::ProtocolFactory;

pub(crate) mod kit;

#[cfg(test)]
pub(crate) mod testkit;

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

/// What every protocol module exports: the factories of its protocols.
type ModuleFactories = fn() -> Vec<Arc<dyn ProtocolFactory>>;

/// The protocol modules, alphabetically; each gives the factories of its protocols (a family
/// folder those of all its members).
const MODULES: &[ModuleFactories] = &[
    activejoy::factories,
    adrienlastic::factories,
    amorelie_joy::factories,
    aneros::factories,
    ankni::factories,
    bananasome::factories,
    cachito::factories,
    cowgirl::factories,
    cueme::factories,
    cupido::factories,
    deepsire::factories,
    feelingso::factories,
    fleshy_thrust::factories,
    fluffer::factories,
    fmachine::factories,
    foreo::factories,
    fox::factories,
    fredorch::factories,
    galaku::factories,
    gamepad::factories,
    hgod::factories,
    hismith::factories,
    honeyplaybox::factories,
    htk_bm::factories,
    itoys::factories,
    jejoue::factories,
    joyhub::factories,
    kgoal_boost::factories,
    kiiroo::factories,
    kizuna::factories,
    lelo::factories,
    leten::factories,
    libo::factories,
    lioness::factories,
    loob::factories,
    lovedistance::factories,
    lovehoney_desire::factories,
    lovense::factories,
    lovenuts::factories,
    luvmazer::factories,
    magic_motion::factories,
    mannuo::factories,
    maxpro::factories,
    meese::factories,
    mizzzee::factories,
    monsterpub::factories,
    motorbunny::factories,
    muse::factories,
    mymuselinkplus::factories,
    mysteryvibe::factories,
    nextlevelracing::factories,
    nexus_revo::factories,
    nintendo_joycon::factories,
    nobra::factories,
    omobo::factories,
    ossm::factories,
    patoo::factories,
    picobong::factories,
    pink_punch::factories,
    prettylove::factories,
    realov::factories,
    realtouch::factories,
    rez_trancevibrator::factories,
    sakuraneko::factories,
    satisfyer::factories,
    sayberx::factories,
    sensee::factories,
    serveu::factories,
    sexverse::factories,
    simulated::factories,
    svakom::factories,
    synchro::factories,
    tcode_v03::factories,
    thehandy::factories,
    tryfun::factories,
    twerkingbutt::factories,
    umove::factories,
    utimi::factories,
    vibcrafter::factories,
    vibratissimo::factories,
    vorze::factories,
    wetoy::factories,
    wevibe::factories,
    xibao::factories,
    xiuxiuda::factories,
    xuanhuan::factories,
    yiciyuan::factories,
    youcups::factories,
    youou::factories,
    zalo::factories,
];

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

    /// Every protocol built into the library: the factories of every module in `MODULES`.
    pub fn builtin() -> ProtocolRegistry {
        let mut r = ProtocolRegistry::new();
        for factories in MODULES {
            for p in factories() {
                r.add(p);
            }
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
    use std::collections::HashSet;

    use super::{ProtocolRegistry, MODULES};

    #[test]
    fn every_protocol_is_registered_once() {
        let mut names = HashSet::new();
        for factories in MODULES {
            let list = factories();
            assert!(!list.is_empty(), "a module without protocols");
            for f in list {
                assert!(names.insert(f.name()), "{} registered twice", f.name());
            }
        }
        let registry = ProtocolRegistry::builtin();
        assert_eq!(registry.names().len(), names.len());
        assert!(names.iter().all(|n| registry.contains(n)));
    }
}
