//! Reading a checklist file: bytes → UTF-8 → `vars:` resolved → typed
//! [`Checklist`], with every parse error turned into a [`Diagnostic`].
//!
//! Loading happens in two passes over the same text. The first reads only
//! `vars:` and resolves them against the environment and `--var` overrides; the
//! second deserializes the whole file with those variables in scope, so every
//! `${name}` is resolved where it is read and an unset one is reported at its
//! own line and column.
//!
//! A checklist may `include:` other files (paths or glob patterns relative to
//! the including file). Each is parsed with the same variables, its items keep
//! the index of the file they came from, and their sections are appended in
//! order, so every later diagnostic still points at the right file, line and
//! column.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;
use serde_saphyr::{Error as YamlError, Spanned};

use crate::checklist::diagnostic::{Diagnostic, Span, did_you_mean};
use crate::checklist::model::{Checklist, Item, Part};
use crate::checklist::text::{Scope, with_scope};
use crate::probe::KIND_NAMES;

/// Checklists larger than this are refused before parsing.
pub const MAX_FILE_SIZE: u64 = 16 << 20;

/// At most this many files make up one checklist, the checklist included.
pub const MAX_FILES: usize = 256;

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
    crate::checklist::yaml_budget::options()
}

/// Parses the checklist `sources[0]` with `scope` (the environment and
/// overrides), then every file it includes; the included files are appended to
/// `sources`, in the order they were read, whether or not they parse.
pub fn parse(sources: &mut Vec<Source>, scope: Scope) -> Result<Checklist, Vec<Diagnostic>> {
    let source = &sources[0];
    if source.text.trim().is_empty() {
        return Err(vec![
            Diagnostic::error("the checklist is empty", None).with_help(
                "start with `version: 1`, a `name:` and `sections:`; see `candlefish --help`",
            ),
        ]);
    }
    // The quick way first: `vars:` read from its own lines. It is kept only
    // when it resolves cleanly and the full parse reads the same `vars:`;
    // otherwise the file is read the careful way, whole, as if it had not
    // been tried (so a syntax error anywhere is still reported first).
    let quick = match vars_block(&source.text) {
        QuickVars::Absent => Some(IndexMap::new()),
        QuickVars::Block(text) => {
            serde_saphyr::from_str_with_options::<VarsOnly>(&text, yaml_options())
                .ok()
                .map(|v| v.vars)
        }
        QuickVars::Unsure => None,
    };
    if let Some(vars) = quick
        && let Ok(resolved) = resolve_vars(&vars, scope.clone())
    {
        let read = sources.len();
        if let Ok(checklist) = parse_resolved(sources, resolved)
            && same_vars(&checklist.vars, &vars)
        {
            return Ok(checklist);
        }
        sources.truncate(read);
    }
    let source = &sources[0];
    let vars = serde_saphyr::from_str_with_options::<VarsOnly>(&source.text, yaml_options())
        .map_err(|e| vec![diagnostic_from(&e)])?
        .vars;
    let scope = resolve_vars(&vars, scope)?;
    parse_resolved(sources, scope)
}

/// What reading `vars:` from its own lines found.
#[derive(Debug, PartialEq)]
enum QuickVars {
    /// The block alone, every line before it left empty so that lines keep
    /// their numbers and the block its columns.
    Block(String),
    /// No line starts with `vars:` in a plain block mapping.
    Absent,
    /// Not a plain block mapping with at most one `vars:` at the start of a
    /// line (flow style, several documents, directives): parse it whole.
    Unsure,
}

