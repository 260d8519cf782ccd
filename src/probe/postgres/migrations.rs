//! Migrations: where each tool records what it applied, how it names its
//! files, and the comparison of the two (pending versions, dirty ones).
//!
//! | tool | table | versions | files |
//! |---|---|---|---|
//! | `golang-migrate` | `schema_migrations(version, dirty)`, one row | the current one | `1_init.up.sql` |
//! | `flyway` | `flyway_schema_history(version, success)` | every row | `V1_2__name.sql` |
//! | `rails` | `schema_migrations(version)` | every row | `20240101000000_name.rb` |
//! | `diesel` | `__diesel_schema_migrations(version)` | every row | `2024-01-01-000000_name/` |
//! | `sqlx` | `_sqlx_migrations(version, success)` | every row | `1_name.sql`, `1_name.up.sql` |
//! | `table` | the table and column given | every row | leading digits of each name |

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

/// The migration tools whose bookkeeping the probe reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    /// golang-migrate: one row, the current version and a dirty flag.
    GolangMigrate,
    /// Flyway: one row per migration, `success` false for a failed one.
    Flyway,
    /// Rails (ActiveRecord): one row per applied version.
    Rails,
    /// Diesel: one row per applied version.
    Diesel,
    /// sqlx: one row per migration, `success` false for a failed one.
    Sqlx,
}

impl Tool {
    /// The table the tool keeps, unqualified.
    pub fn default_table(self) -> &'static str {
        match self {
            Tool::GolangMigrate | Tool::Rails => "schema_migrations",
            Tool::Flyway => "flyway_schema_history",
            Tool::Diesel => "__diesel_schema_migrations",
            Tool::Sqlx => "_sqlx_migrations",
        }
    }

    /// The query listing `(version, dirty)` rows from `table` (already quoted).
    pub fn query(self, table: &str) -> String {
        match self {
            Tool::GolangMigrate => {
                format!("SELECT version::text, dirty FROM {table}")
            }
            Tool::Flyway => {
                format!("SELECT version::text, NOT success FROM {table} WHERE version IS NOT NULL")
            }
            Tool::Rails | Tool::Diesel => format!("SELECT version::text, false FROM {table}"),
            Tool::Sqlx => format!("SELECT version::text, NOT success FROM {table}"),
        }
    }
}

/// A migration version, compared as numbers part by part (`1.10` after `1.9`;
/// Diesel's dashes ignored); text that is not numeric compares as text.
#[derive(Debug, Clone)]
pub struct Version {
    /// As written.
    pub text: String,
    parts: Option<Vec<u128>>,
}

