//! The request language of the kweb scenarios.
//!
//! Every step that sends something names the request the same way, so the
//! cucumber steps, the differential mode and the documentation share one
//! parser:
//!
//! ```text
//! "METHOD /path?query" [clause ...]
//! ```
//!
//! Clauses, in any order:
//!
//! | Clause | Effect |
//! |---|---|
//! | `with JSON:` / `with JSON '<text>'` | body from the doc string / inline, `Content-Type: application/json` |
//! | `with form:` / `with form '<a=1&b=>'` | urlencoded body, `Content-Type: application/x-www-form-urlencoded` |
//! | `with body:` / `with body '<text>'` | body without any `Content-Type` (like `curl -d` minus its default) |
//! | `with bytes '<text>'` / `and bytes '<text>'` | body bytes, `\xNN` escapes allowed (invalid UTF-8) |
//! | `with content type "<ct>"` | sets `Content-Type` (combine with `and body:` / `and body '...'` / `and no body`) |
//! | `with a JSON body of <n> bytes` | a JSON object padded to exactly `n` bytes, JSON content type |
//! | `with a form body of <n> bytes` | an urlencoded form padded to exactly `n` bytes |
//! | `with header "<Name: value>"` | adds a header (repeatable) |
//! | `over HTTP/1.0` | request line says `HTTP/1.0` |
//! | `chunked` | body sent with `Transfer-Encoding: chunked` |
//!
//! `${NAME}` in the path or body is replaced from [`Vars`] (`${FIXTURES}`:
//! the absolute fixtures directory; `${TMP}`: a scratch directory of the run).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::kweb::error::KwebError;
use crate::wire::Request;

/// Substitution variables for paths and bodies (`${NAME}` → value).
pub type Vars = BTreeMap<String, String>;

static HEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^"(?P<method>[^ "]+) (?P<path>[^"]*)"(?P<rest>.*)$"#).expect("valid regex")
});
static CLAUSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"^(?:(?P<json_doc>with JSON:)|with JSON '(?P<json>(?:[^']|'')*)'"#,
        r#"|(?P<form_doc>with form:)|with form '(?P<form>(?:[^']|'')*)'"#,
        r#"|(?P<body_doc>(?:with|and) body:)|(?:with|and) body '(?P<body>(?:[^']|'')*)'"#,
        r#"|(?P<no_body>and no body)"#,
        r#"|(?:with|and) bytes '(?P<bytes>[^']*)'"#,
        r#"|with content type "(?P<ct>[^"]*)""#,
        r#"|with a JSON body of (?P<size>\d+) bytes"#,
        r#"|with a form body of (?P<form_size>\d+) bytes"#,
        r#"|with header "(?P<hname>[^":]+): ?(?P<hvalue>[^"]*)""#,
        r#"|(?P<http10>over HTTP/1\.0)"#,
        r#"|(?P<chunked>chunked))"#
    ))
    .expect("valid regex")
});
static VAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\{([A-Z_]+)\}").expect("valid regex"));

/// Replaces `${NAME}` with its value.
///
/// # Errors
/// [`KwebError::Parse`] for an unknown variable.
pub fn substitute(text: &str, vars: &Vars) -> Result<String, KwebError> {
    let mut missing = None;
    let out = VAR.replace_all(text, |caps: &regex::Captures<'_>| {
        vars.get(&caps[1]).cloned().unwrap_or_else(|| {
            missing = Some(caps[1].to_owned());
            String::new()
        })
    });
    match missing {
        Some(name) => Err(KwebError::Parse(format!(
            "unknown variable ${{{name}}} in {text:?}"
        ))),
        None => Ok(out.into_owned()),
    }
}