/// The checklist's top-level `vars:` block, read from its lines. What it
/// finds is trusted only if the full parse then reads the same `vars:`.
fn vars_block(text: &str) -> QuickVars {
    let mut out = String::new();
    let mut lines = text.split_inclusive('\n');
    let mut found = false;
    let mut content = false;
    for line in lines.by_ref() {
        if line.starts_with("vars:") {
            found = true;
            out.push_str(line);
            break;
        }
        // One document marker may open the file.
        let opens = !content && line.trim_end() == "---";
        if line.starts_with(['{', '[', '%', '&', '*', '!', '?', '"', '\'', '-', '.']) && !opens {
            return QuickVars::Unsure;
        }
        content |= !(line.starts_with('#') || line.trim().is_empty());
        out.push('\n');
    }
    if !found {
        return QuickVars::Absent;
    }
    let mut ended = false;
    for line in lines {
        let top = !(line.starts_with([' ', '\t', '#', '\n', '\r']) || line.trim().is_empty());
        if top {
            // The rest is only checked: another `vars:` or a document marker
            // means the quick way could read something else than the parser.
            if line.starts_with("vars:") || line.starts_with("---") || line.starts_with("...") {
                return QuickVars::Unsure;
            }
            ended = true;
        }
        if !ended {
            out.push_str(line);
        }
    }
    QuickVars::Block(out)
}

/// Whether the full parse read the same `vars:` as the quick way.
fn same_vars(
    full: &IndexMap<String, Spanned<String>>,
    quick: &IndexMap<String, Spanned<String>>,
) -> bool {
    full.len() == quick.len()
        && full.iter().zip(quick).all(|((a, av), (b, bv))| {
            a == b
                && av.value == bv.value
                && av.referenced.line() == bv.referenced.line()
                && av.referenced.column() == bv.referenced.column()
        })
}

/// Resolves `vars:` into `scope`, or says every var that cannot be.
fn resolve_vars(
    vars: &IndexMap<String, Spanned<String>>,
    mut scope: Scope,
) -> Result<Scope, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    // Vars may use each other in any order: resolve in passes, a var waiting
    // while one it uses is still unresolved (so that `${b}` means the `b` under
    // `vars:`, never an environment variable of the same name). A var's own
    // name inside it means the environment: `API: ${API:-https://…}`. A var
    // that `--var` overrides is not resolved at all.
    let mut waiting: Vec<(&String, &Spanned<String>)> = Vec::new();
    for (name, raw) in vars {
        if !is_var_name(name) {
            problems.push(
                Diagnostic::error(
                    format!("`{name}` is not a valid variable name"),
                    Span::from_location(&raw.referenced),
                )
                .with_help("names are letters, digits and `_`, not starting with a digit"),
            );
        } else if !scope.overrides.contains_key(name) {
            scope.pending.insert(name.clone());
            waiting.push((name, raw));
        }
    }
    loop {
        let before = waiting.len();
        let mut still = Vec::new();
        for (name, raw) in waiting {
            scope.pending.remove(name);
            match scope.expand(&raw.value) {
                Ok(value) => {
                    scope.vars.insert(name.clone(), value);
                }
                Err(message) if message.starts_with(crate::checklist::text::PENDING) => {
                    scope.pending.insert(name.clone());
                    still.push((name, raw));
                }
                Err(message) => problems.push(Diagnostic::error(
                    format!("in var `{name}`: {message}"),
                    Span::from_location(&raw.referenced),
                )),
            }
        }
        waiting = still;
        if waiting.is_empty() || waiting.len() == before {
            break;
        }
    }
    // What still waits is in a circle, or uses a var that is.
    let uses: HashMap<&str, Vec<&str>> = waiting
        .iter()
        .map(|(name, raw)| {
            let refs = references(&raw.value)
                .into_iter()
                .filter(|r| *r != name.as_str() && waiting.iter().any(|(w, _)| w.as_str() == *r))
                .collect();
            (name.as_str(), refs)
        })
        .collect();
    for (name, raw) in &waiting {
        let message = match circle(name, &uses) {
            Some(path) => format!("var `{name}` is in a circle: {}", path.join(" → ")),
            None => format!(
                "var `{name}` cannot be resolved: it uses {}, which is in a circle",
                uses[name.as_str()]
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        problems.push(
            Diagnostic::error(message, Span::from_location(&raw.referenced))
                .with_help("vars may use each other in any order, but not in a circle"),
        );
    }
    scope.pending.clear();
    if problems.is_empty() {
        Ok(scope)
    } else {
        Err(problems)
    }
}

/// The whole of `sources[0]` (and what it includes) parsed with the vars resolved.
fn parse_resolved(sources: &mut Vec<Source>, scope: Scope) -> Result<Checklist, Vec<Diagnostic>> {
    let source = &sources[0];
    let (parsed, scope) = with_scope(scope, || {
        parse_collecting(&source.text, diagnostic_from, |text| {
            serde_saphyr::from_str_with_options::<Checklist>(text, yaml_options())
        })
    });
    let mut checklist = parsed?;
    if checklist.include.is_empty() {
        let (_, problems) = crate::checklist::flows::resolve(&mut checklist, sources, scope);
        return if problems.is_empty() {
            Ok(checklist)
        } else {
            Err(problems)
        };
    }
    let mut includer = Includer {
        sources,
        seen: HashMap::new(),
        stack: vec![0],
        scope: Some(scope),
        problems: Vec::new(),
    };
    if let Some(root) = includer.sources.first()
        && let Ok(path) = std::fs::canonicalize(&root.name)
    {
        includer.seen.insert(path, 0);
    }
    let entries = std::mem::take(&mut checklist.include);
    includer.include(0, &entries, &mut checklist.sections);
    checklist.include = entries;
    if !includer.problems.is_empty() {
        return Err(includer.problems);
    }
    let scope = includer.scope.take().unwrap_or_default();
    let (_, problems) = crate::checklist::flows::resolve(&mut checklist, sources, scope);
    if problems.is_empty() {
        Ok(checklist)
    } else {
        Err(problems)
    }
}

/// Reads included files into the sources, depth first.
struct Includer<'a> {
    sources: &'a mut Vec<Source>,
    /// Every file read so far (canonical path → index), to refuse cycles and repeats.
    seen: HashMap<PathBuf, u32>,
    /// The files being included right now, outermost first, to name a cycle.
    stack: Vec<u32>,
    scope: Option<Scope>,
    problems: Vec<Diagnostic>,
}

