//! [`Text`]: a checklist string that may contain `${var}` references, and the
//! interpolation that resolves them while the checklist is deserialized.
//!
//! Syntax, resolved in this order of precedence for a name: `--var` overrides,
//! the checklist's `vars:`, then the process environment.
//!
//! | form | meaning |
//! |---|---|
//! | `${NAME}` | the value; an error when it is unset |
//! | `${NAME:-default}` | the value, or `default` when unset or empty |
//! | `${NAME-default}` | the value, or `default` when unset |
//! | `$${` | a literal `${` |
//!
//! A value that came from the environment or a `--var` override, directly or
//! through a var, marks the [`Text`] as environment-derived; probes treat such
//! header values and bodies (and such parts of a URL's user info, query and
//! fragment) as secrets.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Deserializer};

/// One resolved variable.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VarValue {
    /// The resolved text.
    pub value: String,
    /// The parts of it that came from the process environment.
    pub env_parts: Vec<String>,
}

impl VarValue {
    fn plain(value: String) -> Self {
        VarValue {
            value,
            env_parts: Vec::new(),
        }
    }
}

/// Where `${NAME}` looks for values.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// `--var NAME=VALUE` overrides: win over everything.
    pub overrides: HashMap<String, String>,
    /// The checklist's resolved `vars:`.
    pub vars: HashMap<String, VarValue>,
    /// A snapshot of the environment.
    pub env: HashMap<String, String>,
    /// Names defined under `vars:` that are not resolved yet: while `vars:` are
    /// resolved, a reference to one of them waits for it rather than falling
    /// through to the environment.
    pub pending: std::collections::HashSet<String>,
    /// For commands that run no probe (`list`, `graph`, `sign`, …): an unset
    /// variable without a default stays `${NAME}` instead of being an error,
    /// so that signing off an item does not need production's secrets.
    pub lenient: bool,
}

/// The error text of a reference to a var that is not resolved yet.
pub(crate) const PENDING: &str = "\u{0}pending:";

impl Scope {
    /// A scope over the current process environment.
    pub fn from_process_env(overrides: HashMap<String, String>) -> Self {
        Scope {
            overrides,
            vars: HashMap::new(),
            env: std::env::vars().collect(),
            pending: std::collections::HashSet::new(),
            lenient: false,
        }
    }

    fn lookup(&self, name: &str) -> Option<VarValue> {
        // `--var` values come from outside the checklist, like the
        // environment's, and are treated the same way.
        if let Some(value) = self.overrides.get(name) {
            return Some(VarValue {
                value: value.clone(),
                env_parts: vec![value.clone()],
            });
        }
        if let Some(value) = self.vars.get(name) {
            return Some(value.clone());
        }
        self.env.get(name).map(|value| VarValue {
            value: value.clone(),
            env_parts: vec![value.clone()],
        })
    }

    /// Resolves every `${...}` in `input`.
    pub fn expand(&self, input: &str) -> Result<VarValue, String> {
        let mut out = String::with_capacity(input.len());
        let mut env_parts = Vec::new();
        let mut rest = input;
        while let Some(pos) = rest.find('$') {
            out.push_str(&rest[..pos]);
            let after = &rest[pos..];
            if let Some(tail) = after.strip_prefix("$${") {
                out.push_str("${");
                rest = tail;
            } else if let Some(tail) = after.strip_prefix("${") {
                let end = matching_brace(tail)
                    .ok_or_else(|| format!("unclosed `${{` in `{input}`: add the closing `}}`"))?;
                let resolved = self.expand_reference(&tail[..end])?;
                env_parts.extend(resolved.env_parts);
                out.push_str(&resolved.value);
                rest = &tail[end + 1..];
            } else {
                out.push('$');
                rest = &after[1..];
            }
        }
        out.push_str(rest);
        Ok(VarValue {
            value: out,
            env_parts,
        })
    }

