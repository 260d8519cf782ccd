//! `candlefish import FILE.md`: a Markdown checklist → checklist YAML on stdout
//! or `-o FILE`, with what was repaired and recognised on stderr.

use super::Exit;
use super::output::write_atomically;
use crate::cli::ImportArgs;

/// The largest Markdown file read (8 MiB).
const MAX_MARKDOWN_BYTES: u64 = 8 * 1024 * 1024;

pub fn run(args: &ImportArgs) -> Exit {
    let path = &args.file;
    if let Some(out) = &args.output {
        if let Err(message) = super::output::refuse_clobbering(
            &[out.as_path()],
            &[(path.as_path(), "the Markdown being imported")],
        ) {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
        if out.exists() && !args.force {
            eprintln!(
                "error: {} exists; pass --force to replace it (a checklist edited by hand would be lost)",
                out.display()
            );
            return Exit::Usage;
        }
    }
    let bytes = match crate::bounded::read_at_most(path, MAX_MARKDOWN_BYTES, "a Markdown checklist")
    {
        Ok(bytes) => bytes,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    let source = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let imported = match crate::import::import(&bytes, &source) {
        Ok(imported) => imported,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    for message in &imported.messages {
        eprintln!("import: {message}");
    }
    match &args.output {
        Some(out) => {
            if let Err(e) = write_atomically(out, imported.yaml.as_bytes()) {
                eprintln!("error: cannot write {}: {e}", out.display());
                return Exit::Usage;
            }
            eprintln!(
                "import: wrote {} ({}); check it with `candlefish validate {}`",
                out.display(),
                crate::report::text::count(imported.items, "item"),
                out.display()
            );
        }
        None => super::print_out(&imported.yaml),
    }
    Exit::Passed
}