impl Includer<'_> {
    /// Includes the files `entries` of file `from`, appending their sections to `out`.
    fn include(&mut self, from: u32, entries: &[Spanned<String>], out: &mut Vec<Item>) {
        let base = crate::checklist::directory_of(Path::new(&self.sources[from as usize].name));
        for entry in entries {
            let span = Span::from_location(&entry.referenced).map(|s| s.in_file(from));
            let fail = |message: String, help: Option<&str>| {
                let d = Diagnostic::error(message, span).in_file(from);
                match help {
                    Some(help) => d.with_help(help),
                    None => d,
                }
            };
            let globbed = entry.value.contains(['*', '?', '[']);
            let paths = match expand(&base, &entry.value) {
                Ok(paths) => paths,
                Err(message) => {
                    self.problems.push(fail(message, None));
                    continue;
                }
            };
            for path in paths {
                let name = path.display().to_string();
                let canonical = match std::fs::canonicalize(&path) {
                    Ok(canonical) => canonical,
                    Err(e) => {
                        self.problems.push(fail(
                            format!("cannot include {name}: {}", crate::bounded::io_reason(&e)),
                            Some("include paths are relative to the file that names them"),
                        ));
                        continue;
                    }
                };
                if let Some(&first) = self.seen.get(&canonical) {
                    // A pattern may well match a file already read (through a
                    // link, or a pattern that also matches the including file):
                    // it is read once. A path written out is an error.
                    if !globbed {
                        self.problems.push(self.repeated(first, &name, span, from));
                    }
                    continue;
                }
                if self.sources.len() >= MAX_FILES {
                    self.problems.push(fail(
                        format!(
                            "{name} would be file {}; a checklist is at most {MAX_FILES} files",
                            MAX_FILES + 1
                        ),
                        None,
                    ));
                    return;
                }
                let source = match read(&path) {
                    Ok(source) => source,
                    Err(message) => {
                        self.problems
                            .push(fail(format!("cannot include: {message}"), None));
                        continue;
                    }
                };
                let index = u32::try_from(self.sources.len()).unwrap_or(u32::MAX);
                self.seen.insert(canonical, index);
                self.sources.push(source);
                let text = &self.sources[index as usize].text;
                let (parsed, scope) = with_scope(self.scope.take().unwrap_or_default(), || {
                    parse_collecting(text, part_diagnostic, |text| {
                        serde_saphyr::from_str_with_options::<Part>(text, yaml_options())
                    })
                });
                self.scope = Some(scope);
                match parsed {
                    Ok(mut part) => {
                        for section in &mut part.sections {
                            section.set_origin(index);
                        }
                        out.append(&mut part.sections);
                        self.stack.push(index);
                        self.include(index, &part.include, out);
                        self.stack.pop();
                    }
                    Err(found) => self
                        .problems
                        .extend(found.into_iter().map(|d| d.in_file(index))),
                }
            }
        }
    }
}

