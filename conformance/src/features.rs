//! Where the suites' feature files come from: embedded in the binary at
//! build time (the default, so a copied or `cargo install`ed binary runs the
//! full suites from any directory), or a directory given with `--features`.
//!
//! Both kinds are parsed here with cucumber's gherkin parser and fed to
//! cucumber through [`SourceParser`], so the runners never read paths
//! themselves. [`FeatureSource::provenance`] is what the reports record.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cucumber::feature::Ext as _;
use cucumber::gherkin::{self, GherkinEnv};
use sha2::{Digest as _, Sha256};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_features.rs"));
}

/// Which suite's feature files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    /// `features/sp`: the DCM SP contract suite.
    Sp,
    /// `features/kweb`: the kweb parity suite.
    Kweb,
}

impl Suite {
    fn embedded(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Suite::Sp => embedded::SP,
            Suite::Kweb => embedded::KWEB,
        }
    }

    fn dir_name(self) -> &'static str {
        match self {
            Suite::Sp => "sp",
            Suite::Kweb => "kweb",
        }
    }
}

/// The feature files of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureSource {
    /// The copy compiled into this binary.
    Embedded(Suite),
    /// Every `*.feature` file directly under a directory (`--features DIR`).
    Dir(PathBuf),
}

impl FeatureSource {
    /// `Dir(dir)` when a directory was given, else the embedded copy of `suite`.
    #[must_use]
    pub fn from_option(dir: Option<PathBuf>, suite: Suite) -> Self {
        dir.map_or(FeatureSource::Embedded(suite), FeatureSource::Dir)
    }
}

/// Writes the files kweb scenarios name through `${FIXTURES}`
/// (`conformance/fixtures/kweb-configs/*.yml`, embedded at build time) to
/// `dir/kweb-configs/`, creating the directories, and returns `dir`, the
/// value of `${FIXTURES}`: the files then exist wherever the binary runs,
/// source tree or not (a kweb on this machine reads plan files from there).
///
/// # Errors
/// Creating the directory or writing a file.
pub fn write_kweb_fixtures(dir: &Path) -> std::io::Result<PathBuf> {
    let configs = dir.join("kweb-configs");
    std::fs::create_dir_all(&configs)?;
    for (name, text) in embedded::KWEB_CONFIGS {
        std::fs::write(configs.join(name), text)?;
    }
    Ok(dir.to_path_buf())
}

/// One feature file's text.
#[derive(Debug, Clone)]
pub struct FeatureFile {
    /// Path as reported: the real path for a directory, `embedded:features/sp/NAME`
    /// for the embedded copy. Its file stem is the feature's name in reports.
    pub path: PathBuf,
    /// The Gherkin text.
    pub text: String,
}

/// Reading or parsing feature files failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The directory or a file in it could not be read.
    #[error("cannot read feature files in {path}: {source}")]
    Read {
        /// Directory or file.
        path: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The directory holds no `*.feature` file.
    #[error("{0} holds no *.feature file")]
    Empty(String),
    /// A feature file does not parse.
    #[error("feature file {path} does not parse: {reason}")]
    Parse {
        /// File.
        path: String,
        /// Cause (line and column).
        reason: String,
    },
}

/// What the reports record about the feature files of a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Provenance {
    /// `embedded` or `directory`.
    pub source: &'static str,
    /// The directory for `directory`; `features/<suite>` as built for `embedded`.
    pub location: String,
    /// Number of feature files.
    pub files: usize,
    /// SHA-256 (hex) over every file's name, a NUL, its text and a NUL, in name order.
    pub sha256: String,
}

impl FeatureSource {
    /// The feature files, sorted by name.
    ///
    /// # Errors
    /// [`SourceError::Read`] or [`SourceError::Empty`] for a directory.
    pub fn files(&self) -> Result<Vec<FeatureFile>, SourceError> {
        match self {
            FeatureSource::Embedded(suite) => Ok(suite
                .embedded()
                .iter()
                .map(|(name, text)| FeatureFile {
                    path: PathBuf::from(format!("embedded:features/{}/{name}", suite.dir_name())),
                    text: (*text).to_owned(),
                })
                .collect()),
            FeatureSource::Dir(dir) => read_dir(dir),
        }
    }

    /// Every feature parsed (`feature.path` set to [`FeatureFile::path`]),
    /// examples not yet expanded.
    ///
    /// # Errors
    /// [`SourceError`].
    pub fn parse(&self) -> Result<Vec<gherkin::Feature>, SourceError> {
        self.files()?.into_iter().map(parse_file).collect()
    }

    /// Kind, location, file count and content hash.
    ///
    /// # Errors
    /// [`SourceError`] reading a directory.
    pub fn provenance(&self) -> Result<Provenance, SourceError> {
        let files = self.files()?;
        let mut hash = Sha256::new();
        for f in &files {
            hash.update(
                f.path
                    .file_name()
                    .map(|n| n.as_encoded_bytes())
                    .unwrap_or_default(),
            );
            hash.update([0]);
            hash.update(f.text.as_bytes());
            hash.update([0]);
        }
        let digest = hash.finalize();
        let sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok(match self {
            FeatureSource::Embedded(suite) => Provenance {
                source: "embedded",
                location: format!("features/{}", suite.dir_name()),
                files: files.len(),
                sha256,
            },
            FeatureSource::Dir(dir) => Provenance {
                source: "directory",
                location: dir.display().to_string(),
                files: files.len(),
                sha256,
            },
        })
    }
}

