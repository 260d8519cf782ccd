//! The JUnit report, read back by a real consumer: PyPI's junitparser (installed
//! by scripts/test into a venv under the target directory).

use std::collections::HashMap;
use std::process::Command;

use crate::support::{Run, Server, python_with};

const READ_BACK: &str = r#"
import json, sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
suites = []
for suite in xml:
    cases = []
    for case in suite:
        results = [{"kind": type(r).__name__, "type": r.type, "message": r.message, "text": r.text}
                   for r in case.result]
        cases.append({"name": case.name, "classname": case.classname, "time": case.time,
                      "passed": case.is_passed, "skipped": case.is_skipped, "results": results})
    suites.append({"name": suite.name, "tests": suite.tests, "failures": suite.failures,
                   "errors": suite.errors, "skipped": suite.skipped, "time": suite.time,
                   "cases": cases})
print(json.dumps({"name": xml.name, "tests": xml.tests, "failures": xml.failures,
                  "errors": xml.errors, "skipped": xml.skipped, "suites": suites}))
"#;

fn read_back(path: &std::path::Path) -> serde_json::Value {
    let python = python_with("junitparser");
    let out = Command::new(python)
        .args(["-c", READ_BACK])
        .arg(path)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "junitparser rejected the report:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

#[test]
fn junitparser_reads_every_item_with_its_verdict() {
    let server = Server::start();
    let dir = crate::reports::project(&server);
    Run::new(&["check", "-q", "--report", "junit=junit.xml"])
        .in_dir(dir.path())
        .run()
        .code(1);
    let xml = read_back(&dir.path().join("junit.xml"));
    assert_eq!(xml["name"], "Report formats");
    let suites = xml["suites"].as_array().expect("suites");
    let names: Vec<&str> = suites.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["Public API", "People"], "one suite per section");

    let mut cases: HashMap<String, &serde_json::Value> = HashMap::new();
    for suite in suites {
        for case in suite["cases"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("name").to_owned();
            cases.insert(name, case);
        }
    }
    assert_eq!(cases.len(), 7, "one case per item: {:?}", cases.keys());
    let case = |id: &str| {
        cases
            .iter()
            .find(|(name, _)| name.ends_with(&format!("[{id}]")))
            .map_or_else(|| panic!("no case for {id}"), |(_, c)| *c)
    };
    let kinds = |id: &str| -> Vec<String> {
        case(id)["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["kind"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(case("api-health")["passed"], true);
    assert_eq!(kinds("api-ready"), ["Failure"], "the system answered wrong");
    assert_eq!(kinds("api-down"), ["Error"], "the probe could not run");
    assert_eq!(
        kinds("api-slow"),
        Vec::<String>::new(),
        "yellow passes the default gate"
    );
    assert_eq!(kinds("training"), ["Failure"], "awaiting sign-off is red");
    assert_eq!(kinds("mobile"), ["Skipped"], "optional");

    let ready = &case("api-ready")["results"][0];
    assert!(
        ready["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("expected status 200, got 503"),
        "{ready}"
    );
    assert!(
        ready["text"]
            .as_str()
            .unwrap_or_default()
            .contains("GET http://127.0.0.1:")
    );
    assert_eq!(
        case("api-ready")["name"],
        "Readiness endpoint <takes> \"traffic\" & more [api-ready]",
        "markup in titles survives the writer's escaping"
    );
    assert_eq!(case("api-ready")["classname"], "api");
    assert!(case("api-slow")["time"].as_f64().unwrap_or_default() > 0.0);
    let down = &case("api-down")["results"][0];
    assert_eq!(down["type"], "error");
    assert!(
        down["message"]
            .as_str()
            .unwrap_or_default()
            .contains("refused"),
        "{down}"
    );

    assert_eq!(xml["tests"], 7);
    assert_eq!(xml["failures"], 2);
    assert_eq!(xml["errors"], 1);
    assert_eq!(xml["skipped"], 1);
}

#[test]
fn yellow_is_a_failure_when_the_gate_counts_it() {
    let server = Server::start();
    let dir = crate::reports::project(&server);
    Run::new(&[
        "check",
        "-q",
        "--fail-on",
        "yellow",
        "--report",
        "junit=junit.xml",
    ])
    .in_dir(dir.path())
    .run()
    .code(1);
    let xml = read_back(&dir.path().join("junit.xml"));
    let slow = xml["suites"][0]["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| {
            c["name"]
                .as_str()
                .unwrap_or_default()
                .ends_with("[api-slow]")
        })
        .expect("api-slow")
        .clone();
    assert_eq!(slow["results"][0]["kind"], "Failure", "{slow}");
    assert!(
        slow["results"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("latency"),
        "{slow}"
    );
}