impl Includer<'_> {
    /// Why file `first`, named again as `name` in file `from`, is not read twice.
    fn repeated(&self, first: u32, name: &str, span: Option<Span>, from: u32) -> Diagnostic {
        let names = |i: &u32| self.sources[*i as usize].name.as_str();
        if let Some(start) = self.stack.iter().position(|&i| i == first) {
            let mut chain: Vec<&str> = self.stack[start..].iter().map(names).collect();
            chain.push(names(&first));
            return Diagnostic::error(format!("include cycle: {}", chain.join(" → ")), span)
                .in_file(from)
                .with_help(
                    "a file cannot include itself, directly or through others; remove one include",
                );
        }
        let d = Diagnostic::error(format!("{name} is included twice"), span)
            .in_file(from)
            .with_help("each file is included once; remove this include");
        if names(&first) == name {
            d
        } else {
            d.with_note(format!("it is already included as {}", names(&first)))
        }
    }
}

/// The files an `include:` entry names: one path, or the files a glob pattern
/// matches, sorted; a pattern that matches nothing is an error.
fn expand(base: &Path, entry: &str) -> Result<Vec<PathBuf>, String> {
    if entry.trim().is_empty() {
        return Err("an include entry is empty".to_owned());
    }
    let path = tidy(&base.join(entry));
    if !entry.contains(['*', '?', '[']) {
        return Ok(vec![path]);
    }
    let pattern = path.display().to_string();
    // Like a shell: `*` does not match hidden files such as `.DS_Store`.
    let options = glob::MatchOptions {
        require_literal_leading_dot: true,
        ..glob::MatchOptions::new()
    };
    let matches = glob::glob_with(&pattern, options)
        .map_err(|e| format!("`{entry}` is not a valid glob pattern: {}", e.msg))?;
    let mut paths: Vec<PathBuf> = matches
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!("`{entry}` matches no file"));
    }
    Ok(paths)
}

