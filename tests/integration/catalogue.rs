//! The probe catalogue in `probes/` is kept in step with the code.

use candlefish::checklist::{LoadOptions, Source, load_source};
use candlefish::probe::KIND_NAMES;

use crate::support::root;

fn page(kind: &str) -> String {
    let path = root().join("probes").join(format!("{kind}.md"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("probe kind `{kind}` has no page {}: {e}", path.display()))
}

fn options() -> LoadOptions {
    LoadOptions {
        env: Some(std::collections::HashMap::new()),
        ..LoadOptions::default()
    }
}

/// The fields a probe kind accepts, read from the loader's own "expected one of" hint.
fn fields_of(kind: &str) -> Vec<String> {
    let text = format!(
        "version: 1\nname: x\nsections:\n  - id: a\n    title: a\n    probe:\n      {kind}: {{ zz_not_a_field_zz: 1 }}\n"
    );
    let source = Source {
        name: "fields.yaml".into(),
        text,
    };
    let Err(error) = load_source(source, &options()) else {
        panic!("an unknown field must be rejected")
    };
    let rendered = error.render(false);
    let list = rendered
        .lines()
        .find_map(|l| {
            l.split_once("expected one of: ")
                .map(|(_, rest)| rest.to_owned())
        })
        .unwrap_or_else(|| panic!("no field list in:\n{rendered}"));
    list.split(", ").map(str::to_owned).collect()
}

#[test]
fn every_kind_has_a_page_listing_every_field() {
    let index = std::fs::read_to_string(root().join("probes/README.md")).expect("probes/README.md");
    for kind in KIND_NAMES {
        let text = page(kind);
        assert!(
            index.contains(&format!("[`{kind}`]({kind}.md)")),
            "probes/README.md does not link {kind}"
        );
        for field in fields_of(kind) {
            assert!(
                text.contains(&format!("| `{field}` |")),
                "probes/{kind}.md does not document `{field}`"
            );
        }
    }
}

#[test]
fn every_yaml_example_in_the_catalogue_loads() {
    let mut count = 0;
    let mut pages: Vec<std::path::PathBuf> = std::fs::read_dir(root().join("probes"))
        .expect("probes/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.push(root().join("README.md"));
    for path in pages {
        let text = std::fs::read_to_string(&path).expect("read page");
        for (i, block) in text.split("```yaml\n").skip(1).enumerate() {
            let yaml = block.split("```").next().unwrap_or_default();
            if !yaml.starts_with("version: 1") {
                continue;
            }
            count += 1;
            let source = Source {
                name: format!("{}#{}", path.display(), i + 1),
                text: yaml.to_owned(),
            };
            if let Err(error) = load_source(source, &options()) {
                panic!(
                    "example {} of {} does not load:\n{}",
                    i + 1,
                    path.display(),
                    error.render(false)
                );
            }
        }
    }
    assert!(
        count >= KIND_NAMES.len(),
        "every kind has at least one complete example ({count} found)"
    );
}
