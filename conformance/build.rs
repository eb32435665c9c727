//! Embeds the feature files (`features/sp`, `features/kweb`) and the files
//! kweb scenarios name through `${FIXTURES}` (`fixtures/kweb-configs`) into
//! the binary, so a `dcm-conformance` copied anywhere runs the full suites.
//!
//! Writes `$OUT_DIR/embedded_features.rs` with one `(file name, text)` pair
//! per file, each through `include_str!` (Cargo then rebuilds when a file
//! changes); the directories themselves are watched, so an added or removed
//! file also rebuilds.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(read) => read
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == extension))
            .collect(),
        Err(e) => panic!("cannot read directory {}: {e}", dir.display()),
    };
    files.sort();
    files
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by Cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by Cargo"));
    let mut code = String::new();
    for (constant, dir, extension) in [
        ("SP", "../features/sp", "feature"),
        ("KWEB", "../features/kweb", "feature"),
        ("KWEB_CONFIGS", "fixtures/kweb-configs", "yml"),
    ] {
        let dir = manifest.join(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        let _ = writeln!(code, "pub(crate) const {constant}: &[(&str, &str)] = &[");
        for path in files(&dir, extension) {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("embedded file names are UTF-8");
            let absolute = path.canonicalize().expect("listed file exists");
            let _ = writeln!(code, "    ({name:?}, include_str!({:?})),", absolute);
        }
        code.push_str("];\n");
    }
    std::fs::write(out.join("embedded_features.rs"), code).expect("OUT_DIR is writable");
}
