//! XML on the v1.1 API, as Capillary documents it beside JSON: one layer, no per-endpoint
//! code. A request asks for XML with a `.xml` path suffix, `format=xml`, `Accept:
//! application/xml` or an XML `Content-Type`; its XML body is turned into the JSON value
//! the handler reads, and the handler's JSON answer (errors too) into XML.
//!
//! The shape rules, from Capillary's samples (docs/api.md, "XML"):
//! - request: the document element is the JSON document's single key (`<root>` is
//!   `{"root": …}`); a `<root>` whose only child is another `<root>` (the samples made by a
//!   JSON-to-XML converter) is the JSON document itself;
//! - an element with child elements is an object; a name that repeats is a list, and an
//!   element whose children are all `<element>` is a list of them;
//! - an element with text, or empty, is a string (`""`); `null="true"` is `null`; other
//!   attributes are ignored;
//! - answer: `<?xml …?>` then `<response>` (the JSON's single top-level key) as the document
//!   element; a list is the element repeated once per item (a list inside a list is
//!   `<element>` items), an empty list is one empty element, `null` is `<x null="true"/>`,
//!   numbers and booleans are their text. A key that is no XML name becomes
//!   `<entry key="…">`.
//!
//! Safety: no DTD is accepted (so no entity can expand: only the five predefined entities and
//! character references are resolved), nesting is limited to `MAX_DEPTH` and the element
//! count to `MAX_ELEMENTS`, on a body already limited to `serve::MAX_BODY_BYTES`. The parser
//! keeps its own stack, so deep input cannot exhaust the thread's.

use std::collections::HashMap;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::Request;
use axum::http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{Map, Value};

use crate::error::v1_1_error;
use crate::ApiError;

/// The deepest element nesting accepted in a request body.
pub const MAX_DEPTH: usize = 64;

/// The most elements accepted in one request body.
pub const MAX_ELEMENTS: usize = 100_000;

/// The content type of XML answers.
pub const XML_CONTENT_TYPE: &str = "application/xml; charset=utf-8";

/// The largest JSON answer turned into XML (answers are ours; this only bounds a mistake).
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// Why an XML body was refused (the message names the problem and where).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError(pub String);

impl XmlError {
    fn at(pos: u64, what: impl std::fmt::Display) -> Self {
        Self(format!("{what} (at byte {pos})"))
    }
}

/// An element being read: its name, `null="true"`, text and children so far.
struct Open {
    name: String,
    null: bool,
    text: String,
    children: Vec<(String, Value)>,
}

impl Open {
    fn new(e: &BytesStart<'_>, pos: u64) -> Result<Self, XmlError> {
        let name = std::str::from_utf8(e.name().as_ref())
            .map_err(|_| XmlError::at(pos, "an element name is not UTF-8"))?
            .to_string();
        let mut null = false;
        for attr in e.attributes() {
            let attr = attr.map_err(|err| XmlError::at(pos, err))?;
            if attr.key.as_ref() == b"null" {
                null = attr.value.as_ref().trim_ascii() == b"true";
            }
        }
        Ok(Self {
            name,
            null,
            text: String::new(),
            children: Vec::new(),
        })
    }

    /// The JSON value of the element, once closed.
    fn finish(self, pos: u64) -> Result<(String, Value), XmlError> {
        if self.null {
            return Ok((self.name, Value::Null));
        }
        if self.children.is_empty() {
            return Ok((self.name, Value::String(self.text)));
        }
        if !self.text.trim().is_empty() {
            return Err(XmlError::at(
                pos,
                format!("<{}> mixes text with elements", self.name),
            ));
        }
        if self.children.iter().all(|(k, _)| k == "element") {
            let items = self.children.into_iter().map(|(_, v)| v).collect();
            return Ok((self.name, Value::Array(items)));
        }
        Ok((self.name, Value::Object(group(self.children))))
    }
}

