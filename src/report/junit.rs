//! `junit`: JUnit XML for CI test dashboards, written with quick-xml's writer.
//!
//! One `<testsuite>` per top-level section, one `<testcase>` per leaf item (and
//! per group that has probes of its own). A red item is a `<failure>` when a
//! probe failed (the system answered wrong) or something else made it red
//! (declared, awaiting sign-off, blocked by a dependency), and an `<error>` per
//! probe that could not run. White items (optional, deferred) are `<skipped>`.
//! Yellow items pass unless the gate counts yellow (`--fail-on yellow`). The
//! evidence is in the `message` attribute and, with every probe's checks and
//! timings, in the element's text.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::outcome::{Basis, Gate, GateVerdict, ItemReport, Report, Status, Verdict};
use crate::report::text::{clean_xml, probe_line, seconds};

/// One test case: a judged item and the groups above it.
struct Case<'a> {
    item: &'a ItemReport,
    classname: String,
}

/// The report as JUnit XML with a trailing newline.
pub fn render(report: &Report) -> String {
    match write(report) {
        Ok(bytes) => {
            let mut text = String::from_utf8_lossy(&bytes).into_owned();
            text.push('\n');
            text
        }
        // Writing to a Vec cannot fail; stay total all the same.
        Err(e) => format!("<!-- could not write the JUnit report: {e} -->\n<testsuites/>\n"),
    }
}

fn cases<'a>(item: &'a ItemReport, path: &str, out: &mut Vec<Case<'a>>) {
    if item.items.is_empty() || !item.probes.is_empty() {
        out.push(Case {
            item,
            classname: path.to_owned(),
        });
    }
    let inner = format!("{path}.{}", item.id);
    for child in &item.items {
        cases(child, &inner, out);
    }
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    time_ms: u64,
}

impl Counts {
    /// The attributes of a `<testsuites>` or `<testsuite>`, XML-safe.
    fn attributes(
        &self,
        name: &str,
        id: Option<&str>,
        timestamp: &str,
    ) -> Vec<(&'static str, String)> {
        let mut out = vec![("name", clean_xml(name))];
        if let Some(id) = id {
            out.push(("id", clean_xml(id)));
        }
        out.extend([
            ("tests", self.tests.to_string()),
            ("failures", self.failures.to_string()),
            ("errors", self.errors.to_string()),
            ("skipped", self.skipped.to_string()),
            ("time", seconds(self.time_ms)),
            ("timestamp", clean_xml(timestamp)),
        ]);
        out
    }
}

fn borrowed<'a>(
    attributes: &'a [(&'static str, String)],
) -> impl Iterator<Item = (&'a str, &'a str)> {
    attributes.iter().map(|(k, v)| (*k, v.as_str()))
}

/// What a case shows: its outcome elements, as (element, type, message, text).
fn results(
    item: &ItemReport,
    gate_failing: &[String],
) -> Vec<(&'static str, String, String, String)> {
    let details = details(item);
    match item.status {
        Status::White => vec![(
            "skipped",
            String::new(),
            first_line(&item.reason, "optional or deferred"),
            details,
        )],
        Status::Green => Vec::new(),
        Status::Yellow if !gate_failing.contains(&item.id) => Vec::new(),
        // A waiver the gate honoured: not a pass, not a failure.
        Status::Red if item.waived() && !gate_failing.contains(&item.id) => vec![(
            "skipped",
            "waived".to_owned(),
            first_line(
                &item
                    .waiver
                    .as_ref()
                    .map(crate::report::text::waiver_line)
                    .unwrap_or_default(),
                "waived",
            ),
            details,
        )],
        Status::Yellow | Status::Red => {
            let mut out = Vec::new();
            for probe in &item.probes {
                match probe.verdict {
                    Verdict::Fail => out.push((
                        "failure",
                        "fail".to_owned(),
                        first_line(&probe.evidence, "failed"),
                        details.clone(),
                    )),
                    Verdict::Error => out.push((
                        "error",
                        "error".to_owned(),
                        first_line(&probe.evidence, "could not run"),
                        details.clone(),
                    )),
                    _ => {}
                }
            }
            if out.is_empty() {
                let kind = match item.basis {
                    Basis::Probes => "probes",
                    Basis::Children => "children",
                    Basis::Declared => "declared",
                    Basis::Manual => "manual",
                    Basis::Signoff => "signoff",
                    Basis::Nothing => "nothing",
                    Basis::Dependency => "dependency",
                    Basis::Optional => "optional",
                };
                let message = format!("{}: {}", item.status.word(), item.reason);
                out.push((
                    "failure",
                    kind.to_owned(),
                    first_line(&message, ""),
                    details,
                ));
            }
            out
        }
    }
}

