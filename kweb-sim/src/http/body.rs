//! `data = request.json or request.forms` with Bottle's rules
//! (`kweb-reference.md` §2.7, §3.2-§3.5).

use serde_json::{Map, Value};

use super::pyjson::truthy;

/// Bottle's `MEMFILE_MAX`: JSON and urlencoded bodies above this many bytes
/// give 413 (§2.7).
pub const MEMFILE_MAX: usize = 102_400;

/// Why the body could not be turned into `data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// 413 E3 `Request entity too large`.
    TooLarge,
    /// 400 E3 `Invalid JSON`.
    InvalidJson,
    /// 400 E3 `MultipartError: <detail>`.
    Multipart(String),
}

/// A Python exception raised while a handler inspects `data` (mapped to 500 E3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyError(pub String);

/// The `data` object of a kweb handler: a truthy JSON value, or the form
/// fields (urlencoded or multipart; values always strings, last one wins).
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// A truthy JSON document (object, non-empty array, string, number, `true`).
    Json(Value),
    /// Form fields in first-insertion order, each with its last value.
    Form(Vec<(String, String)>),
}

impl Data {
    /// Parses the body the way `request.json or request.forms` does.
    ///
    /// # Errors
    /// [`BodyError`] for oversized, invalid JSON or malformed multipart bodies.
    pub fn parse(
        content_type: Option<&str>,
        body: &[u8],
        truncated: bool,
    ) -> Result<Self, BodyError> {
        let ct = content_type.unwrap_or("");
        let media = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if media == "application/json" || media == "application/json-rpc" {
            if truncated || body.len() > MEMFILE_MAX {
                return Err(BodyError::TooLarge);
            }
            if !body.is_empty() {
                let text = std::str::from_utf8(body).map_err(|_| BodyError::InvalidJson)?;
                let value: Value =
                    serde_json::from_str(text).map_err(|_| BodyError::InvalidJson)?;
                if truthy(&value) {
                    return Ok(Data::Json(value));
                }
            }
        }
        if media.starts_with("multipart/") {
            return parse_multipart(ct, body).map(Data::Form);
        }
        if truncated || body.len() > MEMFILE_MAX {
            return Err(BodyError::TooLarge);
        }
        Ok(Data::Form(parse_urlencoded(&String::from_utf8_lossy(body))))
    }

    /// An empty form (routes that never read the body).
    #[must_use]
    pub fn empty() -> Self {
        Data::Form(Vec::new())
    }

    /// Python `key in data`.
    ///
    /// # Errors
    /// `TypeError` for JSON numbers and booleans.
    pub fn contains(&self, key: &str) -> Result<bool, PyError> {
        match self {
            Data::Form(f) => Ok(f.iter().any(|(k, _)| k == key)),
            Data::Json(Value::Object(m)) => Ok(m.contains_key(key)),
            Data::Json(Value::Array(a)) => Ok(a.iter().any(|v| v.as_str() == Some(key))),
            Data::Json(Value::String(s)) => Ok(s.contains(key)),
            Data::Json(_) => Err(PyError(
                "TypeError: argument of type is not iterable".into(),
            )),
        }
    }

    /// Python `data[key]`.
    ///
    /// # Errors
    /// `KeyError` when absent, `TypeError` when `data` is not a mapping.
    pub fn get(&self, key: &str) -> Result<Value, PyError> {
        self.opt(key)?
            .ok_or_else(|| PyError(format!("KeyError: '{key}'")))
    }

    /// Python `data.get(key)`.
    ///
    /// # Errors
    /// `AttributeError`/`TypeError` when `data` is not a mapping.
    pub fn opt(&self, key: &str) -> Result<Option<Value>, PyError> {
        match self {
            Data::Form(f) => Ok(f
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| Value::String(v.clone()))),
            Data::Json(Value::Object(m)) => Ok(m.get(key).cloned()),
            Data::Json(_) => Err(PyError(
                "TypeError: indices must be integers or slices, not str".into(),
            )),
        }
    }

    /// Every key and value as a JSON map (`dict(data)`), form values as
    /// strings.
    ///
    /// # Errors
    /// `TypeError`/`ValueError` when `data` is not a mapping.
    pub fn to_map(&self) -> Result<Map<String, Value>, PyError> {
        match self {
            Data::Form(f) => {
                let mut m = Map::new();
                for (k, v) in f {
                    m.insert(k.clone(), Value::String(v.clone()));
                }
                Ok(m)
            }
            Data::Json(Value::Object(m)) => Ok(m.clone()),
            Data::Json(_) => Err(PyError(
                "ValueError: dictionary update sequence element".into(),
            )),
        }
    }
}

/// Bottle's `_parse_qsl` over the UTF-8 decoded body: split on `&`, skip
/// empty pairs, `+` is a space, percent escapes decoded as UTF-8. Repeated
/// keys keep the first position and the last value (`FormsDict`).
#[must_use]
pub fn parse_urlencoded(body: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in body.split('&') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = unquote(&k.replace('+', " "));
        let value = unquote(&v.replace('+', " "));
        if let Some(slot) = out.iter_mut().find(|(ek, _)| *ek == key) {
            slot.1 = value;
        } else {
            out.push((key, value));
        }
    }
    out
}