/// Children by name, in first-seen order; a name that repeats becomes a list.
fn group(children: Vec<(String, Value)>) -> Map<String, Value> {
    let mut order: Vec<(String, Vec<Value>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (k, v) in children {
        match index.get(&k) {
            Some(&i) => order[i].1.push(v),
            None => {
                index.insert(k.clone(), order.len());
                order.push((k, vec![v]));
            }
        }
    }
    order
        .into_iter()
        .map(|(k, mut vs)| {
            let v = if vs.len() == 1 {
                vs.pop().unwrap_or(Value::Null)
            } else {
                Value::Array(vs)
            };
            (k, v)
        })
        .collect()
}

/// The JSON value of an XML request body (see the module's shape rules).
pub fn to_json(body: &[u8]) -> Result<Value, XmlError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| XmlError(format!("the XML body is not UTF-8: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<(String, Value)> = None;
    let mut elements = 0usize;
    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| XmlError::at(reader.error_position(), e))?;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(XmlError::at(pos, "more than one root element"));
            }
            Event::Start(e) => {
                elements += 1;
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::at(
                        pos,
                        format!("elements are nested deeper than {MAX_DEPTH}"),
                    ));
                }
                if elements > MAX_ELEMENTS {
                    return Err(XmlError::at(
                        pos,
                        format!("more than {MAX_ELEMENTS} elements"),
                    ));
                }
                stack.push(Open::new(&e, pos)?);
            }
            Event::Empty(e) => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(XmlError::at(
                        pos,
                        format!("more than {MAX_ELEMENTS} elements"),
                    ));
                }
                let done = Open::new(&e, pos)?.finish(pos)?;
                close(&mut stack, &mut root, done);
            }
            Event::End(_) => {
                let open = stack
                    .pop()
                    .ok_or_else(|| XmlError::at(pos, "a closing tag without its opening tag"))?;
                let done = open.finish(pos)?;
                close(&mut stack, &mut root, done);
            }
            Event::Text(t) => {
                let t = t.xml10_content().map_err(|e| XmlError::at(pos, e))?;
                push_text(&mut stack, &t, pos)?;
            }
            Event::CData(t) => {
                let t = t.xml10_content().map_err(|e| XmlError::at(pos, e))?;
                push_text(&mut stack, &t, pos)?;
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref()
                        .map_err(|e| XmlError::at(pos, e))?
                        .map(String::from)
                } else {
                    let name = r.decode().map_err(|e| XmlError::at(pos, e))?;
                    quick_xml::escape::resolve_predefined_entity(&name).map(str::to_string)
                };
                let resolved = resolved.ok_or_else(|| {
                    XmlError::at(
                        pos,
                        "an undefined entity (only &lt; &gt; &amp; &apos; &quot; and character references are accepted)",
                    )
                })?;
                push_text(&mut stack, &resolved, pos)?;
            }
            Event::DocType(_) => {
                return Err(XmlError::at(
                    pos,
                    "a DOCTYPE (DTDs and entity declarations are not accepted)",
                ))
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError(
            "the XML body ends before its elements are closed".into(),
        ));
    }
    let (name, value) = root.ok_or_else(|| XmlError("the XML body has no element".into()))?;
    // `<root><root>…</root></root>`: the outer element wraps the JSON document itself.
    if name == "root" {
        if let Value::Object(m) = &value {
            if m.len() == 1 && m.contains_key("root") {
                return Ok(value);
            }
        }
    }
    let mut doc = Map::new();
    doc.insert(name, value);
    Ok(Value::Object(doc))
}

fn close(stack: &mut [Open], root: &mut Option<(String, Value)>, done: (String, Value)) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(done),
        None => *root = Some(done),
    }
}

fn push_text(stack: &mut [Open], t: &str, pos: u64) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(open) => open.text.push_str(t),
        None if t.trim().is_empty() => {}
        None => return Err(XmlError::at(pos, "text outside the root element")),
    }
    Ok(())
}

/// The XML document of a JSON answer (see the module's shape rules).
pub fn from_json(v: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    match v {
        Value::Object(m) if m.len() == 1 && m.keys().all(|k| is_name(k)) => {
            for (k, v) in m {
                element(&mut out, k, v);
            }
        }
        other => element(&mut out, "root", other),
    }
    out.push('\n');
    out
}

