//! `check --shard K/N` and `merge`: a generated 5,000-item checklist (groups,
//! dependencies within and across sections, manual, declared, optional and
//! critical items, passing and failing probes) run whole and in N parts for
//! N = 1..8; the merged report has the same items, statuses, reasons,
//! summary and gate as the whole run. And merge refuses what is not a
//! complete set of parts of one run.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::{Run, binary};

/// A checklist of `n` items in ten sections: every 50th position opens a group
/// of four; every 11th item depends on one five before it, every 97th on an
/// item in the section before; one item in five has a `file` probe (every
/// seventh of those fails), the rest are manual or declared.
fn checklist(n: usize) -> String {
    let sections = 10;
    let per = n / sections;
    let mut out = String::from("version: 1\nname: Five thousand\nsections:\n");
    let mut i = 0;
    let item = |i: usize, pad: &str| {
        let mut s = format!("{pad}- id: i{i}\n{pad}  title: Item {i}\n");
        if i.is_multiple_of(19) {
            s += &format!("{pad}  optional: true\n");
        }
        let mut deps = Vec::new();
        if i.is_multiple_of(11) && i % per >= 5 {
            deps.push(format!("i{}", i - 5));
        }
        if i.is_multiple_of(97) && i >= per {
            deps.push(format!("i{}", i - per + 1));
        }
        if !deps.is_empty() {
            s += &format!("{pad}  depends_on: [{}]\n", deps.join(", "));
        }
        if i.is_multiple_of(13) {
            s += &format!("{pad}  manual: {{}}\n");
        } else if !i.is_multiple_of(5) {
            let word = ["done", "in_progress", "not_started", "blocked", "done"][i % 5];
            s += &format!("{pad}  status: {word}\n");
        } else {
            let path = if i.is_multiple_of(7) {
                "absent.txt"
            } else {
                "present.txt"
            };
            s += &format!("{pad}  probe:\n{pad}    file: {{ path: {path} }}\n");
        }
        s
    };
    for section in 0..sections {
        out += &format!("  - id: s{section}\n    title: Section {section}\n");
        if section == 0 {
            out += "    critical: true\n";
        }
        out += "    items:\n";
        let mut k = 0;
        while k < per {
            if k.is_multiple_of(50) && k + 4 <= per {
                out += &format!(
                    "      - id: g{section}-{k}\n        title: Group {section}-{k}\n        items:\n"
                );
                for _ in 0..4 {
                    out += &item(i, "          ");
                    i += 1;
                    k += 1;
                }
            } else {
                out += &item(i, "      ");
                i += 1;
                k += 1;
            }
        }
    }
    out
}

/// `present.txt`, dated ten days back: a `file` probe's evidence gives its
/// age, which should not tick over between the whole run and the parts.
fn present(dir: &Path) {
    let path = dir.join("present.txt");
    std::fs::write(&path, "here").expect("write");
    let past = std::time::SystemTime::now() - std::time::Duration::from_secs(10 * 86_400);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(past))
        .expect("date the file");
}

/// The report without what differs between two runs of the same checks.
fn comparable(report: &serde_json::Value) -> serde_json::Value {
    fn strip(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(map) => map
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "duration_ms" | "started_at"))
                .map(|(k, v)| (k.clone(), strip(v)))
                .collect(),
            serde_json::Value::Array(items) => items.iter().map(strip).collect(),
            other => other.clone(),
        }
    }
    serde_json::json!({
        "items": strip(&report["items"]),
        "status": report["status"],
        "summary": report["summary"],
        "gate": report["gate"],
    })
}

fn read(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json")
}

