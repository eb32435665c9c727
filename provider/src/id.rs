//! [`InstanceId`]: a DCM instance id, validated once where it enters the
//! provider (the `?id=` query, the `{id}` path segment, a VM's `dcm_id`).

use std::fmt;

/// Ids that are literal path segments under `{endpoint}/` (API-012).
pub(crate) const RESERVED_IDS: &[&str] = &["health"];

/// A valid instance id (API-012): 1 to 253 characters of `[A-Za-z0-9._-]`,
/// starting and ending with a letter or digit, and not a reserved segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct InstanceId(String);

/// Why a text is not an [`InstanceId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "must be 1 to 253 characters of letters, digits, '.', '_' or '-', start and end with a letter or digit, and not be a reserved segment"
)]
pub(crate) struct InvalidId;

impl InstanceId {
    /// Validates `text` (API-012).
    ///
    /// # Errors
    /// [`InvalidId`] when it breaks the pattern.
    pub(crate) fn parse(text: &str) -> Result<Self, InvalidId> {
        let b = text.as_bytes();
        let inner = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
        let ok = !b.is_empty()
            && b.len() <= 253
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(inner)
            && !RESERVED_IDS.contains(&text);
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(InvalidId)
        }
    }

    /// The id text.
    #[must_use]
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for InstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api012_id_pattern() {
        for good in ["a", "vm-1", "A.b_c-9", &"x".repeat(253)] {
            assert!(InstanceId::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "a b",
            "a/b",
            "health",
            &"x".repeat(254),
            "é",
        ] {
            assert_eq!(InstanceId::parse(bad), Err(InvalidId), "{bad}");
        }
    }
}
