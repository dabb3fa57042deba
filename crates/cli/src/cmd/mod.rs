//! One module per subcommand, each with an `Args` struct and a `run`.

pub(crate) mod certifier;
pub(crate) mod demo;
pub(crate) mod devnet;
pub(crate) mod hash;
pub(crate) mod registry;
pub(crate) mod service;
pub(crate) mod user;
