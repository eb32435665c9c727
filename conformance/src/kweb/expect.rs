//! Judging kweb answers: byte patterns, JSON subsets and Bottle error pages.
//!
//! Expected values come from the scenarios (which come from
//! `kweb-reference.md` and real-kweb observations), never from the code under
//! test. Volatile values are written as `{{regex}}` holes: in a pattern body
//! the hole matches that regex, and in an expected JSON string a value that
//! is entirely `{{regex}}` must fully match the regex.

use regex::Regex;
use serde_json::Value;

/// Compiles a body pattern: literal text with `{{regex}}` holes, matched
/// against the whole body.
///
/// # Errors
/// A message when a hole is not a valid regex or `{{` is not closed.
pub fn pattern_regex(template: &str) -> Result<Regex, String> {
    let mut out = String::from("(?s)^");
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&regex::escape(&rest[..start]));
        let mut end = start
            + 2
            + rest[start + 2..]
                .find("}}")
                .ok_or_else(|| format!("unclosed {{{{ in pattern {template:?}"))?;
        // A hole may end in a regex repetition: `{{[0-9]{36}}}` closes at the last two braces.
        while rest[end + 2..].starts_with('}') {
            end += 1;
        }
        out.push_str(&format!("(?:{})", &rest[start + 2..end]));
        rest = &rest[end + 2..];
    }
    out.push_str(&regex::escape(rest));
    out.push('$');
    Regex::new(&out).map_err(|e| format!("bad pattern {template:?}: {e}"))
}

/// Checks that `actual` matches a `{{regex}}` pattern.
///
/// # Errors
/// A message naming the first line that differs.
pub fn matches_pattern(actual: &str, template: &str) -> Result<(), String> {
    if pattern_regex(template)?.is_match(actual) {
        return Ok(());
    }
    Err(format!(
        "body does not match the pattern\n  pattern: {template}\n  actual:  {actual}"
    ))
}

/// Checks that `actual` contains `expected`: objects may have more keys,
/// arrays must have the same length and match element by element, strings
/// that are entirely `{{regex}}` are regexes, other values compare equal.
///
/// # Errors
/// A message with the JSON pointer of the first difference.
pub fn json_contains(actual: &Value, expected: &Value) -> Result<(), String> {
    contains_at(actual, expected, "")
}

fn contains_at(actual: &Value, expected: &Value, at: &str) -> Result<(), String> {
    let here = if at.is_empty() { "/" } else { at };
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => {
            for (key, want_value) in want {
                let pointer = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                let have_value = have
                    .get(key)
                    .ok_or_else(|| format!("missing key at {pointer}"))?;
                contains_at(have_value, want_value, &pointer)?;
            }
            Ok(())
        }
        (Value::Array(want), Value::Array(have)) => {
            if want.len() != have.len() {
                return Err(format!(
                    "at {here}: expected {} items, found {}: {actual}",
                    want.len(),
                    have.len()
                ));
            }
            want.iter()
                .zip(have)
                .enumerate()
                .try_for_each(|(i, (w, h))| contains_at(h, w, &format!("{at}/{i}")))
        }
        (Value::String(want), _) if is_hole(want) => {
            let re = Regex::new(&format!("^(?:{})$", &want[2..want.len() - 2]))
                .map_err(|e| format!("bad regex {want:?}: {e}"))?;
            let text = match actual {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if re.is_match(&text) {
                Ok(())
            } else {
                Err(format!("at {here}: {actual} does not match {want}"))
            }
        }
        _ if expected == actual => Ok(()),
        _ => Err(format!("at {here}: expected {expected}, found {actual}")),
    }
}

fn is_hole(text: &str) -> bool {
    text.len() >= 4 && text.starts_with("{{") && text.ends_with("}}")
}

