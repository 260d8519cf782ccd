//! Reading a checklist file: bytes → UTF-8 → `vars:` resolved → typed
//! [`Checklist`], with every parse error turned into a [`Diagnostic`].
//!
//! Loading happens in two passes over the same text. The first reads only
//! `vars:` and resolves them against the environment and `--var` overrides; the
//! second deserializes the whole file with those variables in scope, so every
//! `${name}` is resolved where it is read and an unset one is reported at its
//! own line and column.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_saphyr::{Error as YamlError, Spanned};

use crate::checklist::diagnostic::{Diagnostic, Span, did_you_mean};
use crate::checklist::model::Checklist;
use crate::checklist::text::{Scope, with_scope};
use crate::probe::KIND_NAMES;

/// Checklists larger than this are refused before parsing.
pub const MAX_FILE_SIZE: u64 = 16 << 20;

/// The text of a checklist and the name to show for it.
#[derive(Debug, Clone)]
pub struct Source {
    /// The path as given.
    pub name: String,
    /// The whole file.
    pub text: String,
}

#[derive(Deserialize)]
struct VarsOnly {
    #[serde(default)]
    vars: IndexMap<String, Spanned<String>>,
}

fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! { with_snippet: false }
}

/// Parses `source` with `scope` (the environment and overrides).
pub fn parse(source: &Source, mut scope: Scope) -> Result<Checklist, Vec<Diagnostic>> {
    if source.text.trim().is_empty() {
        return Err(vec![
            Diagnostic::error("the checklist is empty", None).with_help(
                "start with `version: 1`, a `name:` and `sections:`; see `candlefish --help`",
            ),
        ]);
    }
    let vars = serde_saphyr::from_str_with_options::<VarsOnly>(&source.text, yaml_options())
        .map_err(|e| vec![diagnostic_from(&e)])?
        .vars;
    let mut problems = Vec::new();
    for (name, raw) in &vars {
        if !is_var_name(name) {
            problems.push(
                Diagnostic::error(
                    format!("`{name}` is not a valid variable name"),
                    Span::from_location(&raw.referenced),
                )
                .with_help("names are letters, digits and `_`, not starting with a digit"),
            );
            continue;
        }
        match scope.expand(&raw.value) {
            Ok(value) => {
                scope.vars.insert(name.clone(), value);
            }
            Err(message) => problems.push(Diagnostic::error(
                format!("in var `{name}`: {message}"),
                Span::from_location(&raw.referenced),
            )),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let (parsed, _) = with_scope(scope, || {
        serde_saphyr::from_str_with_options::<Checklist>(&source.text, yaml_options())
    });
    parsed.map_err(|e| vec![diagnostic_from(&e)])
}

fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Reads a checklist file, refusing what is too large or not UTF-8.
pub fn read(path: &std::path::Path) -> Result<Source, String> {
    let name = path.display().to_string();
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read {name}: {}", io_reason(&e)))?;
    if meta.is_dir() {
        return Err(format!("{name} is a directory, not a checklist file"));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(format!(
            "{name} is {} MiB; checklists larger than {} MiB are refused",
            meta.len() >> 20,
            MAX_FILE_SIZE >> 20
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read {name}: {}", io_reason(&e)))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{name} is not UTF-8 (invalid byte at offset {}); save it as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(Source { name, text })
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

/// Turns a YAML or shape error into a diagnostic with a hint.
pub fn diagnostic_from(error: &YamlError) -> Diagnostic {
    let span = error.location().and_then(|l| Span::from_location(&l));
    match error.without_snippet() {
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => {
            let is_probe = expected.contains(&KIND_NAMES[0]) && expected.contains(&"timeout");
            let what = if is_probe {
                "unknown probe kind or option"
            } else {
                "unknown key"
            };
            let diagnostic = Diagnostic::error(format!("{what} `{field}`"), span);
            with_suggestion(diagnostic, field, expected)
        }
        YamlError::SerdeUnknownVariant {
            variant, expected, ..
        } => {
            let diagnostic = Diagnostic::error(format!("unknown value `{variant}`"), span);
            with_suggestion(diagnostic, variant, expected)
        }
        YamlError::SerdeMissingField { field, .. } => {
            Diagnostic::error(format!("missing key `{field}`"), span)
                .with_help(format!("add `{field}:` to this mapping"))
        }
        YamlError::DuplicateMappingKey { key, .. } => Diagnostic::error(
            format!("duplicate key `{}`", key.as_deref().unwrap_or("?")),
            span,
        )
        .with_help("each key may appear once in a mapping; remove one of them"),
        other => Diagnostic::error(strip_location(&other.to_string()), span),
    }
}

fn with_suggestion(diagnostic: Diagnostic, word: &str, expected: &[&str]) -> Diagnostic {
    // `timeout` and `name` belong to the probe, beside its kind; people often
    // write them inside the kind's settings.
    let is_kind_settings = !expected.contains(&"timeout") && expected.contains(&"url");
    if is_kind_settings && let Some(common) = did_you_mean(word, ["timeout", "name"]) {
        return diagnostic.with_help(format!(
            "`{common}` is set on the probe, beside the kind: `probe: {{ http: {{ ... }}, {common}: ... }}`"
        ));
    }
    match did_you_mean(word, expected.iter().copied()) {
        Some(best) => diagnostic.with_help(format!("did you mean `{best}`?")),
        None if expected.is_empty() => diagnostic,
        None => diagnostic.with_help(format!("expected one of: {}", expected.join(", "))),
    }
}

/// Drops serde-saphyr's ` at line N, column M` suffix: the arrow says where.
fn strip_location(message: &str) -> String {
    let trimmed = match message.rfind(" at line ") {
        Some(pos) if message[pos..].contains(", column ") => &message[..pos],
        _ => message,
    };
    trimmed.to_owned()
}

/// The `--var` overrides as a map, rejecting malformed ones.
pub fn parse_overrides(pairs: &[String]) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("--var `{pair}` needs the form NAME=VALUE"))?;
        if !is_var_name(name) {
            return Err(format!("--var `{name}` is not a valid variable name"));
        }
        out.insert(name.to_owned(), value.to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_only_the_location_suffix() {
        assert_eq!(
            strip_location("invalid u32 at line 1, column 10"),
            "invalid u32"
        );
        assert_eq!(strip_location("look at line noise"), "look at line noise");
    }

    #[test]
    fn overrides_need_name_and_value() {
        assert_eq!(parse_overrides(&["a=b=c".into()]).unwrap()["a"], "b=c");
        assert!(parse_overrides(&["nope".into()]).is_err());
        assert!(parse_overrides(&["1x=y".into()]).is_err());
    }
}