/// `name` once per item of a list, else once.
fn element(out: &mut String, name: &str, v: &Value) {
    match v {
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                single(out, name, item);
            }
        }
        _ => single(out, name, v),
    }
}

fn single(out: &mut String, name: &str, v: &Value) {
    let close = if is_name(name) {
        out.push('<');
        out.push_str(name);
        name.to_string()
    } else {
        out.push_str("<entry key=\"");
        push_escaped(out, name);
        out.push('"');
        "entry".to_string()
    };
    match v {
        Value::Null => out.push_str(" null=\"true\"/>"),
        Value::Object(m) if m.is_empty() => out.push_str("/>"),
        Value::Array(a) if a.is_empty() => out.push_str("/>"),
        Value::String(s) if s.is_empty() => out.push_str("/>"),
        Value::Object(m) => {
            out.push('>');
            for (k, v) in m {
                element(out, k, v);
            }
            end(out, &close);
        }
        Value::Array(items) => {
            out.push('>');
            for item in items {
                single(out, "element", item);
            }
            end(out, &close);
        }
        Value::String(s) => {
            out.push('>');
            push_escaped(out, s);
            end(out, &close);
        }
        Value::Bool(b) => {
            out.push('>');
            out.push_str(if *b { "true" } else { "false" });
            end(out, &close);
        }
        Value::Number(n) => {
            out.push('>');
            out.push_str(&n.to_string());
            end(out, &close);
        }
    }
}

fn end(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Text with markup escaped; a character XML 1.0 cannot carry becomes U+FFFD.
fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
}

/// Whether `s` can be an element name as is (letters, digits, `_`, `-`, `.`; not starting
/// with a digit, `-` or `.`; no `:`, so no namespace prefix).
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// What a v1.1 request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wants {
    /// Answer in XML.
    answer: bool,
    /// The body is XML.
    body: bool,
}

/// `Some(true)` for XML, `Some(false)` for JSON, `None` when `v` names neither.
fn format_of(v: &str) -> Option<bool> {
    let v = v.trim().to_ascii_lowercase();
    if v.contains("xml") {
        Some(true)
    } else if v.contains("json") {
        Some(false)
    } else {
        None
    }
}

/// Whichever of XML and JSON an `Accept` header lists first.
fn accept_of(headers: &HeaderMap) -> Option<bool> {
    let a = headers.get(ACCEPT)?.to_str().ok()?.to_ascii_lowercase();
    match (a.find("xml"), a.find("json")) {
        (Some(x), Some(j)) => Some(x < j),
        (Some(_), None) => Some(true),
        (None, Some(_)) => Some(false),
        (None, None) => None,
    }
}

fn content_type_of(headers: &HeaderMap) -> Option<bool> {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| format_of(v.split(';').next().unwrap_or("")))
}

/// The path without a `.xml` / `.json` suffix on its last segment, and that suffix's format.
fn split_suffix(path: &str) -> (&str, Option<bool>) {
    if let Some(p) = path.strip_suffix(".xml") {
        (p, Some(true))
    } else if let Some(p) = path.strip_suffix(".json") {
        (p, Some(false))
    } else {
        (path, None)
    }
}

fn wants(path_format: Option<bool>, query: Option<&str>, headers: &HeaderMap, m: &Method) -> Wants {
    let format = crate::incentives::wire::query_values(query, "format")
        .first()
        .and_then(|f| format_of(f));
    let content_type = content_type_of(headers);
    let answer = path_format
        .or(format)
        .or_else(|| accept_of(headers))
        .or(content_type)
        .unwrap_or(false);
    let has_body = matches!(*m, Method::POST | Method::PUT | Method::PATCH);
    let body = match content_type {
        Some(xml) => xml,
        None => has_body && headers.get(CONTENT_TYPE).is_none() && answer,
    };
    Wants { answer, body }
}

