//! Candlefish's integration tests: the real binary against servers these tests
//! start on 127.0.0.1. One test target; one module per area.

mod alerting;
mod apps;
#[cfg(feature = "aws-ec2")]
mod aws_ec2;
#[cfg(all(feature = "aws-wafv2", feature = "aws-eks"))]
mod aws_edge;
#[cfg(feature = "aws")]
mod aws_estate;
#[cfg(feature = "aws-rds")]
mod aws_rds;
#[cfg(feature = "aws")]
mod aws_services;
mod board;
mod catalogue;
mod certs;
mod check;
mod cli;
mod compression;
mod cors;
mod daemon;
mod deadlines;
mod deploy;
mod diff;
mod dns;
mod durability;
mod engine;
mod errors;
mod evidence;
mod exec;
mod files;
mod flow_app;
mod flows;
mod fly;
mod fly_api;
mod gate;
mod github;
mod grafana;
mod graphql;
mod hostile;
mod html;
mod http_features;
mod import;
mod includes;
mod interrupts;
mod junit;
mod kube_api;
mod kube_objects;
mod kubernetes;
mod kubernetes_checks;
mod launch_record;
#[cfg(feature = "aws")]
mod moto;
mod nginx;
mod nginx_tls;
mod openapi;
mod postgres;
mod postgres_server;
mod production;
mod prometheus;
mod prometheus_server;
mod pty;
mod rate_limit;
mod record_html;
mod redis;
mod redis_server;
mod renderers;
mod reports;
mod runbook;
mod runbook_pty;
mod scale;
mod schema;
mod security_headers;
mod serve;
mod serve_support;
mod shard;
mod signoff;
mod stamps;
mod support;
mod tcp;
mod terminal;
mod tls;
mod tls_support;
mod trust;
mod web_secrets;
mod web_tls;
mod websocket;
mod wording;