/// Parses a request description (the part of a step from the first `"`).
///
/// `docstring` feeds the `with JSON:`, `with form:` and `body:` clauses.
///
/// # Errors
/// [`KwebError::Parse`] when the text does not follow the grammar above, a
/// doc-string clause has no doc string, or a variable is unknown.
pub fn parse_request(
    spec: &str,
    docstring: Option<&str>,
    vars: &Vars,
) -> Result<Request, KwebError> {
    let caps = HEAD.captures(spec.trim()).ok_or_else(|| {
        KwebError::Parse(format!("request {spec:?}: expected \"METHOD /path\" first"))
    })?;
    let path = substitute(&caps["path"], vars)?;
    if !path.starts_with('/') {
        return Err(KwebError::Parse(format!(
            "request {spec:?}: the path must start with /"
        )));
    }
    let mut request = Request::new(&caps["method"], &path);
    let mut content_type: Option<String> = None;
    let mut body: Option<String> = None;
    let mut raw: Option<Vec<u8>> = None;
    let doc = || {
        docstring
            .map(str::to_owned)
            .ok_or_else(|| KwebError::Parse(format!("request {spec:?} needs a doc string")))
    };
    let mut rest = caps["rest"].trim_start().to_owned();
    while !rest.is_empty() {
        let clause = CLAUSE
            .captures(&rest)
            .ok_or_else(|| KwebError::Parse(format!("request {spec:?}: cannot read {rest:?}")))?;
        let inline = |name: &str| clause.name(name).map(|m| m.as_str().replace("''", "'"));
        if clause.name("json_doc").is_some() {
            content_type = Some("application/json".into());
            body = Some(doc()?);
        } else if let Some(json) = inline("json") {
            content_type = Some("application/json".into());
            body = Some(json);
        } else if clause.name("form_doc").is_some() {
            content_type = Some("application/x-www-form-urlencoded".into());
            body = Some(doc()?.lines().map(str::trim).collect());
        } else if let Some(form) = inline("form") {
            content_type = Some("application/x-www-form-urlencoded".into());
            body = Some(form);
        } else if clause.name("body_doc").is_some() {
            body = Some(doc()?);
        } else if let Some(text) = inline("body") {
            body = Some(text);
        } else if clause.name("no_body").is_some() {
            body = None;
        } else if let Some(text) = clause.name("bytes") {
            raw = Some(unescape_bytes(text.as_str())?);
        } else if let Some(ct) = clause.name("ct") {
            content_type = Some(ct.as_str().to_owned());
        } else if let Some(size) = clause.name("size") {
            let size: usize = size
                .as_str()
                .parse()
                .map_err(|e| KwebError::Parse(format!("request {spec:?}: size: {e}")))?;
            content_type = Some("application/json".into());
            body = Some(padded_json(size)?);
        } else if let Some(size) = clause.name("form_size") {
            let size: usize = size
                .as_str()
                .parse()
                .map_err(|e| KwebError::Parse(format!("request {spec:?}: size: {e}")))?;
            content_type = Some("application/x-www-form-urlencoded".into());
            body = Some(padded_form(size)?);
        } else if let (Some(name), Some(value)) = (clause.name("hname"), clause.name("hvalue")) {
            request
                .headers
                .push((name.as_str().to_owned(), value.as_str().to_owned()));
        } else if clause.name("http10").is_some() {
            request.http10 = true;
        } else if clause.name("chunked").is_some() {
            request.chunked = true;
        }
        rest = rest[clause.get(0).map_or(0, |m| m.end())..]
            .trim_start()
            .to_owned();
    }
    if let Some(ct) = content_type {
        request.set_header("Content-Type", &ct);
    }
    if let Some(body) = body {
        request.body = substitute(&body, vars)?.into_bytes();
    }
    if let Some(raw) = raw {
        request.body = raw;
    }
    Ok(request)
}

/// Text with `\xNN` escapes as bytes (for bodies that are not UTF-8).
fn unescape_bytes(text: &str) -> Result<Vec<u8>, KwebError> {
    let mut out = Vec::new();
    let mut rest = text.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        if first == b'\\' && tail.first() == Some(&b'x') {
            let hex = tail
                .get(1..3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| KwebError::Parse(format!("bad \\x escape in {text:?}")))?;
            out.push(hex);
            rest = &tail[3..];
        } else {
            out.push(first);
            rest = tail;
        }
    }
    Ok(out)
}