/// `path` without `.` components and with `dir/..` pairs folded, so that
/// `parts/../common.yaml` reads `common.yaml` in diagnostics. Purely lexical:
/// a leading `..` stays.
pub(crate) fn tidy(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// At most this many unknown keys are reported from one file.
const MAX_UNKNOWN_KEYS: usize = 50;

/// Parses `text` with `parse`. serde stops at the first problem; when that is
/// an unknown key, the key's entry is blanked out (spaces, so every position
/// stays where it was) and the text parsed again, until the next problem is
/// not an unknown key: three typos are reported in one run, each at its own
/// line and column with its suggestion. Other problems are reported only when
/// they come first: after a blanked entry they could be its echo.
fn parse_collecting<T>(
    text: &str,
    describe: impl Fn(&YamlError) -> Diagnostic,
    parse: impl Fn(&str) -> Result<T, YamlError>,
) -> Result<T, Vec<Diagnostic>> {
    let mut error = match parse(text) {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    let mut found = vec![describe(&error)];
    let mut current = text.to_owned();
    while found.len() < MAX_UNKNOWN_KEYS {
        let unknown = matches!(error.without_snippet(), YamlError::SerdeUnknownField { .. });
        let Some(at) = error.location().filter(|_| unknown) else {
            break;
        };
        let (line, column) = (at.line(), at.column());
        let Some(next) = blank_entry(&current, line, column) else {
            break;
        };
        match parse(&next) {
            Err(next_error)
                if matches!(
                    next_error.without_snippet(),
                    YamlError::SerdeUnknownField { .. }
                ) && next_error
                    .location()
                    .is_some_and(|l| (l.line(), l.column()) != (line, column)) =>
            {
                found.push(describe(&next_error));
                error = next_error;
                current = next;
            }
            _ => break,
        }
    }
    Err(found)
}

/// `text` with the mapping entry whose key starts at `line`:`column` (1-based,
/// in characters) replaced by spaces — the key and its whole value, in block
/// style (the lines indented deeper) or flow style (up to the next `,` or the
/// closing bracket). Newlines stay, so later positions do not move.
fn blank_entry(text: &str, line: u64, column: u64) -> Option<String> {
    let line = usize::try_from(line.checked_sub(1)?).ok()?;
    let column = usize::try_from(column.checked_sub(1)?).ok()?;
    let line_start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let this = text[line_start..].split('\n').next()?;
    let key = line_start + this.char_indices().nth(column)?.0;
    let before = text[line_start..key].trim_end();
    let end = if before.ends_with(['{', ',']) {
        flow_entry_end(text, key)
    } else {
        // Block style: this line from the key on, then every line after it
        // that is blank or indented deeper than the key.
        let mut end = line_start + this.len();
        if text[end..].starts_with('\n') {
            let mut at = end + 1;
            for next in text[at..].split_inclusive('\n') {
                let indent = next.chars().take_while(|c| *c == ' ').count();
                if !(next.trim().is_empty() || indent > column) {
                    break;
                }
                at += next.len();
                end = at;
            }
        }
        end
    };
    if end <= key {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..key]);
    out.extend(
        text[key..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' }),
    );
    out.push_str(&text[end..]);
    Some(out)
}

/// Where a flow mapping's entry starting at `from` ends: after its `,`, or
/// before the bracket that closes the mapping; quotes and nested brackets skipped.
fn flow_entry_end(text: &str, from: usize) -> usize {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text[from..].char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' && q == '"' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '{' | '[' => depth += 1,
            '}' | ']' if depth == 0 => return from + i,
            '}' | ']' => depth -= 1,
            ',' if depth == 0 => return from + i + 1,
            _ => {}
        }
    }
    text.len()
}

/// A parse error in an included file, with a hint where a part differs from a checklist.
fn part_diagnostic(error: &YamlError) -> Diagnostic {
    let diagnostic = diagnostic_from(error);
    if let YamlError::SerdeUnknownField { field, .. } = error.without_snippet()
        && matches!(
            field.as_str(),
            "version"
                | "name"
                | "vars"
                | "defaults"
                | "notes"
                | "runbook"
                | "owner"
                | "description"
                | "last_reviewed"
                | "next_review"
        )
    {
        return diagnostic.with_help(format!(
            "an included file holds only `sections:` and `include:`; `{field}` belongs in the checklist that includes it"
        ));
    }
    diagnostic
}

/// The names `${NAME…}` refers to in `text`, defaults included.
fn references(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        rest = &rest[at + 2..];
        let end = rest
            .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
            .unwrap_or(rest.len());
        if end > 0 {
            out.push(&rest[..end]);
        }
    }
    out
}

