//! What the YAML parser may spend on one checklist file.
//!
//! Plain YAML costs what it weighs: a file is at most
//! [`MAX_FILE_SIZE`](crate::checklist::load::MAX_FILE_SIZE) bytes, so its nodes
//! are bounded by its size, and no count of plain nodes is imposed (generated
//! fleet checklists of 50,000 items and more load). What can cost far more
//! than it weighs is an alias (`*name`), which repeats everything its anchor
//! holds: nine lines of nested aliases (a "billion laughs") stand for billions
//! of nodes. Aliases therefore get their own budget — the nodes and the text
//! they repeat, counted as they are replayed, across the whole file — and a
//! file that exceeds it is refused at the alias that crossed it, before the
//! expansion is built.
//!
//! What else remains: nesting (serde-saphyr's depth budget, 64 levels of YAML,
//! about 30 of items), flow collections nested at most 255 deep, and at most
//! 1,024 YAML documents in a stream.

use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::{Error as YamlError, Options};

use crate::checklist::diagnostic::{Diagnostic, Span};

/// Nodes (parser events) that aliases may repeat, in total, in one file.
pub const MAX_ALIAS_EXPANSION: usize = 1_000_000;

/// Bytes of text that aliases may repeat, in total, in one file.
pub const MAX_ALIAS_TEXT: usize = 64 << 20;

/// How deeply aliases may nest inside what other aliases repeat.
pub const MAX_ALIAS_NESTING: usize = 64;

/// The parser options every checklist file (and its `vars:` pass) is read with.
pub fn options() -> Options {
    let mut budget = serde_saphyr::Budget::default();
    // Plain nodes are bounded by the file size; the counts below also include
    // what aliases replay, which `alias_limits` bounds on its own.
    budget.max_events = usize::MAX;
    budget.max_nodes = usize::MAX;
    budget.max_aliases = usize::MAX;
    budget.max_anchors = usize::MAX;
    // One anchor of shared settings used by every item of a fleet is the
    // normal case, not a bomb: the expansion budget is the limit.
    budget.enforce_alias_anchor_ratio = false;
    // Plain text is at most the file's size, so this counts what aliases repeat.
    budget.max_total_scalar_bytes = MAX_ALIAS_TEXT;
    // What an anchor holds is kept to be replayed; an anchor whose content
    // comes from aliases is charged here first.
    budget.max_recorded_anchor_events = MAX_ALIAS_EXPANSION;
    budget.max_recorded_anchor_bytes = MAX_ALIAS_TEXT;
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = MAX_ALIAS_EXPANSION;
    alias_limits.max_replay_stack_depth = MAX_ALIAS_NESTING;
    serde_saphyr::options! {
        with_snippet: false,
        budget: Some(budget),
        alias_limits: alias_limits,
    }
}

/// A diagnostic for an error that means the alias budget ran out; `None` for
/// any other error.
pub fn diagnostic(error: &YamlError, span: Option<Span>) -> Option<Diagnostic> {
    // An error met while replaying an alias comes wrapped with the alias's
    // locations.
    let mut inner = error.without_snippet();
    while let YamlError::AliasError { error, .. } | YamlError::WithSnippet { error, .. } = inner {
        inner = error;
    }
    let what = match inner {
        YamlError::AliasReplayLimitExceeded { .. }
        | YamlError::Budget {
            breach: BudgetBreach::RecordedAnchorEvents { .. },
            ..
        } => format!(
            "aliases expand to more than {} nodes",
            thousands(MAX_ALIAS_EXPANSION)
        ),
        YamlError::Budget {
            breach: BudgetBreach::ScalarBytes { .. } | BudgetBreach::RecordedAnchorBytes { .. },
            ..
        } => format!(
            "aliases expand to more than {} MiB of text",
            MAX_ALIAS_TEXT >> 20
        ),
        YamlError::AliasReplayStackDepthExceeded { .. } => format!(
            "aliases nest more than {MAX_ALIAS_NESTING} deep (an alias inside what an alias repeats)"
        ),
        _ => return None,
    };
    Some(
        Diagnostic::error(
            format!("{what}: the checklist's budget for YAML aliases"),
            span,
        )
        .with_help(
            "an alias (`*name`) repeats everything its anchor (`&name`) holds; \
             write the repeated part out, or repeat a smaller anchor",
        ),
    )
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Anything {
        #[allow(dead_code)]
        x: serde_json::Value,
    }

    fn parse(yaml: &str) -> Result<Anything, YamlError> {
        serde_saphyr::from_str_with_options(yaml, options())
    }

    /// Nine levels of ten aliases each: 10^9 scalars if expanded.
    fn laughs() -> String {
        let mut yaml = String::from("a0: &a0 [lol]\n");
        for level in 1..=9 {
            let prev = format!("*a{}", level - 1);
            yaml.push_str(&format!(
                "a{level}: &a{level} [{}]\n",
                vec![prev; 10].join(", ")
            ));
        }
        yaml.push_str("x: *a9\n");
        yaml
    }

    #[test]
    fn a_billion_laughs_is_refused_with_its_budget() {
        let err = parse(&laughs()).expect_err("refused");
        let diagnostic = diagnostic(&err, None).unwrap_or_else(|| panic!("an alias error: {err}"));
        assert!(
            diagnostic
                .message
                .contains("aliases expand to more than 1,000,000 nodes"),
            "{}",
            diagnostic.message
        );
    }

    #[test]
    fn long_text_repeated_by_aliases_is_refused() {
        let big = "y".repeat(1 << 20);
        let aliases = vec!["*t"; 80].join(", ");
        let err = parse(&format!("t: &t {big}\nx: [{aliases}]\n")).expect_err("refused");
        let diagnostic = diagnostic(&err, None).unwrap_or_else(|| panic!("an alias error: {err}"));
        assert!(
            diagnostic.message.contains("64 MiB of text"),
            "{}",
            diagnostic.message
        );
    }

    #[test]
    fn many_aliases_of_one_anchor_are_fine() {
        let aliases = vec!["*d"; 20_000].join(", ");
        assert!(
            parse(&format!(
                "d: &d {{ timeout: 5s, retries: 2 }}\nx: [{aliases}]\n"
            ))
            .is_ok(),
            "20,000 aliases of one anchor (no ratio heuristic)"
        );
    }

    #[test]
    fn other_errors_are_not_budget_errors() {
        let err = parse("x: [").expect_err("syntax");
        assert!(diagnostic(&err, None).is_none());
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
    }
}