/// Everything known about an item, one fact a line.
fn details(item: &ItemReport) -> String {
    let mut lines = vec![format!(
        "{} {} ({}){}",
        item.status.glyph(),
        item.status.word(),
        basis_word(item.basis),
        if item.reason.is_empty() {
            String::new()
        } else {
            format!(": {}", item.reason)
        }
    )];
    if let Some(declared) = &item.declared {
        lines.push(format!("declared: {declared}"));
    }
    if !item.depends_on.is_empty() {
        lines.push(format!("depends on: {}", item.depends_on.join(", ")));
    }
    lines.extend(crate::report::text::attestation_lines(item));
    for probe in &item.probes {
        lines.push(probe_line(probe));
        for check in &probe.checks {
            lines.push(format!(
                "  {} expected {}, got {}",
                check.verdict.word(),
                check.expected,
                check.observed
            ));
        }
    }
    lines.join("\n")
}

fn basis_word(basis: Basis) -> &'static str {
    match basis {
        Basis::Probes => "probes",
        Basis::Children => "children",
        Basis::Declared => "declared",
        Basis::Manual => "manual",
        Basis::Signoff => "sign-off",
        Basis::Nothing => "nothing verifies it",
        Basis::Dependency => "dependency",
        Basis::Optional => "optional",
    }
}

fn first_line(text: &str, fallback: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    clean_xml(if line.is_empty() { fallback } else { line })
}

fn case_time(item: &ItemReport) -> u64 {
    item.probes.iter().map(|p| p.duration_ms).sum()
}

fn write(report: &Report) -> io::Result<Vec<u8>> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let gate_failing: &[String] = report.gate.as_ref().map_or(&[], |g| g.failing.as_slice());
    let suites: Vec<(&ItemReport, Vec<Case>)> = report
        .items
        .iter()
        .map(|section| {
            let mut out = Vec::new();
            if section.items.is_empty() || !section.probes.is_empty() {
                out.push(Case {
                    item: section,
                    classname: section.id.clone(),
                });
            }
            for child in &section.items {
                cases(child, &section.id, &mut out);
            }
            (section, out)
        })
        .collect();
    let mut total = Counts::default();
    let mut per_suite = Vec::new();
    for (_, suite_cases) in &suites {
        let mut counts = Counts::default();
        for case in suite_cases {
            counts.tests += 1;
            counts.time_ms += case_time(case.item);
            for (element, ..) in results(case.item, gate_failing) {
                match element {
                    "failure" => counts.failures += 1,
                    "error" => counts.errors += 1,
                    _ => counts.skipped += 1,
                }
            }
        }
        total.tests += counts.tests;
        total.failures += counts.failures;
        total.errors += counts.errors;
        total.skipped += counts.skipped;
        per_suite.push(counts);
    }
    total.time_ms = report.duration_ms;
    // A gate that judged nothing is a result of its own, as a test runner's
    // "no tests collected": a case that fails (or is skipped when accepted),
    // so a dashboard never shows an empty gate as green.
    let empty_gate = report
        .gate
        .as_ref()
        .filter(|g| g.verdict == GateVerdict::NothingJudged);
    if let Some(gate) = empty_gate {
        total.tests += 1;
        if gate.passed {
            total.skipped += 1;
        } else {
            total.failures += 1;
        }
    }
    let attributes = total.attributes(&report.checklist.name, None, &report.started_at);
    writer
        .create_element("testsuites")
        .with_attributes(borrowed(&attributes))
        .write_inner_content(|w| {
            for ((section, suite_cases), counts) in suites.iter().zip(&per_suite) {
                write_suite(w, report, section, suite_cases, counts, gate_failing)?;
            }
            if let Some(gate) = empty_gate {
                write_empty_gate(w, report, gate)?;
            }
            Ok(())
        })?;
    Ok(writer.into_inner())
}

