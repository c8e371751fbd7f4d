//! Kiiroo toys, one module per generation or model line:
//!
//! * [`v1`]: the first Pearl and Onyx (`kiiroo-v1`, ASCII levels);
//! * [`v2`]: the Fleshlight Launch and Onyx 2 (`kiiroo-v2`) and their vibrators
//!   (`kiiroo-v2-vibrator`);
//! * [`v21`]: the 2.1 and 3 command set (`kiiroo-v21`, `kiiroo-v21-initialized`, `kiiroo-v3`);
//! * [`powershot`], [`prowand`], [`spot`], [`spot_v2`]: single-packet vibrators.

pub(crate) mod powershot;
pub(crate) mod prowand;
pub(crate) mod spot;
pub(crate) mod spot_v2;
pub(crate) mod v1;
pub(crate) mod v2;
pub(crate) mod v21;

use std::sync::Arc;

use crate::device::protocol::ProtocolFactory;

/// The protocols of this family (its members' included), for the registry.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    let mut list: Vec<Arc<dyn ProtocolFactory>> = Vec::new();
    list.extend(powershot::factories());
    list.extend(prowand::factories());
    list.extend(spot::factories());
    list.extend(spot_v2::factories());
    list.extend(v1::factories());
    list.extend(v2::factories());
    list.extend(v21::factories());
    list
}
