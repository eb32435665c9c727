//! Builders for every response shape kweb produces (`kweb-reference.md` §2.2,
//! §2.3, §4): JSON dicts, HTML/text strings, the Bottle error page (E3), the
//! wsgiref 500 (E4), the empty 200 (E5), `{}` with 403/404 (E6/E7) and
//! static files, each with kweb's header order and spelling.

use serde_json::Value;

use super::pyjson::{dumps, repr_str};
use super::wire::{Response, reason_phrase};

/// The exact body of the wsgiref 500 (E4), 59 bytes.
pub const E4_BODY: &str = "A server error occurred.  Please contact the administrator.";

/// Values every response needs: the `Date` and `Server` header values and
/// the URL Bottle echoes in error pages.
#[derive(Debug, Clone)]
pub struct Stamp {
    /// `Date` header value (IMF-fixdate).
    pub date: String,
    /// `Server` header value.
    pub server: String,
    /// `repr()` of the request URL, not yet HTML-escaped.
    pub url_repr: String,
}

impl Stamp {
    fn base(&self) -> Vec<(String, String)> {
        vec![
            ("Date".into(), self.date.clone()),
            ("Server".into(), self.server.clone()),
        ]
    }

    /// A handler that returned a dict: `Date`, `Server`, `Content-Type:
    /// application/json`, `Content-Length`.
    #[must_use]
    pub fn json(&self, status: u16, value: &Value) -> Response {
        let body = dumps(value).into_bytes();
        let mut headers = self.base();
        headers.push(("Content-Type".into(), "application/json".into()));
        headers.push(("Content-Length".into(), body.len().to_string()));
        Response {
            status,
            reason: reason_phrase(status).into(),
            headers,
            body,
        }
    }

    /// A handler that returned a string (or `None`: E5 with an empty body):
    /// `Date`, `Server`, `Content-Length`, `Content-Type: text/html; charset=UTF-8`.
    #[must_use]
    pub fn html(&self, status: u16, body: impl Into<Vec<u8>>) -> Response {
        let body = body.into();
        let mut headers = self.base();
        headers.push(("Content-Length".into(), body.len().to_string()));
        headers.push(("Content-Type".into(), "text/html; charset=UTF-8".into()));
        Response {
            status,
            reason: reason_phrase(status).into(),
            headers,
            body,
        }
    }

    /// The Bottle HTML error page (E3) with `text` as the error body.
    #[must_use]
    pub fn error_page(&self, status: u16, text: &str) -> Response {
        self.html(status, bottle_page(status, &self.url_repr, text))
    }

    /// 405 E3 page with an `Allow` header placed after `Server`.
    #[must_use]
    pub fn method_not_allowed(&self, allow: &str) -> Response {
        let mut r = self.error_page(405, "Method not allowed.");
        r.headers.insert(2, ("Allow".into(), allow.to_owned()));
        r
    }

    /// The wsgiref 500 (E4): `text/plain`, 59 bytes.
    #[must_use]
    pub fn e4(&self) -> Response {
        let mut headers = self.base();
        headers.push(("Content-Type".into(), "text/plain".into()));
        headers.push(("Content-Length".into(), E4_BODY.len().to_string()));
        Response {
            status: 500,
            reason: reason_phrase(500).into(),
            headers,
            body: E4_BODY.as_bytes().to_vec(),
        }
    }

    /// A static file as Bottle's `static_file` sends it: `Server`,
    /// `Content-Type`, `Content-Length`, `Last-Modified`, `Date`, `Etag`,
    /// `Accept-Ranges: bytes`.
    #[must_use]
    pub fn static_file(
        &self,
        content_type: &str,
        body: &[u8],
        last_modified: &str,
        etag: &str,
    ) -> Response {
        let headers = vec![
            ("Server".into(), self.server.clone()),
            ("Content-Type".into(), content_type.to_owned()),
            ("Content-Length".into(), body.len().to_string()),
            ("Last-Modified".into(), last_modified.to_owned()),
            ("Date".into(), self.date.clone()),
            ("Etag".into(), etag.to_owned()),
            ("Accept-Ranges".into(), "bytes".into()),
        ];
        Response {
            status: 200,
            reason: reason_phrase(200).into(),
            headers,
            body: body.to_vec(),
        }
    }
}

/// Bottle's HTML escaping: `&`, `<`, `>`, `"`, `'` only.
#[must_use]
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#039;")
}

/// The Bottle error page body (§4.4): 642 bytes plus the escaped
/// placeholders.
#[must_use]
pub fn bottle_page(status: u16, url_repr: &str, text: &str) -> String {
    let status_line = format!("{status} {}", reason_phrase(status));
    format!(
        "\n    <!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n    <html>\n        <head>\n            <title>Error: {s}</title>\n            <style type=\"text/css\">\n              html {{background-color: #eee; font-family: sans-serif;}}\n              body {{background-color: #fff; border: 1px solid #ddd;\n                    padding: 15px; margin: 15px;}}\n              pre {{background-color: #eee; border: 1px solid #ddd; padding: 5px;}}\n            </style>\n        </head>\n        <body>\n            <h1>Error: {s}</h1>\n            <p>Sorry, the requested URL <tt>{u}</tt>\n               caused an error:</p>\n            <pre>{b}</pre>\n        </body>\n    </html>\n",
        s = html_escape(&status_line),
        u = html_escape(url_repr),
        b = html_escape(text),
    )
}

/// The `Not found: '<path>'` text of a 404 E3 page.
#[must_use]
pub fn not_found_text(decoded_path: &str) -> String {
    format!("Not found: {}", repr_str(decoded_path))
}

/// The page Python's `http.server` sends for a request line it cannot parse
/// (wsgiref answers before Bottle sees the request).
#[must_use]
pub fn malformed_request(date: &str, server: &str, request_line: &str) -> Response {
    let message = format!("Bad request syntax ({})", repr_str(request_line));
    let body = format!(
        "<!DOCTYPE HTML>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <title>Error response</title>\n    </head>\n    <body>\n        <h1>Error response</h1>\n        <p>Error code: 400</p>\n        <p>Message: {}.</p>\n        <p>Error code explanation: 400 - Bad request syntax or unsupported method.</p>\n    </body>\n</html>\n",
        html_escape(&message)
    );
    Response {
        status: 400,
        reason: message,
        headers: vec![
            ("Server".into(), server.to_owned()),
            ("Date".into(), date.to_owned()),
            ("Connection".into(), "close".into()),
            ("Content-Type".into(), "text/html;charset=utf-8".into()),
            ("Content-Length".into(), body.len().to_string()),
        ],
        body: body.into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_length_follows_the_642_formula() {
        let url = repr_str("http://127.0.0.1:18000/nonexistent");
        let page = bottle_page(404, &url, &not_found_text("/nonexistent"));
        assert_eq!(page.len(), 749);
        let status = "405 Method Not Allowed";
        let url = repr_str("http://127.0.0.1:18000/vms");
        let page = bottle_page(405, &url, "Method not allowed.");
        assert_eq!(
            page.len(),
            642 + 2 * status.len() + html_escape(&url).len() + "Method not allowed.".len()
        );
        assert_eq!(page.len(), 743);
    }

    #[test]
    fn e4_is_59_bytes() {
        assert_eq!(E4_BODY.len(), 59);
    }
}