impl Version {
    /// Reads a version as a tool writes it.
    pub fn new(text: &str) -> Version {
        let digits: String = text.chars().filter(|c| *c != '-').collect();
        let parts = digits
            .split(['.', '_'])
            .map(|p| p.parse::<u128>().ok())
            .collect::<Option<Vec<_>>>()
            .filter(|p| !p.is_empty());
        Version {
            text: text.to_owned(),
            parts,
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.parts, &other.parts) {
            (Some(a), Some(b)) => {
                let len = a.len().max(b.len());
                let pad = |v: &Vec<u128>, i: usize| v.get(i).copied().unwrap_or(0);
                (0..len)
                    .map(|i| pad(a, i).cmp(&pad(b, i)))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            }
            _ => self.text.cmp(&other.text),
        }
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The version a migration file or folder name carries, if it is one.
pub fn version_of(tool: Option<Tool>, name: &str) -> Option<Version> {
    let name = name.trim_end_matches('/');
    let stem = match tool {
        Some(Tool::Flyway) => {
            let rest = name.strip_prefix('V')?;
            let (version, _) = rest.split_once("__")?;
            return Some(Version::new(&version.replace('_', ".")));
        }
        Some(Tool::GolangMigrate | Tool::Sqlx) => {
            if name.ends_with(".down.sql") {
                return None;
            }
            name
        }
        _ => name,
    };
    let digits: String = stem
        .chars()
        .take_while(|c| c.is_ascii_digit() || (tool == Some(Tool::Diesel) && *c == '-'))
        .collect();
    let digits = digits.trim_end_matches('-');
    if digits.is_empty() {
        return None;
    }
    let rest = &stem[digits.len()..];
    if !(rest.is_empty() || rest.starts_with(['_', '.', '-'])) {
        return None;
    }
    let text = if tool == Some(Tool::Diesel) {
        digits.replace('-', "")
    } else {
        digits.to_owned()
    };
    Some(Version::new(&text))
}

/// The versions in a migrations folder (files and folders whose names carry one).
pub fn folder_versions(tool: Option<Tool>, dir: &Path) -> Result<Vec<Version>, String> {
    const MAX_ENTRIES: usize = 100_000;
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("migrations folder {}: {e}", dir.display()))?;
    let mut found = BTreeSet::new();
    let mut texts = Vec::new();
    for (i, entry) in entries.enumerate() {
        if i >= MAX_ENTRIES {
            return Err(format!(
                "migrations folder {} holds more than {MAX_ENTRIES} entries",
                dir.display()
            ));
        }
        let entry = entry.map_err(|e| format!("migrations folder {}: {e}", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(v) = version_of(tool, &name)
            && found.insert(v.text.clone())
        {
            texts.push(v);
        }
    }
    texts.sort();
    Ok(texts)
}

/// What the table said against what was expected.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    /// The newest applied version.
    pub current: Option<String>,
    /// Expected versions not applied, oldest first.
    pub pending: Vec<String>,
    /// Versions recorded as failed or dirty.
    pub dirty: Vec<String>,
}

/// Compares applied rows with the versions expected (a folder's, or every
/// version up to a given one). For golang-migrate, whose table holds only the
/// current version, everything up to it counts as applied.
pub fn compare(tool: Option<Tool>, rows: &[(String, bool)], expected: &[Version]) -> State {
    let applied: Vec<Version> = rows.iter().map(|(v, _)| Version::new(v)).collect();
    let current = applied.iter().max().cloned();
    let dirty = rows
        .iter()
        .filter(|(_, d)| *d)
        .map(|(v, _)| v.clone())
        .collect();
    let pending = expected
        .iter()
        .filter(|want| match tool {
            Some(Tool::GolangMigrate) => current.as_ref().is_none_or(|c| c < *want),
            _ => !applied.iter().any(|a| a.cmp(want).is_eq()),
        })
        .map(|v| v.text.clone())
        .collect();
    State {
        current: current.map(|v| v.text),
        pending,
        dirty,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> Version {
        Version::new(text)
    }

    #[test]
    fn file_names_carry_versions_per_tool() {
        let of = |tool, name| version_of(tool, name).map(|v| v.text);
        assert_eq!(
            of(Some(Tool::GolangMigrate), "0003_users.up.sql").as_deref(),
            Some("0003")
        );
        assert_eq!(of(Some(Tool::GolangMigrate), "0003_users.down.sql"), None);
        assert_eq!(
            of(Some(Tool::Flyway), "V1_2__add_index.sql").as_deref(),
            Some("1.2")
        );
        assert_eq!(of(Some(Tool::Flyway), "R__views.sql"), None);
        assert_eq!(
            of(Some(Tool::Rails), "20240101120000_create_users.rb").as_deref(),
            Some("20240101120000")
        );
        assert_eq!(
            of(Some(Tool::Diesel), "2024-01-01-120000_create_users").as_deref(),
            Some("20240101120000")
        );
        assert_eq!(
            of(Some(Tool::Diesel), "00000000000000_diesel_initial_setup").as_deref(),
            Some("00000000000000")
        );
        assert_eq!(
            of(Some(Tool::Sqlx), "20240101_init.sql").as_deref(),
            Some("20240101")
        );
        assert_eq!(of(None, "README.md"), None);
        assert_eq!(of(None, "12abc.sql"), None);
    }

    #[test]
    fn versions_compare_as_numbers() {
        assert!(v("1.10") > v("1.9"));
        assert!(v("0010") > v("9"));
        assert!(v("1.0") == v("1"));
        assert!(v("abc") < v("abd"));
    }

    #[test]
    fn pending_and_dirty_versions_are_listed() {
        let expected = [v("1"), v("2"), v("3")];
        let golang = compare(Some(Tool::GolangMigrate), &[("2".into(), true)], &expected);
        assert_eq!(golang.current.as_deref(), Some("2"));
        assert_eq!(golang.pending, ["3"]);
        assert_eq!(golang.dirty, ["2"]);
        let rails = compare(
            Some(Tool::Rails),
            &[("1".into(), false), ("3".into(), false)],
            &expected,
        );
        assert_eq!(rails.pending, ["2"]);
        assert_eq!(rails.current.as_deref(), Some("3"));
        let none = compare(Some(Tool::Sqlx), &[], &expected);
        assert_eq!(none.pending, ["1", "2", "3"]);
        assert_eq!(none.current, None);
    }
}