    /// Resolves the inside of one `${...}`.
    fn expand_reference(&self, inner: &str) -> Result<VarValue, String> {
        let name_len = inner
            .char_indices()
            .find(|&(i, c)| !(c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
            .map_or(inner.len(), |(i, _)| i);
        let (name, modifier) = inner.split_at(name_len);
        if name.is_empty() {
            return Err(format!(
                "`${{{inner}}}` is not a variable reference: names are letters, digits and `_`"
            ));
        }
        if self.pending.contains(name) && !self.overrides.contains_key(name) {
            return Err(format!("{PENDING}{name}"));
        }
        let value = self.lookup(name);
        let (default, empty_counts_as_unset) = if let Some(default) = modifier.strip_prefix(":-") {
            (Some(default), true)
        } else if let Some(default) = modifier.strip_prefix('-') {
            (Some(default), false)
        } else if modifier.is_empty() {
            (None, false)
        } else {
            return Err(format!(
                "`${{{inner}}}`: unsupported modifier `{modifier}`; use `${{{name}:-default}}` or `${{{name}-default}}`"
            ));
        };
        match (value, default) {
            (Some(v), _) if !(empty_counts_as_unset && v.value.is_empty()) => Ok(v),
            (_, Some(default)) => self.expand(default),
            (_, None) if self.lenient => Ok(VarValue::plain(format!("${{{name}}}"))),
            (_, None) => Err(format!(
                "variable `{name}` is not set: define it under `vars:`, pass `--var {name}=VALUE`, export it, or give a default with `${{{name}:-default}}`"
            )),
        }
    }
}

/// The index of the `}` that closes a reference whose body starts at `s`,
/// allowing nested `${...}` in defaults.
fn matching_brace(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

thread_local! {
    static SCOPE: RefCell<Option<Scope>> = const { RefCell::new(None) };
}

/// Runs `f` with `scope` installed for [`Text`] deserialization on this thread.
pub(crate) fn with_scope<T>(scope: Scope, f: impl FnOnce() -> T) -> (T, Scope) {
    SCOPE.with(|cell| *cell.borrow_mut() = Some(scope));
    let result = f();
    let scope = SCOPE
        .with(|cell| cell.borrow_mut().take())
        .unwrap_or_default();
    (result, scope)
}

/// A string from the checklist after `${...}` interpolation.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Text {
    value: String,
    env_parts: Vec<String>,
}

impl Text {
    /// A literal, with no interpolation and not environment-derived.
    pub fn literal(value: impl Into<String>) -> Self {
        Text {
            value: value.into(),
            env_parts: Vec::new(),
        }
    }

    /// A value built at run time (a template filled in): `parts` are the
    /// pieces of it that are secret, as if they came from the environment.
    pub fn with_secret_parts(value: impl Into<String>, parts: Vec<String>) -> Self {
        Text {
            value: value.into(),
            env_parts: parts,
        }
    }

    /// The resolved string.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// Whether any part of the value came from the environment.
    pub fn from_env(&self) -> bool {
        !self.env_parts.is_empty()
    }

    /// The parts of the value that came from the environment.
    pub fn env_parts(&self) -> &[String] {
        &self.env_parts
    }

    /// Resolves `raw` in the scope installed by the loader (literal outside it).
    pub(crate) fn resolve(raw: String) -> Result<Text, String> {
        let resolved = SCOPE.with(|cell| match cell.borrow().as_ref() {
            Some(scope) => scope.expand(&raw),
            None => Ok(VarValue::plain(raw)),
        })?;
        Ok(Text {
            value: resolved.value,
            env_parts: resolved.env_parts,
        })
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from_env() {
            f.write_str("Text(<from environment>)")
        } else {
            write!(f, "Text({:?})", self.value)
        }
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.value
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Text::resolve(raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        let mut scope = Scope::default();
        scope.env.insert("HOST".into(), "example.com".into());
        scope.env.insert("EMPTY".into(), String::new());
        scope
            .vars
            .insert("api".into(), VarValue::plain("https://api.test".into()));
        scope
    }

    #[test]
    fn expands_vars_env_and_defaults() {
        let s = scope();
        assert_eq!(
            s.expand("${api}/health").unwrap().value,
            "https://api.test/health"
        );
        let env = s.expand("https://${HOST}/").unwrap();
        assert_eq!(env.value, "https://example.com/");
        assert_eq!(env.env_parts, vec!["example.com".to_owned()]);
        assert_eq!(s.expand("${NOPE:-fallback}").unwrap().value, "fallback");
        assert_eq!(s.expand("${EMPTY:-fallback}").unwrap().value, "fallback");
        assert_eq!(s.expand("${EMPTY-fallback}").unwrap().value, "");
        assert_eq!(
            s.expand("${NOPE:-${api}}").unwrap().value,
            "https://api.test"
        );
        assert_eq!(
            s.expand("cost $5 and $${api}").unwrap().value,
            "cost $5 and ${api}"
        );
    }

    #[test]
    fn a_pending_var_is_waited_for_not_taken_from_the_environment() {
        let mut s = scope();
        s.env.insert("later".into(), "from the environment".into());
        s.pending.insert("later".into());
        let waiting = s.expand("${later:-default}/x").unwrap_err();
        assert!(waiting.starts_with(PENDING), "{waiting}");
        s.pending.clear();
        s.vars
            .insert("later".into(), VarValue::plain("from vars".into()));
        assert_eq!(s.expand("${later}/x").unwrap().value, "from vars/x");
    }

    #[test]
    fn overrides_win() {
        let mut s = scope();
        s.overrides
            .insert("api".into(), "http://127.0.0.1:1".into());
        assert_eq!(s.expand("${api}").unwrap().value, "http://127.0.0.1:1");
    }

    #[test]
    fn errors_name_the_variable() {
        let s = scope();
        let err = s.expand("${MISSING}/x").unwrap_err();
        assert!(err.starts_with("variable `MISSING` is not set"), "{err}");
        assert!(s.expand("${api").unwrap_err().starts_with("unclosed"));
        assert!(
            s.expand("${api?x}")
                .unwrap_err()
                .contains("unsupported modifier")
        );
        assert!(
            s.expand("${}")
                .unwrap_err()
                .contains("not a variable reference")
        );
    }
}