/// Python `repr()` of a string, as Bottle puts it into error pages.
#[must_use]
pub fn python_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::new();
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// The request URL as Bottle rebuilds it for error pages: `http://`, the
/// host, the path percent-decoded and re-quoted the way Python's
/// `urllib.parse.quote(path, safe="/")` does (so `'` becomes `%27`), then the
/// query string as received. Observed on the real kweb: a path with `'` shows
/// `&#039;http://host/it%27s&#039;`.
#[must_use]
pub fn bottle_url(host: &str, path_and_query: &str) -> String {
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    let mut url = format!("http://{host}");
    for byte in percent_decode(path) {
        if byte.is_ascii_alphanumeric() || b"_.-~/".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// Decodes `%XX` escapes; malformed escapes stay as they are.
#[must_use]
pub fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(value)) => {
                out.push(value);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// Bottle's `html_escape`: `&` `<` `>` `"` `'` and nothing else.
#[must_use]
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#039;")
}

/// The Bottle HTML error page (E3, `kweb-reference.md` §4.4) for a status
/// such as `404 Not Found`, the request URL as [`bottle_url`] builds it and
/// the error text, byte for byte.
#[must_use]
pub fn bottle_error_page(status: &str, url: &str, text: &str) -> String {
    format!(
        "\n    <!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n    <html>\n        <head>\n            <title>Error: {status}</title>\n            <style type=\"text/css\">\n              html {{background-color: #eee; font-family: sans-serif;}}\n              body {{background-color: #fff; border: 1px solid #ddd;\n                    padding: 15px; margin: 15px;}}\n              pre {{background-color: #eee; border: 1px solid #ddd; padding: 5px;}}\n            </style>\n        </head>\n        <body>\n            <h1>Error: {status}</h1>\n            <p>Sorry, the requested URL <tt>{url}</tt>\n               caused an error:</p>\n            <pre>{text}</pre>\n        </body>\n    </html>\n",
        url = html_escape(&python_repr(url)),
        text = html_escape(text),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_page_length_follows_the_reference_formula() {
        // kweb-reference.md §4.4: GET /nonexistent on 127.0.0.1:18000 is 749 bytes.
        let page = bottle_error_page(
            "404 Not Found",
            "http://127.0.0.1:18000/nonexistent",
            "Not found: '/nonexistent'",
        );
        assert_eq!(page.len(), 749);
        assert!(page.contains("<tt>&#039;http://127.0.0.1:18000/nonexistent&#039;</tt>"));
    }

    #[test]
    fn urls_are_requoted_like_python() {
        assert_eq!(bottle_url("h:1", "/it's?a='b'"), "http://h:1/it%27s?a='b'");
        assert_eq!(bottle_url("h", "/vm-%c3%a9"), "http://h/vm-%C3%A9");
        assert_eq!(bottle_url("h", "/a%zz"), "http://h/a%25zz");
    }

    #[test]
    fn repr_switches_quotes_like_python() {
        assert_eq!(python_repr("a'b"), "\"a'b\"");
        assert_eq!(python_repr("a'b\""), "'a\\'b\"'");
        assert_eq!(python_repr("/x"), "'/x'");
    }

    #[test]
    fn patterns_have_regex_holes() {
        assert!(
            matches_pattern(r#"{"vm": "fired-merle"}"#, r#"{"vm": "{{[a-z]+-[a-z]+}}"}"#).is_ok()
        );
        assert!(matches_pattern(r#"{"vm": "Fired"}"#, r#"{"vm": "{{[a-z]+-[a-z]+}}"}"#).is_err());
        assert!(matches_pattern("a.b", "a.b").is_ok());
        assert!(matches_pattern(r#"{"id": "0123"}"#, r#"{"id": "{{[0-9]{4}}}"}"#).is_ok());
        assert!(matches_pattern("axb", "a.b").is_err());
    }

    #[test]
    fn json_subset_rules() {
        let actual = json!({"a": 1, "b": [{"c": "x1", "d": 2}], "e": "192.168.122.7"});
        assert!(json_contains(&actual, &json!({"b": [{"c": "x1"}]})).is_ok());
        assert!(json_contains(&actual, &json!({"e": "{{192\\.168\\.122\\.\\d+}}"})).is_ok());
        assert!(json_contains(&actual, &json!({"b": []})).is_err());
        assert!(json_contains(&actual, &json!({"z": 1})).is_err());
        assert!(json_contains(&actual, &json!({"a": "1"})).is_err());
    }
}