/// The v1.1 error envelope of `e`, in XML or JSON.
fn refuse(e: &ApiError, xml: bool) -> Response {
    let body = v1_1_error(e);
    if xml {
        xml_response(e.status, from_json(&body))
    } else {
        (e.status, axum::Json(body)).into_response()
    }
}

fn xml_response(status: axum::http::StatusCode, doc: String) -> Response {
    let mut res = Response::new(Body::from(doc));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(XML_CONTENT_TYPE));
    res
}

/// The layer over the v1.1 API (it passes every other path through untouched). Wrapped
/// around the router, so a `.xml` / `.json` suffix is removed before routing.
pub async fn negotiate(mut req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/v1.1/") {
        return next.run(req).await;
    }
    let (path, suffix) = split_suffix(req.uri().path());
    let want = wants(suffix, req.uri().query(), req.headers(), req.method());
    if suffix.is_some() {
        let rewritten = match req.uri().query() {
            Some(q) => format!("{path}?{q}"),
            None => path.to_string(),
        };
        match rewritten.parse::<Uri>() {
            Ok(uri) => *req.uri_mut() = uri,
            Err(_) => return refuse(&ApiError::not_found("Resource not found"), want.answer),
        }
    }
    if want.body {
        let (mut parts, body) = req.into_parts();
        let bytes = match to_bytes(body, crate::serve::MAX_BODY_BYTES).await {
            Ok(b) => b,
            Err(_) => return refuse(&ApiError::payload_too_large(), want.answer),
        };
        let json = if bytes.is_empty()
            && !matches!(parts.method, Method::POST | Method::PUT | Method::PATCH)
        {
            Bytes::new()
        } else {
            match to_json(&bytes) {
                Ok(v) => Bytes::from(v.to_string()),
                Err(XmlError(why)) => {
                    let e = ApiError::unparsable(&format!("malformed XML: {why}"));
                    return refuse(&e, want.answer);
                }
            }
        };
        parts
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        parts
            .headers
            .insert(CONTENT_LENGTH, HeaderValue::from(json.len()));
        req = Request::from_parts(parts, Body::from(json));
    }
    let res = next.run(req).await;
    if want.answer {
        to_xml_answer(res).await
    } else {
        res
    }
}

