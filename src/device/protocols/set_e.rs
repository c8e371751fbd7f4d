//! Protocol set E: modules of this set are declared here and registered by [`factories`].

use std::sync::Arc;

use crate::device::protocol::ProtocolFactory;

#[path = "mymuselinkplus.rs"]
mod mymuselinkplus;
#[path = "mysteryvibe_v2.rs"]
mod mysteryvibe_v2;
#[path = "nextlevelracing.rs"]
mod nextlevelracing;
#[path = "ossm.rs"]
mod ossm;
#[path = "patoo.rs"]
mod patoo;
#[path = "picobong.rs"]
mod picobong;
#[path = "prettylove.rs"]
mod prettylove;
#[path = "realov.rs"]
mod realov;
#[path = "realtouch.rs"]
mod realtouch;
#[path = "rez_trancevibrator.rs"]
mod rez_trancevibrator;
#[path = "sayberx.rs"]
mod sayberx;

/// Every protocol of this set.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![
        mymuselinkplus::factory(),
        mysteryvibe_v2::factory(),
        nextlevelracing::factory(),
        ossm::factory(),
        patoo::factory(),
        picobong::factory(),
        prettylove::factory(),
        realov::factory(),
        realtouch::factory(),
        rez_trancevibrator::factory(),
        sayberx::factory(),
    ]
}
