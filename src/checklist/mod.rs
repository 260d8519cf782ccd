//! The checklist: its model ([`model`]), loading with `${var}` interpolation
//! ([`load`], [`text`]), the semantic pass ([`validate`]) and the diagnostics a
//! person reads when something is wrong ([`diagnostic`]).

pub mod diagnostic;
pub mod due;
pub mod flows;
pub mod load;
pub mod model;
pub mod runbook;
pub mod scalar;
pub mod text;
pub mod validate;
pub mod yaml_budget;

use std::collections::HashMap;
use std::path::Path;

pub use diagnostic::{Diagnostic, Severity};
pub use load::Source;
pub use model::Checklist;
pub use validate::PlanOptions;

use crate::engine::plan::Plan;

/// How to load a checklist.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--var NAME=VALUE` overrides.
    pub overrides: HashMap<String, String>,
    /// The environment; `None` reads the process environment.
    pub env: Option<HashMap<String, String>>,
    /// Plan options (default timeout, …).
    pub plan: PlanOptions,
    /// Nothing will run (`list`, `graph`, `sign`, a launch record): unset
    /// variables stay `${NAME}` and probe settings are not checked.
    pub nothing_runs: bool,
}

/// A checklist that loaded and validated.
#[derive(Debug)]
pub struct Loaded {
    /// The checklist's text and then every file it includes, for rendering warnings.
    pub sources: Vec<Source>,
    /// The typed checklist.
    pub checklist: Checklist,
    /// What the engine runs.
    pub plan: Plan,
    /// The launch-day runbook, when the checklist has one.
    pub runbook: Option<crate::runbook::plan::Runbook>,
    /// Warnings (never errors).
    pub warnings: Vec<Diagnostic>,
}

/// Why a checklist could not be used.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be read at all.
    Io(String),
    /// The file was read and has problems.
    Invalid {
        /// The checklist's text and every file it includes, for rendering.
        sources: Vec<Source>,
        /// Every problem found, errors first.
        diagnostics: Vec<Diagnostic>,
    },
}

impl LoadError {
    /// Renders the error for a terminal.
    pub fn render(&self, color: bool) -> String {
        match self {
            LoadError::Io(message) => format!("error: {message}\n"),
            LoadError::Invalid {
                sources,
                diagnostics,
            } => render_all(sources, diagnostics, color),
        }
    }
}

/// Renders several diagnostics, each against the file it is about, and a
/// closing count named after the checklist (`sources[0]`).
pub fn render_all(sources: &[Source], diagnostics: &[Diagnostic], color: bool) -> String {
    let mut out = String::new();
    let Some(root) = sources.first() else {
        return out;
    };
    for d in diagnostics {
        let source = sources.get(d.file() as usize).unwrap_or(root);
        out.push_str(&d.render(&source.name, &source.text, color));
        out.push('\n');
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if errors > 0 {
        let plural = if errors == 1 { "" } else { "s" };
        out.push_str(&format!(
            "{}: {errors} error{plural}; nothing was run\n",
            root.name
        ));
    }
    out
}

/// Reads, parses and validates a checklist file.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Loaded, LoadError> {
    let source = load::read(path).map_err(LoadError::Io)?;
    let mut options = options.clone();
    if options.plan.base_dir.is_none() {
        options.plan.base_dir = Some(directory_of(path));
    }
    load_source(source, &options)
}

/// The directory a file is in: `.` for a bare file name.
pub fn directory_of(path: &Path) -> std::path::PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}

/// Parses and validates checklist text.
pub fn load_source(source: Source, options: &LoadOptions) -> Result<Loaded, LoadError> {
    let scope = text::Scope {
        overrides: options.overrides.clone(),
        vars: HashMap::new(),
        env: options
            .env
            .clone()
            .unwrap_or_else(|| std::env::vars().collect()),
        pending: std::collections::HashSet::new(),
        lenient: options.nothing_runs,
    };
    let mut sources = vec![source];
    let checklist = match load::parse(&mut sources, scope) {
        Ok(mut checklist) => {
            checklist.inherit_defaults();
            checklist.inherit_aws_defaults();
            checklist
        }
        Err(diagnostics) => {
            return Err(LoadError::Invalid {
                sources,
                diagnostics,
            });
        }
    };
    let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
    let mut plan_options = options.plan.clone();
    plan_options.nothing_runs = options.nothing_runs;
    let mut validated = validate::validate(&checklist, &names, &plan_options);
    // A diagnostic may quote a value (a malformed URL, a header): never a secret.
    let redactor = crate::engine::redact::Redactor::new(checklist.secrets());
    for d in &mut validated.diagnostics {
        d.message = redactor.apply(&d.message);
        d.help = d.help.as_deref().map(|h| redactor.apply(h));
        d.note = d.note.as_deref().map(|n| redactor.apply(n));
    }
    match validated.plan {
        Some(plan) => Ok(Loaded {
            sources,
            checklist,
            plan,
            runbook: validated.runbook,
            warnings: validated.diagnostics,
        }),
        None => Err(LoadError::Invalid {
            sources,
            diagnostics: validated.diagnostics,
        }),
    }
}
