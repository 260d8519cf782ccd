//! The shipped Prometheus alerting rules (`deploy/prometheus/`), through
//! Debian's `promtool`: they parse (`check rules`), and their unit tests pass
//! (`test rules`) — and promtool does catch a broken rule and a wrong
//! expectation, so these checks can fail.

use std::path::Path;
use std::process::Command;

use crate::serve::debian_tool;
use crate::support::root;

fn promtool(args: &[&str], dir: &Path) -> (bool, String) {
    let out = Command::new(debian_tool("promtool", "prometheus"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run promtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn shipped(name: &str) -> String {
    std::fs::read_to_string(root().join("deploy/prometheus").join(name)).expect("read")
}

#[test]
fn the_rules_parse_and_their_unit_tests_pass() {
    let dir = root().join("deploy/prometheus");
    let (ok, out) = promtool(&["check", "rules", "candlefish-rules.yml"], &dir);
    assert!(ok && out.contains("SUCCESS: 6 rules found"), "{out}");
    let (ok, out) = promtool(&["test", "rules", "candlefish-rules.test.yml"], &dir);
    assert!(ok && out.contains("SUCCESS"), "{out}");
    // Every alert the issue asks for is there and tested.
    let tests = shipped("candlefish-rules.test.yml");
    for alert in [
        "CandlefishCriticalItemRed",
        "CandlefishGateFailing",
        "CandlefishCertificateExpiringSoon",
        "CandlefishSignoffStale",
    ] {
        assert!(
            tests.contains(&format!("alertname: {alert}")),
            "{alert} is tested"
        );
    }
}

#[test]
fn promtool_catches_a_broken_rule_and_a_wrong_expectation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = shipped("candlefish-rules.yml");
    std::fs::write(
        dir.path().join("candlefish-rules.yml"),
        rules.replace("candlefish_gate_passed == 0", "candlefish_gate_passed =="),
    )
    .expect("write");
    let (ok, out) = promtool(&["check", "rules", "candlefish-rules.yml"], dir.path());
    assert!(!ok && out.contains("parse error"), "{out}");

    // The real rules, and a test that expects no alert where one fires.
    std::fs::write(dir.path().join("candlefish-rules.yml"), rules).expect("write");
    let tests = shipped("candlefish-rules.test.yml").replacen(
        "      - eval_time: 4m\n        alertname: CandlefishCriticalItemRed",
        "      - eval_time: 8m\n        alertname: CandlefishCriticalItemRed",
        1,
    );
    std::fs::write(dir.path().join("t.yml"), tests).expect("write");
    let (ok, out) = promtool(&["test", "rules", "t.yml"], dir.path());
    assert!(!ok && out.contains("CandlefishCriticalItemRed"), "{out}");
}

#[test]
fn the_rules_use_only_metrics_serve_exports() {
    let rules = shipped("candlefish-rules.yml");
    let exported = crate::serve_support::exported_metric_names();
    let re = regex::Regex::new(r"candlefish_[a-z_]+").expect("regex");
    for name in re.find_iter(&rules).map(|m| m.as_str()) {
        assert!(
            exported.iter().any(|e| e == name),
            "{name} is not a metric serve exports: {exported:?}"
        );
    }
}
