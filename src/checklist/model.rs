//! The checklist as written: typed, with source locations kept where later
//! validation needs to point at something (ids, dependencies, probes).
//!
//! Every struct rejects unknown keys, so a misspelt key is an error at its line
//! and column instead of a silently disabled check.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;

use crate::checklist::scalar::Dur;
use crate::engine::plan::Declared;
use crate::probe::ProbeSpec;

/// A whole checklist file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checklist {
    /// The file format version; must be `1`.
    pub version: Spanned<u32>,
    /// What this checklist is for, e.g. `Candlefish AI production launch`.
    pub name: String,
    /// Who owns the checklist.
    #[serde(default)]
    pub owner: Option<String>,
    /// A longer description.
    #[serde(default)]
    pub description: Option<String>,
    /// When a person last reviewed the checklist.
    #[serde(default)]
    pub last_reviewed: Option<jiff::civil::Date>,
    /// When it is due for review again.
    #[serde(default)]
    pub next_review: Option<jiff::civil::Date>,
    /// Variables for `${name}` interpolation. Values may use the environment.
    #[serde(default)]
    pub vars: IndexMap<String, Spanned<String>>,
    /// Defaults for every probe.
    #[serde(default)]
    pub defaults: Defaults,
    /// Blockers, decisions, dependencies and risks, as in the seed's notes.
    #[serde(default)]
    pub notes: Notes,
    /// The top-level sections: items whose children are the checklist.
    pub sections: Vec<Item>,
    /// The launch-day runbook: phases at offsets from T-0, with ordered steps.
    #[serde(default)]
    pub runbook: Option<crate::checklist::runbook::RunbookSpec>,
    /// Who may sign sign-offs, and whether they must be signed.
    #[serde(default)]
    pub signoffs: Option<Signoffs>,
    /// Files whose sections are appended to these, in order (paths or glob
    /// patterns, relative to this file).
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
}

impl Checklist {
    /// Gives every AWS probe (items' and runbook steps') what it leaves unset
    /// of `defaults.aws`.
    pub fn inherit_aws_defaults(&mut self) {
        let defaults = self.defaults.aws.clone();
        fn visit(item: &mut Item, defaults: &crate::probe::aws::AwsSettings) {
            for spec in item.probe.iter_mut().chain(item.probes.iter_mut()) {
                spec.value.kind.inherit_aws(defaults);
            }
            for child in &mut item.items {
                visit(child, defaults);
            }
        }
        for section in &mut self.sections {
            visit(section, &defaults);
        }
        if let Some(runbook) = &mut self.runbook {
            for step in runbook.phases.iter_mut().flat_map(|p| p.steps.iter_mut()) {
                for spec in step.probe.iter_mut().chain(step.probes.iter_mut()) {
                    spec.value.kind.inherit_aws(&defaults);
                }
                if let Some(watch) = &mut step.watch {
                    watch.value.probe.value.kind.inherit_aws(&defaults);
                }
            }
        }
    }

    /// Every string any of its probes (items' and runbook steps') must never
    /// show: for masking diagnostics about a checklist that did not validate.
    pub fn secrets(&self) -> Vec<String> {
        let items = self.sections.iter().flat_map(Item::walk);
        let mut specs: Vec<&ProbeSpec> = items
            .flat_map(|i| i.all_probes().map(|p| &p.value))
            .collect();
        if let Some(runbook) = &self.runbook {
            for step in runbook.phases.iter().flat_map(|p| p.steps.iter()) {
                specs.extend(
                    step.probe
                        .iter()
                        .chain(step.probes.iter())
                        .map(|p| &p.value),
                );
                specs.extend(step.watch.iter().map(|w| &w.value.probe.value));
            }
        }
        specs.iter().flat_map(|p| p.kind.secrets()).collect()
    }
}