/// The circle through `start` in `uses`, as `a → b → a`, if there is one.
fn circle<'a>(start: &'a str, uses: &HashMap<&'a str, Vec<&'a str>>) -> Option<Vec<&'a str>> {
    // Depth first, remembering the path; every node has few edges.
    let mut path = vec![start];
    let mut next = vec![0usize];
    while let Some(&top) = path.last() {
        let i = next.last().copied().unwrap_or(0);
        let edges = uses.get(top).map_or(&[][..], Vec::as_slice);
        if i == edges.len() {
            path.pop();
            next.pop();
            continue;
        }
        if let Some(n) = next.last_mut() {
            *n += 1;
        }
        let to = edges[i];
        if to == start {
            path.push(start);
            return Some(path);
        }
        if !path.contains(&to) {
            path.push(to);
            next.push(0);
        }
    }
    None
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
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {name}: {}", crate::bounded::io_reason(&e)))?;
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
    // The length above is 0 for devices and pipes: the read is bounded too.
    let bytes = crate::bounded::read_at_most(path, MAX_FILE_SIZE, "a checklist")?;
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "{name} is not UTF-8 (invalid byte at offset {}); save it as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok(Source { name, text })
}

/// Turns a YAML or shape error into a diagnostic with a hint.
pub fn diagnostic_from(error: &YamlError) -> Diagnostic {
    let span = error.location().and_then(|l| Span::from_location(&l));
    if let Some(diagnostic) = crate::checklist::yaml_budget::diagnostic(error, span) {
        return diagnostic;
    }
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
        YamlError::Budget { breach, .. } => budget_diagnostic(breach, span),
        YamlError::InvalidScalar { ty, .. } => {
            let (what, help) = scalar_words(ty);
            Diagnostic::error(format!("expected {what} here"), span).with_help(help)
        }
        YamlError::Unexpected { expected, .. } => match *expected {
            "sequence start" => Diagnostic::error("expected a list here", span)
                .with_help("write `- entry` lines under the key, or `[a, b]`"),
            "mapping start" => Diagnostic::error("expected a mapping here", span)
                .with_help("write `key: value` lines under the key, or `{ key: value }`"),
            "scalar" | "string scalar" | "str expected" => Diagnostic::error(
                "expected a single value here, not a list or a mapping",
                span,
            ),
            other => Diagnostic::error(format!("expected {other} here"), span),
        },
        YamlError::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => Diagnostic::error(format!("expected {expected}, got {unexpected}"), span),
        other => {
            let message = strip_location(&other.to_string());
            // The YAML scanner's own limit on nested brackets.
            if message.contains("recursion limit exceeded") {
                return too_deep(None, span);
            }
            Diagnostic::error(message, span)
        }
    }
}

/// Nesting past a limit, said without guessing what nests: it may be items,
/// or anything under a misspelt key.
fn too_deep(levels: Option<usize>, span: Option<Span>) -> Diagnostic {
    let levels = levels.map_or_else(String::new, |n| {
        format!(" ({n} levels of lists and mappings)")
    });
    Diagnostic::error(format!("the YAML nests too deeply here{levels}"), span).with_help(
        "sections and items may nest about 30 levels; flatten the outline with `tags` or \
         `depends_on`, or look for a runaway structure here",
    )
}

/// What a scalar of Rust type `ty` is to a person, and how to write one.
fn scalar_words(ty: &str) -> (&'static str, &'static str) {
    match ty {
        "boolean" | "bool" => (
            "`true` or `false`",
            "YAML's booleans are `true` and `false`; quote anything else you mean as text",
        ),
        "floating point" | "f32" | "f64" => ("a number", "write digits, such as `0.5` or `3`"),
        "char" => ("a single character", "write one character, such as `x`"),
        t if t.starts_with('u') || t.starts_with('i') => {
            ("a whole number", "write digits without quotes, such as `1`")
        }
        _ => (
            "a different kind of value",
            "see the catalogue for what this key takes",
        ),
    }
}