/// Percent-decoding as Python's `urllib.parse.unquote` (UTF-8, errors replaced).
#[must_use]
pub fn unquote(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_val(bytes[i + 1]), hex_val(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn parse_multipart(content_type: &str, body: &[u8]) -> Result<Vec<(String, String)>, BodyError> {
    let boundary = content_type
        .split(';')
        .skip(1)
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            BodyError::Multipart("Invalid content type header, missing boundary".into())
        })?;
    let delimiter = format!("--{boundary}");
    let text = String::from_utf8_lossy(body);
    let mut sections = text.split(delimiter.as_str());
    let first = sections.next().unwrap_or("");
    if !first.trim().is_empty() && !text.starts_with(&delimiter) {
        return Err(BodyError::Multipart(
            "Unexpected end of multipart stream".into(),
        ));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    let mut terminated = false;
    let mut mem = 0usize;
    for section in sections {
        if section.starts_with("--") {
            terminated = true;
            break;
        }
        let section = section.strip_prefix("\r\n").unwrap_or(section);
        let (head, value) = section
            .split_once("\r\n\r\n")
            .ok_or_else(|| BodyError::Multipart("Unexpected end of multipart stream".into()))?;
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let mut name = None;
        let mut filename = false;
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                return Err(BodyError::Multipart("Malformed header line".into()));
            };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                for param in v.split(';').skip(1) {
                    if let Some((pk, pv)) = param.split_once('=') {
                        let pv = pv.trim().trim_matches('"').to_owned();
                        match pk.trim() {
                            "name" => name = Some(pv),
                            "filename" => filename = true,
                            _ => {}
                        }
                    }
                }
            }
        }
        let name = name.ok_or_else(|| {
            BodyError::Multipart("Content-Disposition header is missing a name".into())
        })?;
        mem += value.len();
        if mem > MEMFILE_MAX {
            return Err(BodyError::Multipart("Memory limit reached.".into()));
        }
        if filename {
            continue;
        }
        if let Some(slot) = out.iter_mut().find(|(k, _)| *k == name) {
            slot.1 = value.to_owned();
        } else {
            out.push((name, value.to_owned()));
        }
    }
    if !terminated {
        return Err(BodyError::Multipart(
            "Unexpected end of multipart stream".into(),
        ));
    }
    Ok(out)
}

/// Flattens `parameters[X]` keys (§3.4): every key starting with
/// `parameters` loses every `parameters[` and every `]`.
#[must_use]
pub fn flatten_parameters(map: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in map {
        let key = if k.starts_with("parameters") {
            k.replace("parameters[", "").replace(']', "")
        } else {
            k
        };
        out.insert(key, v);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_or_forms() {
        let d = Data::parse(
            Some("application/json; charset=utf-8"),
            br#"{"name":"a"}"#,
            false,
        );
        assert_eq!(d, Ok(Data::Json(json!({"name": "a"}))));
        let d = Data::parse(Some("application/json"), b"{}", false);
        assert_eq!(d, Ok(Data::Form(vec![("{}".into(), String::new())])));
        let d = Data::parse(None, br#"{"name":"a"}"#, false);
        assert_eq!(
            d,
            Ok(Data::Form(vec![(r#"{"name":"a"}"#.into(), String::new())]))
        );
        assert_eq!(
            Data::parse(Some("application/json"), b"{\"name\":", false),
            Err(BodyError::InvalidJson)
        );
        let big = vec![b' '; MEMFILE_MAX + 1];
        assert_eq!(
            Data::parse(Some("application/json"), &big, false),
            Err(BodyError::TooLarge)
        );
        let mut ok = vec![b'a'; MEMFILE_MAX];
        ok[0] = b'"';
        ok[MEMFILE_MAX - 1] = b'"';
        assert!(Data::parse(Some("application/json"), &ok, false).is_ok());
    }

    #[test]
    fn urlencoded_decoding() {
        let f = parse_urlencoded("a=1&b=x+y%20z&a=2&&c&d=%C3%A9");
        assert_eq!(
            f,
            vec![
                ("a".into(), "2".into()),
                ("b".into(), "x y z".into()),
                ("c".into(), String::new()),
                ("d".into(), "é".into())
            ]
        );
    }

    #[test]
    fn multipart_fields() {
        let body =
            b"--XX\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nvm1\r\n--XX--\r\n";
        let d = Data::parse(Some("multipart/form-data; boundary=XX"), body, false);
        assert_eq!(d, Ok(Data::Form(vec![("name".into(), "vm1".into())])));
        let d = Data::parse(Some("multipart/form-data"), body, false);
        assert!(matches!(d, Err(BodyError::Multipart(_))));
    }

    #[test]
    fn flattening() {
        let m = flatten_parameters(
            json!({"parameters[memory]": "768", "name": "x"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        assert_eq!(Value::Object(m), json!({"memory": "768", "name": "x"}));
    }
}