fn write_suite(
    w: &mut Writer<Vec<u8>>,
    report: &Report,
    section: &ItemReport,
    suite_cases: &[Case],
    counts: &Counts,
    gate_failing: &[String],
) -> io::Result<()> {
    let attributes = counts.attributes(&section.title, Some(&section.id), &report.started_at);
    w.create_element("testsuite")
        .with_attributes(borrowed(&attributes))
        .write_inner_content(|w| {
            w.create_element("properties").write_inner_content(|w| {
                let status = section.status.word();
                let mut props = vec![("status", status.to_owned())];
                if let Some(gate) = &report.gate {
                    props.push(("gate", gate.policy.clone()));
                    props.push((
                        "gate.passed",
                        if gate.passed { "true" } else { "false" }.to_owned(),
                    ));
                    props.push(("gate.verdict", gate.verdict.word().to_owned()));
                }
                props.push(("tool", report.tool.clone()));
                for (key, value) in props {
                    let value = clean_xml(&value);
                    w.create_element("property")
                        .with_attributes([("name", key), ("value", value.as_str())])
                        .write_empty()?;
                }
                Ok(())
            })?;
            for case in suite_cases {
                write_case(w, case, gate_failing)?;
            }
            Ok(())
        })?;
    Ok(())
}

/// The suite that says the gate judged nothing: one case, a `<failure
/// type="nothing_judged">`, or `<skipped>` when `--allow-empty-gate` accepted it.
fn write_empty_gate(w: &mut Writer<Vec<u8>>, report: &Report, gate: &Gate) -> io::Result<()> {
    let counts = Counts {
        tests: 1,
        failures: usize::from(!gate.passed),
        skipped: usize::from(gate.passed),
        ..Counts::default()
    };
    let attributes = counts.attributes(
        "Candlefish gate",
        Some("candlefish-gate"),
        &report.started_at,
    );
    let message = clean_xml(&gate.nothing_judged());
    w.create_element("testsuite")
        .with_attributes(borrowed(&attributes))
        .write_inner_content(|w| {
            w.create_element("testcase")
                .with_attributes([
                    (
                        "name",
                        "The gate judged at least one item [candlefish-gate]",
                    ),
                    ("classname", "candlefish-gate"),
                    ("time", "0.000"),
                ])
                .write_inner_content(|w| {
                    let element = if gate.passed {
                        w.create_element("skipped")
                            .with_attribute(("message", message.as_str()))
                    } else {
                        w.create_element("failure").with_attributes([
                            ("message", message.as_str()),
                            ("type", "nothing_judged"),
                        ])
                    };
                    element.write_text_content(BytesText::new(&clean_xml(&format!(
                        "gate: {}",
                        gate.policy
                    ))))?;
                    Ok(())
                })?;
            Ok(())
        })?;
    Ok(())
}

fn write_case(w: &mut Writer<Vec<u8>>, case: &Case, gate_failing: &[String]) -> io::Result<()> {
    let item = case.item;
    let name = clean_xml(&format!("{} [{}]", item.title, item.id));
    let classname = clean_xml(&case.classname);
    let time = seconds(case_time(item));
    let results = results(item, gate_failing);
    let element = w.create_element("testcase").with_attributes([
        ("name", name.as_str()),
        ("classname", classname.as_str()),
        ("time", time.as_str()),
    ]);
    if results.is_empty() && item.probes.is_empty() && item.status == Status::Green {
        element.write_empty()?;
        return Ok(());
    }
    let out = results;
    element.write_inner_content(|w| {
        for (tag, kind, message, text) in &out {
            let mut el = w
                .create_element(*tag)
                .with_attribute(("message", message.as_str()));
            if !kind.is_empty() {
                el = el.with_attribute(("type", kind.as_str()));
            }
            el.write_text_content(BytesText::new(&clean_xml(text)))?;
        }
        if out.is_empty() {
            // A passing case keeps its evidence (and a yellow one its warning).
            w.create_element("system-out")
                .write_text_content(BytesText::new(&clean_xml(&details(item))))?;
        }
        Ok(())
    })?;
    Ok(())
}