/// A YAML safety limit, in words: which limit, how far the file went, and
/// what to do — never a debug dump.
fn budget_diagnostic(
    breach: &serde_saphyr::budget::BudgetBreach,
    span: Option<Span>,
) -> Diagnostic {
    use serde_saphyr::budget::BudgetBreach as B;
    let (what, help) = match breach {
        // Said neutrally: what nests too deep may be anything, not only items.
        B::Depth { depth } => return too_deep(Some(*depth), span),
        B::Nodes { nodes } => (
            format!("the YAML holds too many values ({nodes} and counting)"),
            "split the checklist into files with `include:`",
        ),
        B::Events { events } => (
            format!("the YAML is too large to read safely ({events} parser events and counting)"),
            "split the checklist into files with `include:`",
        ),
        B::Aliases { aliases } => (
            format!("the YAML uses too many aliases (`*name`): {aliases} and counting"),
            "aliases that expand again and again are how a YAML bomb works; write the values out",
        ),
        B::Anchors { anchors } => (
            format!("the YAML defines too many anchors (`&name`): {anchors} and counting"),
            "a checklist needs few anchors; write the values out",
        ),
        B::AliasAnchorRatio { aliases, anchors } => (
            format!(
                "the YAML repeats its anchors too often ({aliases} aliases of {anchors} anchors)"
            ),
            "aliases that expand again and again are how a YAML bomb works; write the values out",
        ),
        B::ScalarBytes { total_scalar_bytes } => (
            format!(
                "the YAML's text values are too large ({total_scalar_bytes} bytes and counting)"
            ),
            "keep large text in files and point to them",
        ),
        B::Documents { documents } => (
            format!("the file holds too many YAML documents ({documents})"),
            "a checklist is one YAML document; remove the `---` separators",
        ),
        other => (
            format!(
                "the YAML passes a safety limit for checklists ({})",
                one_word(&format!("{other:?}"))
            ),
            "a checklist needs far fewer nodes, aliases or anchors",
        ),
    };
    Diagnostic::error(what, span).with_help(help)
}