/// Runs the N parts at once, as an Indexed Job's pods would, each writing its report.
fn run_parts(dir: &Path, n: usize, tag: &str) -> Vec<std::path::PathBuf> {
    let children: Vec<_> = (1..=n)
        .map(|k| {
            let out = dir.join(format!("{tag}part-{k}-of-{n}.json"));
            let child = Command::new(binary())
                .args(["check", "--format", "json", "--no-progress", "--shard"])
                .arg(format!("{k}/{n}"))
                .arg("--report")
                .arg(format!("json={}", out.display()))
                .current_dir(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run a part");
            (out, child)
        })
        .collect();
    children
        .into_iter()
        .map(|(out, child)| {
            let done = child.wait_with_output().expect("wait");
            assert!(
                matches!(done.status.code(), Some(0 | 1)),
                "{}: {}",
                out.display(),
                String::from_utf8_lossy(&done.stderr)
            );
            out
        })
        .collect()
}

fn merge(dir: &Path, parts: &[std::path::PathBuf]) -> crate::support::Ran {
    let mut args = vec!["merge".to_owned(), "--format".into(), "json".into()];
    args.extend(parts.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Run::new(&args).in_dir(dir).run()
}

#[test]
fn n_parts_merged_equal_one_run_for_n_from_1_to_8() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = checklist(5000);
    std::fs::write(dir.path().join("candlefish.yaml"), &text).expect("write");
    present(dir.path());
    let whole = Run::new(&["check", "--format", "json", "--no-progress"])
        .in_dir(dir.path())
        .run();
    whole.code(1);
    let whole = whole.json();
    let leaves = ["green", "yellow", "red", "white"]
        .iter()
        .map(|s| whole["summary"][s].as_u64().unwrap())
        .sum::<u64>();
    assert!(
        leaves >= 4900,
        "a 5,000-item checklist: {}",
        whole["summary"]
    );
    for status in ["green", "yellow", "red", "white"] {
        assert!(
            whole["summary"][status].as_u64().unwrap() > 0,
            "every colour occurs"
        );
    }
    assert!(
        whole["summary"]["probes_skipped"].as_u64().unwrap() > 0,
        "blocked dependents occur"
    );
    let expected = comparable(&whole);
    for n in 1..=8 {
        let parts = run_parts(dir.path(), n, "");
        // Balanced by probe count: parts differ by at most a few probes.
        let probes: Vec<u64> = parts
            .iter()
            .map(|p| {
                let s = &read(p)["summary"];
                [
                    "probes_pass",
                    "probes_warn",
                    "probes_fail",
                    "probes_error",
                    "probes_skipped",
                ]
                .iter()
                .map(|k| s[k].as_u64().unwrap_or(0))
                .sum()
            })
            .collect();
        let (min, max) = (probes.iter().min().unwrap(), probes.iter().max().unwrap());
        assert!(max - min <= 10, "N={n}: probes per part {probes:?}");
        let merged = merge(dir.path(), &parts);
        merged.code(1);
        assert_eq!(
            comparable(&merged.json()),
            expected,
            "N={n}: the merge differs from one run"
        );
        assert!(
            merged.json().get("shard").is_none(),
            "a merged report is whole"
        );
    }
}

#[test]
fn merge_refuses_missing_repeated_foreign_and_conflicting_parts() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("candlefish.yaml"), checklist(200)).expect("write");
    present(dir.path());
    let parts = run_parts(dir.path(), 3, "");
    merge(dir.path(), &parts).code(1);
    let schema = crate::schema::validator();
    let errors: Vec<String> = schema
        .iter_errors(&read(&parts[0]))
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "a part's report follows the schema: {errors:?}"
    );

    let ran = merge(dir.path(), &parts[..2]);
    ran.code(2);
    assert!(
        ran.stderr.contains("part is 3 of 3 missing"),
        "{}",
        ran.stderr
    );
    assert!(ran.stdout.is_empty(), "nothing merged: {}", ran.stdout);

    let ran = merge(
        dir.path(),
        &[
            parts[0].clone(),
            parts[1].clone(),
            parts[1].clone(),
            parts[2].clone(),
        ],
    );
    ran.code(2);
    assert!(
        ran.stderr.contains("part 2/3 is given twice"),
        "{}",
        ran.stderr
    );

    let two = run_parts(dir.path(), 2, "");
    let ran = merge(
        dir.path(),
        &[parts[0].clone(), parts[1].clone(), two[1].clone()],
    );
    ran.code(2);
    assert!(
        ran.stderr.contains("is a part of 2, ") && ran.stderr.contains("different runs"),
        "{}",
        ran.stderr
    );

    // A part edited to claim an item another part judged.
    let mut tampered = read(&parts[0]);
    let stolen = read(&parts[1])["shard"]["owned"][0].clone();
    tampered["shard"]["owned"]
        .as_array_mut()
        .unwrap()
        .push(stolen.clone());
    let tampered_path = dir.path().join("tampered.json");
    std::fs::write(&tampered_path, tampered.to_string()).expect("write");
    let ran = merge(
        dir.path(),
        &[tampered_path, parts[1].clone(), parts[2].clone()],
    );
    ran.code(2);
    assert!(
        ran.stderr.contains(&format!(
            "`{}` was judged by two parts",
            stolen.as_str().unwrap()
        )),
        "{}",
        ran.stderr
    );

    // A report of an unsharded run, and a part of another checklist.
    let whole = dir.path().join("whole.json");
    Run::new(&[
        "check",
        "-q",
        "--report",
        &format!("json={}", whole.display()),
    ])
    .in_dir(dir.path())
    .run();
    let ran = merge(dir.path(), &[whole]);
    ran.code(2);
    assert!(
        ran.stderr.contains("is not the report of a shard"),
        "{}",
        ran.stderr
    );
    std::fs::write(dir.path().join("candlefish.yaml"), checklist(300)).expect("write");
    let other = run_parts(dir.path(), 3, "other-");
    let ran = merge(
        dir.path(),
        &[parts[0].clone(), parts[1].clone(), other[2].clone()],
    );
    ran.code(2);
    assert!(
        ran.stderr.contains("is a part of another checklist"),
        "{}",
        ran.stderr
    );
}

#[test]
fn shard_arguments_are_checked() {
    for bad in ["0/3", "4/3", "x/2", "2", "1/0"] {
        let ran = Run::new(&["check", "--shard", bad])
            .with_checklist("version: 1\nname: x\nsections: []\n")
            .run();
        ran.code(2);
        assert!(ran.stderr.contains("is not K/N"), "{bad}: {}", ran.stderr);
    }
}