impl Checklist {
    /// Hands `defaults:` that belong to probe kinds (`defaults.kubernetes`)
    /// to every probe of those kinds, in items and runbook steps alike.
    pub fn inherit_defaults(&mut self) {
        let Some(kubernetes) = self.defaults.kubernetes.clone() else {
            return;
        };
        let mut specs: Vec<&mut ProbeSpec> = Vec::new();
        fn walk<'a>(item: &'a mut Item, out: &mut Vec<&'a mut ProbeSpec>) {
            out.extend(
                item.probe
                    .iter_mut()
                    .chain(item.probes.iter_mut())
                    .map(|p| &mut p.value),
            );
            for child in &mut item.items {
                walk(child, out);
            }
        }
        for section in &mut self.sections {
            walk(section, &mut specs);
        }
        if let Some(runbook) = &mut self.runbook {
            for step in runbook.phases.iter_mut().flat_map(|p| p.steps.iter_mut()) {
                specs.extend(
                    step.probe
                        .iter_mut()
                        .chain(step.probes.iter_mut())
                        .map(|p| &mut p.value),
                );
                specs.extend(step.watch.iter_mut().map(|w| &mut w.value.probe.value));
            }
        }
        for spec in specs {
            if let crate::probe::ProbeKind::Kubernetes(probe) = &mut spec.kind {
                probe.inherit(&kubernetes);
            }
        }
    }
}

/// A file named by `include:`: more sections for the checklist that includes it.
/// It shares the checklist's `vars:` and cannot define its own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    /// Sections appended to the including checklist's.
    pub sections: Vec<Item>,
    /// Further files to include, relative to this one.
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
}

/// Defaults that apply to every probe unless the probe says otherwise.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// The deadline of one probe attempt (default 10s).
    #[serde(default)]
    pub timeout: Option<Spanned<Dur>>,
    /// Where `kubernetes` probes look unless they say otherwise: `kubeconfig`,
    /// `context`, `namespace`.
    #[serde(default)]
    pub kubernetes: Option<crate::probe::kubernetes::KubernetesDefaults>,
    /// `region`, `profile` and `endpoint_url` for every AWS probe that sets none.
    #[serde(default)]
    pub aws: crate::probe::aws::AwsSettings,
}

/// `signoffs:`: who may sign sign-offs and waivers, and whether an unsigned one
/// counts (README, "Trust model").
///
/// ```yaml
/// signoffs:
///   allowed_signers: .candlefish/allowed_signers
///   require_signed: true
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signoffs {
    /// A file in OpenSSH's `allowed_signers` format, relative to the checklist:
    /// the keys that may sign, with their principals (people and groups). A
    /// signed record counts only when its key is listed there.
    #[serde(default)]
    pub allowed_signers: Option<Spanned<String>>,
    /// Unsigned sign-offs and waivers do not count (default false). Needs
    /// `allowed_signers`.
    #[serde(default)]
    pub require_signed: Option<Spanned<bool>>,
}

/// The checklist's notes section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notes {
    /// What blocks the launch.
    #[serde(default)]
    pub blockers: Vec<String>,
    /// Decisions that still need to be made.
    #[serde(default)]
    pub decisions: Vec<String>,
    /// External dependencies.
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// Known risks.
    #[serde(default)]
    pub risks: Vec<String>,
}

