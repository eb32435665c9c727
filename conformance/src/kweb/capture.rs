//! The real-kweb capture files (`conformance/fixtures/kweb-captures`).
//!
//! Format (the directory's `README.md`): line 1 is the request as a shell
//! command, `$ curl -si -X METHOD ['arg' ...] 'URL'`, every extra argument
//! single-quoted; then the raw response as curl printed it (CRLF head, blank
//! line, body), then one extra LF added by the capture tool.

use std::path::{Path, PathBuf};

use crate::kweb::error::KwebError;
use crate::kweb::request_step::padded_json;
use crate::wire::{Request, Response};

/// One captured exchange.
#[derive(Debug, Clone)]
pub struct Capture {
    /// File name, e.g. `GET_vms.txt`.
    pub file: String,
    /// The request, rebuilt from the curl line (`Host` is the captured URL's authority).
    pub request: Request,
    /// The captured URL's port; it identifies the instance (README, "Instances").
    pub port: u16,
    /// The captured response.
    pub response: Response,
    /// Time of day from the `Date` header (`13:42:51`), for ordering.
    pub time: String,
}

impl Capture {
    /// Parses one capture file's bytes.
    ///
    /// A `--data-binary '@file'` body (only `POST_vms__body_too_large.txt`,
    /// whose body file is not included) becomes a JSON object of 102401
    /// bytes, which the README says reproduces it.
    ///
    /// # Errors
    /// [`KwebError::Parse`] when the command line or the response is malformed.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self, KwebError> {
        let bad = |what: &str| KwebError::Parse(format!("capture {file}: {what}"));
        let newline = bytes
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| bad("no command line"))?;
        let line =
            std::str::from_utf8(&bytes[..newline]).map_err(|_| bad("command line is not UTF-8"))?;
        let args = shell_words(
            line.strip_prefix("$ curl -si ")
                .ok_or_else(|| bad("not a `$ curl -si` line"))?,
        )
        .ok_or_else(|| bad("unbalanced quotes"))?;
        let mut method = "GET".to_owned();
        let mut headers = Vec::new();
        let mut body: Option<Vec<u8>> = None;
        let mut url = None;
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "-X" => method = it.next().ok_or_else(|| bad("-X without a method"))?,
                "-H" => {
                    let header = it.next().ok_or_else(|| bad("-H without a header"))?;
                    let (name, value) = header
                        .split_once(':')
                        .ok_or_else(|| bad("header without ':'"))?;
                    headers.push((name.trim().to_owned(), value.trim().to_owned()));
                }
                "-d" => {
                    body = Some(
                        it.next()
                            .ok_or_else(|| bad("-d without data"))?
                            .into_bytes(),
                    )
                }
                "--data-binary" => {
                    let data = it.next().ok_or_else(|| bad("--data-binary without data"))?;
                    body = Some(if data.starts_with('@') {
                        padded_json(102_401)?.into_bytes()
                    } else {
                        data.into_bytes()
                    });
                }
                "-I" => {}
                other if other.starts_with("http://") => url = Some(other.to_owned()),
                other => return Err(bad(&format!("unknown curl argument {other:?}"))),
            }
        }
        let url = url.ok_or_else(|| bad("no URL"))?;
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| bad("URL is not http"))?;
        let (authority, path) = rest
            .find('/')
            .map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
        let port = authority
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .ok_or_else(|| bad("URL without a port"))?;
        let mut request = Request::new(&method, path);
        request
            .headers
            .push(("Host".to_owned(), authority.to_owned()));
        if let Some(body) = body {
            // curl -d without -H sends the urlencoded content type.
            if !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("Content-Type"))
            {
                headers.push((
                    "Content-Type".to_owned(),
                    "application/x-www-form-urlencoded".to_owned(),
                ));
            }
            request.body = body;
        }
        request.headers.extend(headers);

        let mut response = Response::parse(&bytes[newline + 1..])?;
        if method == "HEAD" {
            response.body.clear();
        } else if response.body.last() == Some(&b'\n') {
            response.body.pop();
        }
        let time = response
            .header("Date")
            .and_then(|d| d.split(' ').nth(4))
            .ok_or_else(|| bad("no Date header"))?
            .to_owned();
        Ok(Self {
            file: file.to_owned(),
            request,
            port,
            response,
            time,
        })
    }
}

/// Splits a command line into words; single quotes group, nothing else is special.
fn shell_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in line.chars() {
        match (c, quoted) {
            ('\'', _) => {
                quoted = !quoted;
                in_word = true;
            }
            (' ', false) => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (c, _) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if quoted {
        return None;
    }
    if in_word {
        words.push(current);
    }
    Some(words)
}

/// The capture directory in this repository.
#[must_use]
pub fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/kweb-captures")
}

/// Loads every single-exchange capture in `dir` (the transcript
/// `real_kweb_entrypoint_netns_demo.txt` is not one), sorted by file name.
///
/// # Errors
/// I/O errors and malformed files.
pub fn load_all(dir: &Path) -> Result<Vec<Capture>, KwebError> {
    let mut captures = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| KwebError::Io(format!("{}: {e}", dir.display())))?;
    for entry in entries {
        let path = entry.map_err(|e| KwebError::Io(e.to_string()))?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if !name.ends_with(".txt") || name.starts_with("real_kweb_") {
            continue;
        }
        let bytes =
            std::fs::read(&path).map_err(|e| KwebError::Io(format!("{}: {e}", path.display())))?;
        captures.push(Capture::parse(&name, &bytes)?);
    }
    captures.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(captures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_capture_with_headers_and_data() {
        let raw = b"$ curl -si -X POST '-H' 'Content-Type: application/json' '-d' '{\"name\":\"vm1\"}' 'http://127.0.0.1:18000/vms'\nHTTP/1.0 400 Bad Request\r\nDate: Sat, 21 Nov 2026 13:43:32 GMT\r\nContent-Length: 2\r\n\r\n{}\n";
        let c = Capture::parse("x.txt", raw).expect("parses");
        assert_eq!(
            (c.request.method.as_str(), c.request.url.as_str(), c.port),
            ("POST", "/vms", 18000)
        );
        assert_eq!(c.request.header("Host"), Some("127.0.0.1:18000"));
        assert_eq!(c.request.header("Content-Type"), Some("application/json"));
        assert_eq!(c.request.body, br#"{"name":"vm1"}"#);
        assert_eq!(c.response.body, b"{}");
        assert_eq!(c.time, "13:43:32");
    }

    #[test]
    fn form_data_gets_curls_default_content_type() {
        let raw = b"$ curl -si -X POST '-d' 'a=1' 'http://127.0.0.1:18000/vms'\nHTTP/1.0 200 OK\r\nDate: Sat, 21 Nov 2026 13:43:32 GMT\r\n\r\n\n";
        let c = Capture::parse("x.txt", raw).expect("parses");
        assert_eq!(
            c.request.header("Content-Type"),
            Some("application/x-www-form-urlencoded")
        );
    }

    #[test]
    fn every_capture_in_the_repository_parses_and_has_a_consistent_length() {
        let captures = load_all(&captures_dir()).expect("captures load");
        assert!(captures.len() >= 270, "{} captures", captures.len());
        for c in &captures {
            if c.request.method == "HEAD" {
                continue;
            }
            let declared: usize = c
                .response
                .header("Content-Length")
                .and_then(|v| v.parse().ok())
                .expect("length");
            assert_eq!(declared, c.response.body.len(), "{}", c.file);
        }
    }
}