/// The name of a limit from its debug form: `Nodes { nodes: 1 }` → `Nodes`.
fn one_word(debug: &str) -> String {
    debug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_owned()
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
    // The web probes take their TLS settings in one `tls:` block.
    if is_kind_settings
        && expected.contains(&"tls")
        && ["ca_file", "client_cert", "client_key", "insecure"].contains(&word)
    {
        return diagnostic.with_help(format!(
            "TLS settings go in the probe's `tls:` block: `tls: {{ {word}: ... }}`"
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
    fn the_vars_block_keeps_its_lines_and_columns() {
        let text = "version: 1\nname: X # vars: no\nvars:\n  a: one\n\n  # note\n  b: ${a}\nsections: []\n";
        let QuickVars::Block(block) = vars_block(text) else {
            panic!("no block in {text:?}")
        };
        assert_eq!(block, "\n\nvars:\n  a: one\n\n  # note\n  b: ${a}\n");
        let vars = serde_saphyr::from_str::<VarsOnly>(&block).unwrap().vars;
        assert_eq!(vars["b"].referenced.line(), 7);
        assert_eq!(vars["b"].referenced.column(), 6);
    }

    #[test]
    fn the_vars_block_is_not_guessed_at() {
        for text in [
            "{version: 1, vars: {a: b}}\n",
            "# c\nversion: 1\n---\nvars: {a: b}\n",
            "vars: {a: b}\n---\nvars: {a: c}\n",
            "vars: {a: b}\nvars: {a: c}\n",
            "%YAML 1.2\n---\nvars: {a: b}\n",
            "version: 1\n---\nversion: 2\n",
            "- version: 1\n",
        ] {
            assert_eq!(vars_block(text), QuickVars::Unsure, "{text}");
        }
        // No `vars:` line: none, unless the full parse finds one after all.
        for text in ["version: 1\nsections: []\n", "# top\n---\nversion: 1\n"] {
            assert_eq!(vars_block(text), QuickVars::Absent, "{text}");
        }
        assert_eq!(
            vars_block("---\nvars: {a: b}\n"),
            QuickVars::Block("\nvars: {a: b}\n".to_owned())
        );
    }

    #[test]
    fn vars_the_line_reading_missed_are_found_by_the_full_parse() {
        // A quoted key is no `vars:` line: the quick way says there are none,
        // the full parse disagrees, and the careful way resolves them.
        let text = "version: 1\nname: n\n\"vars\": { host: shop }\nsections:\n  - id: a\n    title: A\n    probe: { http: { url: \"http://${host}.test/\" } }\n";
        let checklist = parse_text(text).unwrap();
        assert!(format!("{checklist:?}").contains("http://shop.test/"));
    }

    fn parse_text(text: &str) -> Result<Checklist, Vec<Diagnostic>> {
        let mut sources = vec![Source {
            name: "candlefish.yaml".to_owned(),
            text: text.to_owned(),
        }];
        parse(&mut sources, Scope::default())
    }

    #[test]
    fn vars_the_quick_way_cannot_read_are_read_the_careful_way() {
        // The var is an alias of an anchor above the block: read alone, the
        // block does not parse, and the whole file gives the value.
        let text = "version: 1\nname: &n shop\nvars:\n  who: *n\nsections:\n  - id: a\n    title: A\n    probe: { http: { url: \"http://${who}.test/\" } }\n";
        let checklist = parse_text(text).unwrap();
        assert!(format!("{checklist:?}").contains("http://shop.test/"));
        // A syntax error after the block is reported, not the block's vars.
        let broken = "version: 1\nvars:\n  bad name: x\nsections: [\n";
        let problems = parse_text(broken).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].message.contains("unclosed bracket"),
            "{:?}",
            problems[0].message
        );
    }

    #[test]
    fn strips_only_the_location_suffix() {
        assert_eq!(
            strip_location("invalid u32 at line 1, column 10"),
            "invalid u32"
        );
        assert_eq!(strip_location("look at line noise"), "look at line noise");
    }

    #[test]
    fn blanking_an_entry_keeps_every_position() {
        let block = "a: 1\nmetod:\n  - x\n  - y\nb: 2\n";
        let out = blank_entry(block, 2, 1).expect("blanked");
        assert_eq!(out, "a: 1\n      \n     \n     \nb: 2\n");
        // The entry's characters become spaces; a comma in quotes is skipped.
        let spaces = |text: &str, part: &str| text.replace(part, &" ".repeat(part.len()));
        let flow = "p: { url: x, metod: \"a,}\", expect: { s: 1 } }\n";
        assert_eq!(
            blank_entry(flow, 1, 14).expect("blanked"),
            spaces(flow, "metod: \"a,}\",")
        );
        let last = "p: { url: x, metod: [1, 2] }\n";
        assert_eq!(
            blank_entry(last, 1, 14).expect("blanked"),
            spaces(last, "metod: [1, 2] ")
        );
        assert_eq!(blank_entry(block, 9, 1), None);
    }

    #[test]
    fn safety_limits_are_told_in_words() {
        use serde_saphyr::budget::BudgetBreach;
        for breach in [
            BudgetBreach::Nodes { nodes: 250_001 },
            BudgetBreach::Aliases { aliases: 1_001 },
            BudgetBreach::Depth { depth: 65 },
        ] {
            let d = budget_diagnostic(&breach, None);
            let text = format!("{} {}", d.message, d.help.unwrap_or_default());
            assert!(!text.contains('{') && !text.contains("Nodes"), "{text}");
            assert_eq!(
                text.matches('(').count(),
                text.matches(')').count(),
                "{text}"
            );
        }
    }

    #[test]
    fn tidies_include_paths_lexically() {
        assert_eq!(tidy(Path::new("./parts/../a.yaml")), Path::new("a.yaml"));
        assert_eq!(tidy(Path::new("x/./y/../../b.yaml")), Path::new("b.yaml"));
        assert_eq!(tidy(Path::new("../up/c.yaml")), Path::new("../up/c.yaml"));
        assert_eq!(tidy(Path::new("/etc/../d.yaml")), Path::new("/d.yaml"));
    }

    #[test]
    fn overrides_need_name_and_value() {
        assert_eq!(parse_overrides(&["a=b=c".into()]).unwrap()["a"], "b=c");
        assert!(parse_overrides(&["nope".into()]).is_err());
        assert!(parse_overrides(&["1x=y".into()]).is_err());
    }
}