/// A JSON answer as XML (anything else as it is).
async fn to_xml_answer(res: Response) -> Response {
    let is_json = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match to_bytes(body, MAX_ANSWER_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "reading an answer to render it as XML");
            return refuse(&ApiError::internal(), true);
        }
    };
    let Ok(value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static(XML_CONTENT_TYPE));
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(from_json(&value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn capillary_request_samples_read_as_their_json() {
        let xml = "<root>\n<coupon>\n<code>06000041</code>\n<customer>\n<mobile>447700900000</mobile>\n<email></email>\n</customer>\n<custom_fields>\n<!-- Optional -->\n<field>\n<name>Sport</name>\n<value>Soccer</value>\n</field>\n</custom_fields>\n<transaction>\n<number>bill-110</number>\n<amount>1000</amount>\n</transaction>\n</coupon>\n</root>";
        assert_eq!(
            to_json(xml.as_bytes()).unwrap(),
            json!({"root": {"coupon": {"code": "06000041",
                "customer": {"mobile": "447700900000", "email": ""},
                "custom_fields": {"field": {"name": "Sport", "value": "Soccer"}},
                "transaction": {"number": "bill-110", "amount": "1000"}}}})
        );
    }

    #[test]
    fn converter_shaped_requests_unwrap_and_list_their_elements() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<root><root><request><element><type>GOODWILL</type><customer><email /><mobile>91</mobile></customer><misc_info null="true" /></element><element><type>X</type></element></request></root></root>"#;
        assert_eq!(
            to_json(xml.as_bytes()).unwrap(),
            json!({"root": {"request": [
                {"type": "GOODWILL", "customer": {"email": "", "mobile": "91"}, "misc_info": null},
                {"type": "X"}]}})
        );
    }

    #[test]
    fn repeated_names_are_lists_and_entities_resolve() {
        let xml = "<root><redeem><n>a &amp; b &#x41;<![CDATA[<c>]]></n></redeem><redeem><n/></redeem></root>";
        assert_eq!(
            to_json(xml.as_bytes()).unwrap(),
            json!({"root": {"redeem": [{"n": "a & b A<c>"}, {"n": ""}]}})
        );
    }

    #[test]
    fn malformed_and_hostile_bodies_are_refused() {
        for bad in [
            "",
            "<root>",
            "<root></other>",
            "<root/><root/>",
            "text",
            "<root>x<a>1</a></root>",
            "<root>&undefined;</root>",
            "<!DOCTYPE lolz [<!ENTITY lol \"lol\">]><root>&lol;</root>",
            "<root a=1/>",
        ] {
            assert!(to_json(bad.as_bytes()).is_err(), "{bad:?} was accepted");
        }
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        let err = to_json(deep.as_bytes()).unwrap_err();
        assert!(err.0.contains("nested deeper"), "{err:?}");
        let ok = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(to_json(ok.as_bytes()).is_ok());
        let many = format!("<root>{}</root>", "<a/>".repeat(MAX_ELEMENTS));
        let err = to_json(many.as_bytes()).unwrap_err();
        assert!(err.0.contains("more than"), "{err:?}");
    }

    #[test]
    fn answers_follow_the_documented_shape() {
        let v = json!({"response": {"status": {"success": "true", "code": 200},
            "coupons": {"coupon": [{"code": "A<&>"}, {"code": "B", "series_info": [], "x": null}]},
            "lists": [[1, 2]], "bad key": true, "ctl": "a\u{1}b"}});
        let doc = from_json(&v);
        assert_eq!(
            doc,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><status><success>true</success><code>200</code></status><coupons><coupon><code>A&lt;&amp;&gt;</code></coupon><coupon><code>B</code><series_info/><x null=\"true\"/></coupon></coupons><lists><element>1</element><element>2</element></lists><entry key=\"bad key\">true</entry><ctl>a\u{fffd}b</ctl></response>\n"
        );
        // What Fidelis writes, Fidelis reads back (strings, lists of two or more).
        let back = to_json(doc.as_bytes()).unwrap();
        assert_eq!(back["response"]["coupons"]["coupon"][0]["code"], "A<&>");
        assert_eq!(back["response"]["coupons"]["coupon"][1]["x"], Value::Null);
    }

    #[test]
    fn the_request_decides_the_format() {
        let h = |pairs: &[(&str, &str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(
                    axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                );
            }
            m
        };
        let none = h(&[]);
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(
            wants(None, None, &none, &get),
            Wants {
                answer: false,
                body: false
            }
        );
        assert_eq!(
            wants(Some(true), None, &none, &post),
            Wants {
                answer: true,
                body: true
            }
        );
        assert_eq!(
            wants(
                None,
                Some("format=XML"),
                &h(&[("content-type", "application/json")]),
                &post
            ),
            Wants {
                answer: true,
                body: false
            }
        );
        assert_eq!(
            wants(
                None,
                None,
                &h(&[("content-type", "text/xml; charset=utf-8")]),
                &post
            ),
            Wants {
                answer: true,
                body: true
            }
        );
        assert_eq!(
            wants(
                None,
                None,
                &h(&[
                    ("accept", "application/json"),
                    ("content-type", "application/xml")
                ]),
                &post
            ),
            Wants {
                answer: false,
                body: true
            }
        );
        assert_eq!(
            wants(
                None,
                None,
                &h(&[("accept", "application/xml, application/json")]),
                &get
            ),
            Wants {
                answer: true,
                body: false
            }
        );
        assert_eq!(
            split_suffix("/v1.1/organization/get.xml"),
            ("/v1.1/organization/get", Some(true))
        );
        assert_eq!(
            split_suffix("/v1.1/coupon/get.json"),
            ("/v1.1/coupon/get", Some(false))
        );
        assert_eq!(split_suffix("/v1.1/coupon/get"), ("/v1.1/coupon/get", None));
    }
}
