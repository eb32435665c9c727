//! The `curl` line that reproduces a request (style.md, cucumber section:
//! every failure prints one).
//!
//! Shape: `curl -sS -i -X METHOD 'URL' [--http1.0] [-H 'Name: value' ...]
//! [--data-binary BODY]`; `HEAD` uses `-I` instead of `-X HEAD` (curl would
//! otherwise wait for a body). Every argument is single-quoted for a POSIX
//! shell. Bodies up to [`INLINE_BODY`] bytes are inlined; a longer body of one
//! repeated printable byte is regenerated with `head -c N /dev/zero | tr`,
//! any other long body is left to a `body.bin` file with a comment.

use std::fmt::Write as _;

use crate::wire::message::Request;

/// Longest body (bytes) written into the command line itself.
pub const INLINE_BODY: usize = 2000;

/// The `curl` command line for `request`; `request.url` should be absolute
/// (a path is printed as is).
#[must_use]
pub fn command(request: &Request) -> String {
    let mut line = String::from("curl -sS -i");
    if request.method == "HEAD" {
        line.push_str(" -I");
    } else {
        let _ = write!(line, " -X {}", request.method);
    }
    let _ = write!(line, " {}", quote(&request.url));
    if request.http10 {
        line.push_str(" --http1.0");
    }
    for (name, value) in &request.headers {
        let _ = write!(line, " -H {}", quote(&format!("{name}: {value}")));
    }
    if request.chunked && request.header("Transfer-Encoding").is_none() {
        let _ = write!(line, " -H {}", quote("Transfer-Encoding: chunked"));
    }
    if !request.body.is_empty() {
        let _ = write!(line, " --data-binary {}", body_argument(&request.body));
    }
    line
}

/// The `--data-binary` argument for `body` (see the module docs).
fn body_argument(body: &[u8]) -> String {
    if body.len() <= INLINE_BODY {
        return quote(&String::from_utf8_lossy(body));
    }
    match body.first() {
        Some(&b) if b.is_ascii_graphic() && b != b'\'' && body.iter().all(|&c| c == b) => {
            format!(
                "@<(head -c {} /dev/zero | tr '\\0' '{}')",
                body.len(),
                char::from(b)
            )
        }
        _ => format!("@body.bin  # body of {} bytes, not shown", body.len()),
    }
}

/// `text` single-quoted for a POSIX shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines() {
        let mut http10 = Request::new("GET", "http://h:1/x");
        http10.http10 = true;
        let mut chunked = Request::json("POST", "http://h:1/vms", "{}");
        chunked.chunked = true;
        let cases = [
            (
                Request::json("POST", "http://h:1/vms", r#"{"a":"it's"}"#),
                r#"curl -sS -i -X POST 'http://h:1/vms' -H 'Content-Type: application/json' --data-binary '{"a":"it'\''s"}'"#,
            ),
            (
                Request::new("HEAD", "http://h:1/"),
                "curl -sS -i -I 'http://h:1/'",
            ),
            (http10, "curl -sS -i -X GET 'http://h:1/x' --http1.0"),
            (
                chunked,
                "curl -sS -i -X POST 'http://h:1/vms' -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary '{}'",
            ),
            (
                Request::new("POST", "http://h:1/x").with_body("text/plain", vec![b'x'; 3000]),
                "curl -sS -i -X POST 'http://h:1/x' -H 'Content-Type: text/plain' --data-binary @<(head -c 3000 /dev/zero | tr '\\0' 'x')",
            ),
            (
                Request::new("POST", "http://h:1/x").with_body("", [b'a', b'b'].repeat(1500)),
                "curl -sS -i -X POST 'http://h:1/x' --data-binary @body.bin  # body of 3000 bytes, not shown",
            ),
        ];
        for (request, expected) in cases {
            assert_eq!(command(&request), expected);
        }
    }
}
