//! Candlefish: production-readiness checklists whose items carry automated
//! probes, a 🟢🟡🔴⚪ status board, and reports for people and CI.
//!
//! The flow, one type across each arrow:
//!
//! ```text
//! YAML ─checklist::load─▶ Checklist ─checklist::validate─▶ Plan ─engine::run─▶ Report ─report::render─▶ text
//! ```
//!
//! Probes never print; renderers never probe; the engine knows nothing about YAML.

pub mod bounded;
pub mod checklist;
pub mod cli;
pub mod commands;
pub mod demo;
pub mod engine;
pub mod import;
pub mod outcome;
pub mod probe;
pub mod report;
pub mod runbook;
pub mod serve;
pub mod state;
