//! The generated table inside a hand-written Markdown document.

use thiserror::Error;

/// Line that opens the generated region.
pub const BEGIN: &str = "<!-- BEGIN GENERATED SETTINGS TABLE (cargo run -p settings-doc -- write docs/operator-guide.md) -->";
/// Line that closes the generated region.
pub const END: &str = "<!-- END GENERATED SETTINGS TABLE -->";

/// Why a document cannot take the table.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DocumentError {
    /// The document lacks one of the marker lines (or has it twice).
    #[error("the document must contain the line `{0}` exactly once")]
    Marker(&'static str),
    /// The end marker comes before the begin marker.
    #[error("`{END}` comes before `{BEGIN}`")]
    Order,
}

/// Returns `document` with everything between the marker lines replaced by
/// `table`. The markers stay; text outside them is untouched.
///
/// Errors: [`DocumentError::Marker`] when a marker line is missing or
/// repeated, [`DocumentError::Order`] when they are swapped.
pub fn splice(document: &str, table: &str) -> Result<String, DocumentError> {
    let begin = single(document, BEGIN)?;
    let end = single(document, END)?;
    if end < begin {
        return Err(DocumentError::Order);
    }
    let head = &document[..begin + BEGIN.len()];
    let tail = &document[end..];
    Ok(format!("{head}\n{table}{tail}"))
}

fn single(document: &str, marker: &'static str) -> Result<usize, DocumentError> {
    let mut found = document.match_indices(marker).map(|(at, _)| at);
    match (found.next(), found.next()) {
        (Some(at), None) => Ok(at),
        _ => Err(DocumentError::Marker(marker)),
    }
}

/// The first line where two texts differ, 1-based, with both versions; for
/// error messages. `None` when they are equal.
pub fn first_difference(committed: &str, generated: &str) -> Option<(usize, String, String)> {
    let mut left = committed.lines();
    let mut right = generated.lines();
    let mut number = 0;
    loop {
        number += 1;
        match (left.next(), right.next()) {
            (None, None) => return None,
            (a, b) if a == b => continue,
            (a, b) => {
                return Some((
                    number,
                    a.unwrap_or("<end>").to_owned(),
                    b.unwrap_or("<end>").to_owned(),
                ));
            }
        }
    }
}
