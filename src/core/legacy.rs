//! Legacy (v0–v3) device views derived from v4 features.
