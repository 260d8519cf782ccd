//! Candlefish's integration tests: the real binary against servers these tests
//! start on 127.0.0.1. One test target; one module per area.

mod apps;
mod board;
mod catalogue;
mod certs;
mod check;
mod cli;
mod cors;
mod dns;
mod durability;
mod engine;
mod errors;
mod exec;
mod files;
mod graphql;
mod hostile;
mod http_features;
mod nginx;
mod openapi;
mod production;
mod rate_limit;
mod schema;
mod security_headers;
mod signoff;
mod support;
mod tcp;
mod tls;
mod tls_support;
mod web_secrets;
mod websocket;
