//! Candlefish's integration tests: the real binary against servers these tests
//! start on 127.0.0.1. One test target; one module per area.

mod board;
mod catalogue;
mod check;
mod cli;
mod dns;
mod durability;
mod engine;
mod errors;
mod exec;
mod files;
mod production;
mod schema;
mod signoff;
mod support;
mod tcp;
mod tls;
mod tls_support;
mod websocket;
