//! Candlefish's integration tests: the real binary against servers these tests
//! start on 127.0.0.1. One test target; one module per area.

mod board;
mod catalogue;
mod check;
mod cli;
mod diff;
mod errors;
mod gate;
mod github;
mod html;
mod import;
mod junit;
mod production;
mod renderers;
mod reports;
mod schema;
mod support;