/// A JSON object of exactly `size` bytes: `{"name": "big", "pad": "xxx..."}`
/// (the smallest is 26 bytes).
///
/// # Errors
/// [`KwebError::Parse`] when `size` is below 26.
pub fn padded_json(size: usize) -> Result<String, KwebError> {
    let frame = r#"{"name": "big", "pad": ""}"#;
    let pad = size.checked_sub(frame.len()).ok_or_else(|| {
        KwebError::Parse(format!("a JSON body needs at least {} bytes", frame.len()))
    })?;
    Ok(format!(
        r#"{{"name": "big", "pad": "{}"}}"#,
        "x".repeat(pad)
    ))
}

/// An urlencoded form of exactly `size` bytes: `name=big&pad=xxx...`.
fn padded_form(size: usize) -> Result<String, KwebError> {
    let frame = "name=big&pad=";
    let pad = size.checked_sub(frame.len()).ok_or_else(|| {
        KwebError::Parse(format!("a form body needs at least {} bytes", frame.len()))
    })?;
    Ok(format!("{frame}{}", "x".repeat(pad)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        Vars::from([("FIXTURES".to_owned(), "/fx".to_owned())])
    }

    #[test]
    fn plain_request() {
        let r = parse_request(r#""GET /vms""#, None, &vars()).expect("parses");
        assert_eq!((r.method.as_str(), r.url.as_str()), ("GET", "/vms"));
        assert!(r.headers.is_empty() && r.body.is_empty());
    }

    #[test]
    fn json_doc_and_inline() {
        let r = parse_request(r#""POST /vms" with JSON:"#, Some(r#"{"a": 1}"#), &vars())
            .expect("parses");
        assert_eq!(r.header("Content-Type"), Some("application/json"));
        assert_eq!(r.body, br#"{"a": 1}"#);
        let r = parse_request(
            r#""UPDATE /vms/x" with JSON '{"b": "it''s"}'"#,
            None,
            &vars(),
        )
        .expect("parses");
        assert_eq!(r.body, br#"{"b": "it's"}"#);
        assert!(parse_request(r#""POST /vms" with JSON:"#, None, &vars()).is_err());
    }

    #[test]
    fn content_type_headers_and_flags_combine() {
        let r = parse_request(
            r#""post /x?y=1" with content type "text/plain" and body 'a=b' with header "X-Forwarded-Host: h:1" over HTTP/1.0 chunked"#,
            None,
            &vars(),
        )
        .expect("parses");
        assert_eq!(r.method, "post");
        assert_eq!(r.header("Content-Type"), Some("text/plain"));
        assert_eq!(r.header("X-Forwarded-Host"), Some("h:1"));
        assert!(r.http10 && r.chunked);
        assert_eq!(r.body, b"a=b");
    }

    #[test]
    fn raw_bytes() {
        let r = parse_request(
            r#""POST /x" with content type "application/json" and bytes '{"a": "\xe9"}'"#,
            None,
            &vars(),
        )
        .expect("parses");
        assert_eq!(r.body, b"{\"a\": \"\xe9\"}");
    }

    #[test]
    fn padded_bodies_have_the_exact_size() {
        let r = parse_request(
            r#""POST /vms" with a JSON body of 102401 bytes"#,
            None,
            &vars(),
        )
        .expect("parses");
        assert_eq!(r.body.len(), 102_401);
        assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_ok());
    }

    #[test]
    fn variables_and_errors() {
        let r = parse_request(
            r#""POST /plans" with JSON '{"url": "${FIXTURES}/p.yml"}'"#,
            None,
            &vars(),
        )
        .expect("ok");
        assert_eq!(r.body, br#"{"url": "/fx/p.yml"}"#);
        assert!(parse_request(r#""POST /x" with JSON '${NOPE}'"#, None, &vars()).is_err());
        assert!(parse_request(r#""POST /x" with bananas"#, None, &vars()).is_err());
        assert!(parse_request("GET /x", None, &vars()).is_err());
    }
}
