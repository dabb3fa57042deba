//! Integration tests against a real anvil chain, one module per area.
#![allow(clippy::unwrap_used)]

mod registry;
