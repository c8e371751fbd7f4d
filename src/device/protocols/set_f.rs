//! Protocol set F: modules of this set are declared here and registered by [`factories`].
//!
//! Sexverse v3 and v6, and the Svakom models Ava Neo, Barney, Dice, DT250A, Fatima, Jordan,
//! Sam, Suitcase, Tara X and v4.

use std::sync::Arc;

use crate::device::protocol::ProtocolFactory;

#[path = "sexverse_v3.rs"]
mod sexverse_v3;
#[path = "sexverse_v6.rs"]
mod sexverse_v6;
#[path = "svakom_avaneo.rs"]
mod svakom_avaneo;
#[path = "svakom_dice.rs"]
mod svakom_dice;
#[path = "svakom_dt250a.rs"]
mod svakom_dt250a;
#[path = "svakom_fatima.rs"]
mod svakom_fatima;
#[path = "svakom_jordan.rs"]
mod svakom_jordan;
#[path = "svakom_sam.rs"]
mod svakom_sam;
#[path = "svakom_suitcase.rs"]
mod svakom_suitcase;
#[path = "svakom_tarax.rs"]
mod svakom_tarax;
#[path = "svakom_v4.rs"]
mod svakom_v4;

/// Every protocol of this set.
pub(crate) fn factories() -> Vec<Arc<dyn ProtocolFactory>> {
    vec![
        sexverse_v3::factory(),
        sexverse_v6::factory(),
        svakom_avaneo::factory(),
        svakom_v4::barney_factory(),
        svakom_dice::factory(),
        svakom_dt250a::factory(),
        svakom_fatima::factory(),
        svakom_jordan::factory(),
        svakom_sam::factory(),
        svakom_suitcase::factory(),
        svakom_tarax::factory(),
        svakom_v4::factory(),
    ]
}

#[cfg(test)]
mod tests {
    use super::factories;

    #[test]
    fn names() {
        let mut names: Vec<&str> = factories().iter().map(|f| f.name()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
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
            ]
        );
    }
}
