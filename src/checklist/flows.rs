//! The loader's pass over `flow` probes: reading the steps of a flow kept in
//! its own file (`flow: { file: flows/login.yaml }`, relative to the file
//! that names it, parsed with the checklist's variables and added to its
//! sources so errors point into it), and checking that every `{{capture}}` a
//! step uses is captured by an earlier step — at the line and column of the use.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;

use crate::checklist::diagnostic::{Diagnostic, Span, did_you_mean};
use crate::checklist::load::{Source, diagnostic_from, read};
use crate::checklist::model::Checklist;
use crate::checklist::text::{Scope, with_scope};
use crate::probe::flow::template::uses;
use crate::probe::flow::{FlowFile, FlowProbe};
use crate::probe::{ProbeKind, ProbeSpec};

/// Reads flow files and checks capture uses; the scope comes back for the caller.
pub fn resolve(
    checklist: &mut Checklist,
    sources: &mut Vec<Source>,
    scope: Scope,
) -> (Scope, Vec<Diagnostic>) {
    let mut pass = Pass {
        sources,
        files: HashMap::new(),
        scope: Some(scope),
        problems: Vec::new(),
    };
    for section in &mut checklist.sections {
        walk_item(section, &mut pass);
    }
    if let Some(runbook) = &mut checklist.runbook {
        for step in runbook.phases.iter_mut().flat_map(|p| p.steps.iter_mut()) {
            for spec in step.probe.iter_mut().chain(step.probes.iter_mut()) {
                pass.flow(spec, 0);
            }
            if let Some(watch) = &mut step.watch {
                pass.flow(&mut watch.value.probe, 0);
            }
        }
    }
    (pass.scope.take().unwrap_or_default(), pass.problems)
}

fn walk_item(item: &mut crate::checklist::model::Item, pass: &mut Pass<'_>) {
    let origin = item.origin;
    for spec in item.probe.iter_mut().chain(item.probes.iter_mut()) {
        pass.flow(spec, origin);
    }
    for child in &mut item.items {
        walk_item(child, pass);
    }
}

struct Pass<'a> {
    sources: &'a mut Vec<Source>,
    /// Flow files read so far: canonical path → index in the sources.
    files: HashMap<PathBuf, u32>,
    scope: Option<Scope>,
    problems: Vec<Diagnostic>,
}

impl Pass<'_> {
    fn flow(&mut self, spec: &mut Spanned<ProbeSpec>, origin: u32) {
        let ProbeKind::Flow(flow) = &mut spec.value.kind else {
            return;
        };
        if let Some(file) = flow.file.clone() {
            let span = Span::from_location(&file.referenced).map(|s| s.in_file(origin));
            if !flow.steps.is_empty() {
                self.problems.push(
                    Diagnostic::error("a flow has `steps` or a `file`, not both", span)
                        .in_file(origin),
                );
                return;
            }
            match self.read(&file.value, origin) {
                Ok((index, steps)) => {
                    flow.steps = steps;
                    flow.steps_file = Some(index);
                }
                Err(mut problems) => {
                    for p in &mut problems {
                        if p.span.is_none() {
                            p.span = span;
                            p.file = origin;
                        }
                    }
                    self.problems.append(&mut problems);
                    return;
                }
            }
        }
        let file = flow.steps_file.unwrap_or(origin);
        self.check_uses(flow, file);
    }

    /// The steps in `name` (relative to file `from`), and the file's index.
    fn read(
        &mut self,
        name: &str,
        from: u32,
    ) -> Result<(u32, Vec<Spanned<crate::probe::flow::FlowStep>>), Vec<Diagnostic>> {
        let base = crate::checklist::directory_of(Path::new(&self.sources[from as usize].name));
        let path = crate::checklist::load::tidy(&base.join(name));
        let shown = path.display().to_string();
        let canonical = std::fs::canonicalize(&path).map_err(|e| {
            vec![
                Diagnostic::error(
                    format!(
                        "cannot read the flow file {shown}: {}",
                        crate::bounded::io_reason(&e)
                    ),
                    None,
                )
                .with_help("a flow file's path is relative to the checklist file that names it"),
            ]
        })?;
        let index = if let Some(&index) = self.files.get(&canonical) {
            index
        } else {
            let source = read(&path).map_err(|m| vec![Diagnostic::error(m, None)])?;
            let index = u32::try_from(self.sources.len()).unwrap_or(u32::MAX);
            self.sources.push(source);
            self.files.insert(canonical, index);
            index
        };
        let text = &self.sources[index as usize].text;
        let (parsed, scope) = with_scope(self.scope.take().unwrap_or_default(), || {
            serde_saphyr::from_str_with_options::<FlowFile>(
                text,
                serde_saphyr::options! { with_snippet: false },
            )
        });
        self.scope = Some(scope);
        parsed
            .map(|f| (index, f.steps))
            .map_err(|e| vec![diagnostic_from(&e).in_file(index)])
    }

    /// Every `{{name}}` must be captured by an earlier step of the flow.
    fn check_uses(&mut self, flow: &FlowProbe, file: u32) {
        let all: Vec<(usize, &str)> = flow
            .steps
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.value.capture.keys().map(move |k| (i, k.as_str())))
            .collect();
        for (i, step) in flow.steps.iter().enumerate() {
            let start = step
                .referenced
                .span()
                .byte_offset()
                .and_then(|o| usize::try_from(o).ok());
            let mut reported: Vec<String> = Vec::new();
            for text in step.value.templates() {
                for found in uses(text) {
                    let earlier = all.iter().any(|(j, n)| *j < i && *n == found.name);
                    if earlier || reported.contains(&found.name) {
                        continue;
                    }
                    reported.push(found.name.clone());
                    let span = start
                        .and_then(|at| self.locate(file, at, &found.written))
                        .or_else(|| Span::from_location(&step.referenced).map(|s| s.in_file(file)));
                    let later = all.iter().find(|(j, n)| *j >= i && *n == found.name);
                    let d = if let Some((j, _)) = later {
                        Diagnostic::error(
                            format!(
                                "`{}` is used before it is captured: step {} \"{}\" captures it",
                                found.written,
                                j + 1,
                                flow.steps[*j].value.name
                            ),
                            span,
                        )
                        .with_help("a step can use only what earlier steps captured")
                    } else {
                        let d =
                            Diagnostic::error(format!("unknown capture `{}`", found.written), span);
                        let best = did_you_mean(&found.name, all.iter().map(|(_, n)| *n));
                        d.with_help(best.map_or_else(
                            || "captures are defined by an earlier step's `capture:`; `${NAME}` is for variables".to_owned(),
                            |best| format!("did you mean `{{{{{best}}}}}`?"),
                        ))
                    };
                    self.problems.push(d.in_file(file));
                }
            }
        }
    }

    /// Where `written` first appears in file `file` at or after byte `from`.
    fn locate(&self, file: u32, from: usize, written: &str) -> Option<Span> {
        let text = &self.sources.get(file as usize)?.text;
        let at = from + text.get(from..)?.find(written)?;
        let before = &text[..at];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..at].chars().count() + 1;
        Some(Span {
            file,
            line: u32::try_from(line).ok()?,
            column: u32::try_from(column).ok()?,
            len: u32::try_from(written.chars().count()).ok()?,
        })
    }
}
