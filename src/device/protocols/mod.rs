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
pub mod bananasome;
pub mod cachito;
pub mod cowgirl;
pub mod cupido;
pub mod deepsire;
pub mod feelingso;
pub mod fleshy_thrust;
pub mod fox;
pub mod itoys;
pub mod jejoue;
pub mod kiiroo_powershot;
pub mod kiiroo_prowand;
pub mod kiiroo_spot;
pub mod leten;
pub mod loob;
pub mod ankni;
pub mod fluffer;
pub mod foreo;
pub mod galaku;
pub mod hgod;
pub mod hismith;
pub mod joyhub;
pub mod lelo;
pub mod lovehoney_desire;
pub mod lovense;
#[cfg(test)]
mod testkit_a;
// ---- end of set A ----

// ---- protocol modules, set B (luvmazer .. xuanhuan) ----
// ---- end of set B ----

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
        list.push(activejoy::factory());
        list.push(adrienlastic::factory());
        list.push(amorelie_joy::factory());
        list.push(aneros::factory());
        list.push(bananasome::factory());
        list.push(cachito::factory());
        list.push(cowgirl::factory());
        list.push(cupido::factory());
        list.push(deepsire::factory());
        list.push(feelingso::factory());
        list.push(fleshy_thrust::factory());
        list.push(fox::factory());
        list.push(itoys::factory());
        list.push(jejoue::factory());
        list.push(kiiroo_powershot::factory());
        list.push(kiiroo_prowand::factory());
        list.push(kiiroo_spot::factory());
        list.push(leten::factory());
        list.push(loob::factory());
        list.push(ankni::factory());
        list.push(fluffer::factory());
        list.push(foreo::factory());
        list.push(galaku::factory());
        list.push(galaku::pump_factory());
        list.push(hgod::factory());
        list.push(hismith::factory());
        list.push(hismith::mini_factory());
        list.push(joyhub::factory());
        list.push(lelo::f1s_factory());
        list.push(lelo::f1sv2_factory());
        list.push(lelo::harmony_factory());
        list.push(lovehoney_desire::factory());
        list.push(lovense::factory());
        // ---- end of registrations, set A ----
        // ---- registrations, set B ----
        // ---- end of registrations, set B ----
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