/// One checklist item. Items nest to any depth; a section is an item with children.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Stable id, unique in the checklist (included files too): letters, digits, `-`, `_` and `.`.
    pub id: Spanned<String>,
    /// What people read.
    pub title: String,
    /// Who is responsible.
    #[serde(default)]
    pub owner: Option<String>,
    /// The date (or moment) by which it must be green; past it, an item that is
    /// not green is red "overdue", whatever its declared status. A group's
    /// holds for everything in it.
    #[serde(default)]
    pub due: Option<Spanned<crate::checklist::due::Due>>,
    /// Free-form tags, selectable with `--only tag:NAME`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// On the critical path: must be green before launch.
    #[serde(default)]
    pub critical: bool,
    /// Optional: white unless it is green; never fails the gate.
    #[serde(default)]
    pub optional: bool,
    /// Ids that must be green before this item counts.
    #[serde(default)]
    pub depends_on: Vec<Spanned<String>>,
    /// A link or path to documentation.
    #[serde(default)]
    pub docs: Option<String>,
    /// Free-form notes, e.g. the commands a person runs.
    #[serde(default)]
    pub notes: Option<String>,
    /// The status as declared by a person, for items nothing verifies yet.
    #[serde(default)]
    pub status: Option<Spanned<Declared>>,
    /// One probe.
    #[serde(default)]
    pub probe: Option<Spanned<ProbeSpec>>,
    /// Several probes; every one must pass.
    #[serde(default)]
    pub probes: Vec<Spanned<ProbeSpec>>,
    /// A person signs this item off.
    #[serde(default)]
    pub manual: Option<Manual>,
    /// Child items.
    #[serde(default)]
    pub items: Vec<Item>,
    /// The file the item was written in: 0 for the checklist itself, 1… for
    /// included files (an index into the checklist's sources).
    #[serde(skip)]
    pub origin: u32,
}

impl Item {
    /// The item's probes, whether written as `probe:` or `probes:`.
    pub fn all_probes(&self) -> impl Iterator<Item = &Spanned<ProbeSpec>> {
        self.probe.iter().chain(self.probes.iter())
    }

    /// Marks this item and every descendant as written in file `origin`.
    pub fn set_origin(&mut self, origin: u32) {
        self.origin = origin;
        for child in &mut self.items {
            child.set_origin(origin);
        }
    }

    /// Where `spanned`, a field of this item, was written.
    pub fn span_of<T>(&self, spanned: &Spanned<T>) -> Option<crate::checklist::diagnostic::Span> {
        crate::checklist::diagnostic::Span::from_location(&spanned.referenced)
            .map(|s| s.in_file(self.origin))
    }

    /// This item and every descendant, depth first.
    pub fn walk(&self) -> Vec<&Item> {
        let mut out = vec![self];
        for child in &self.items {
            out.extend(child.walk());
        }
        out
    }
}

/// How a person signs an item off. `manual: true` takes every default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manual {
    /// A sign-off must carry evidence (a link or text).
    pub evidence_required: bool,
    /// How long a sign-off stays valid.
    pub expires: Option<Dur>,
    /// How many distinct people must sign off.
    pub signoffs: u32,
    /// What the person should check.
    pub instructions: Option<String>,
    /// Who may sign it off: principals or groups of the checklist's
    /// `signoffs.allowed_signers`; anyone, when empty. Only signed sign-offs
    /// by a key listed for one of them count.
    pub signers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManualFields {
    #[serde(default)]
    evidence_required: bool,
    #[serde(default)]
    expires: Option<Dur>,
    #[serde(default = "one")]
    signoffs: u32,
    #[serde(default)]
    instructions: Option<String>,
    #[serde(default)]
    signers: Vec<String>,
}

fn one() -> u32 {
    1
}

impl<'de> Deserialize<'de> for Manual {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ManualVisitor;
        impl<'de> Visitor<'de> for ManualVisitor {
            type Value = Manual;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "`true` or a mapping with evidence_required, expires, signoffs, instructions, signers",
                )
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Manual, E> {
                if v {
                    Ok(Manual {
                        signoffs: 1,
                        ..Manual::default()
                    })
                } else {
                    Err(E::custom(
                        "`manual: false` means nothing: leave the key out",
                    ))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Manual, A::Error> {
                let f = ManualFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Manual {
                    evidence_required: f.evidence_required,
                    expires: f.expires,
                    signoffs: f.signoffs,
                    instructions: f.instructions,
                    signers: f.signers,
                })
            }
        }
        deserializer.deserialize_any(ManualVisitor)
    }
}