impl std::fmt::Display for FeatureSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FeatureSource::Embedded(suite) => {
                write!(f, "embedded features/{}", suite.dir_name())
            }
            FeatureSource::Dir(dir) => write!(f, "{}", dir.display()),
        }
    }
}

fn read_dir(dir: &Path) -> Result<Vec<FeatureFile>, SourceError> {
    let read = std::fs::read_dir(dir).map_err(|source| SourceError::Read {
        path: dir.display().to_string(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = read
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "feature"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(SourceError::Empty(dir.display().to_string()));
    }
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(|source| SourceError::Read {
                path: path.display().to_string(),
                source,
            })?;
            Ok(FeatureFile { path, text })
        })
        .collect()
}

fn parse_text(file: FeatureFile) -> Result<gherkin::Feature, gherkin::ParseFileError> {
    let mut feature =
        gherkin::Feature::parse(&file.text, GherkinEnv::default()).map_err(|source| {
            gherkin::ParseFileError::Parsing {
                path: file.path.clone(),
                error: None,
                source,
            }
        })?;
    feature.path = Some(file.path);
    Ok(feature)
}

fn parse_file(file: FeatureFile) -> Result<gherkin::Feature, SourceError> {
    let path = file.path.display().to_string();
    parse_text(file).map_err(|e| SourceError::Parse {
        path,
        reason: match &e {
            gherkin::ParseFileError::Parsing { source, .. } => source.to_string(),
            gherkin::ParseFileError::Reading { source, .. } => source.to_string(),
        },
    })
}

/// The cucumber [`Parser`](cucumber::Parser) over a [`FeatureSource`]:
/// `cucumber.with_parser(SourceParser).filter_run(source, filter)`.
///
/// Its CLI is cucumber's basic one: `--input GLOB` still reads the files
/// the glob matches instead of the source.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceParser;

impl cucumber::Parser<FeatureSource> for SourceParser {
    type Cli = cucumber::parser::basic::Cli;
    type Output =
        futures::stream::Iter<std::vec::IntoIter<cucumber::parser::Result<gherkin::Feature>>>;

    fn parse(self, input: FeatureSource, cli: Self::Cli) -> Self::Output {
        if cli.features.is_some() {
            return <cucumber::parser::Basic as cucumber::Parser<PathBuf>>::parse(
                cucumber::parser::Basic::new(),
                PathBuf::from("."),
                cli,
            );
        }
        let parsed: Vec<cucumber::parser::Result<gherkin::Feature>> = match input.files() {
            Err(e) => vec![Err(read_error(&input, e))],
            Ok(files) => files
                .into_iter()
                .map(|file| {
                    parse_text(file)?
                        .expand_examples()
                        .map_err(|e| cucumber::parser::Error::ExampleExpansion(Arc::new(e)))
                })
                .collect(),
        };
        futures::stream::iter(parsed)
    }
}

fn read_error(input: &FeatureSource, e: SourceError) -> cucumber::parser::Error {
    let source = match e {
        SourceError::Read { source, .. } => source,
        other => std::io::Error::other(other.to_string()),
    };
    cucumber::parser::Error::Parsing(Arc::new(gherkin::ParseFileError::Reading {
        path: PathBuf::from(input.to_string()),
        source,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_copies_equal_the_source_tree() {
        for (suite, dir) in [(Suite::Sp, "sp"), (Suite::Kweb, "kweb")] {
            let tree = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../features")
                .join(dir);
            let embedded = FeatureSource::Embedded(suite)
                .provenance()
                .expect("embedded");
            let on_disk = FeatureSource::Dir(tree).provenance().expect("source tree");
            assert_eq!(
                embedded.sha256, on_disk.sha256,
                "{dir}: rebuild embeds the tree"
            );
            assert_eq!(embedded.files, on_disk.files);
            assert!(embedded.files > 5, "{dir} has feature files");
            assert_eq!(embedded.source, "embedded");
        }
    }

    #[test]
    fn embedded_features_parse_with_their_names() {
        let features = FeatureSource::Embedded(Suite::Sp).parse().expect("parses");
        let stems: Vec<String> = features
            .iter()
            .filter_map(|f| f.path.as_ref()?.file_stem()?.to_str().map(str::to_owned))
            .collect();
        assert!(stems.iter().any(|s| s == "vm_lifecycle"), "{stems:?}");
    }

    #[test]
    fn an_empty_or_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            FeatureSource::Dir(dir.path().to_owned()).files(),
            Err(SourceError::Empty(_))
        ));
        assert!(matches!(
            FeatureSource::Dir(dir.path().join("nope")).files(),
            Err(SourceError::Read { .. })
        ));
    }
}
