//! What a valid trace is, and the exact text that is stored for it.
//!
//! Validation works on the raw JSON tokens rather than on a typed struct, for two reasons: every
//! problem in a body is reported at once with its location (as FastAPI/Pydantic did), and the
//! stored payload can be built from the posted tokens themselves, so nothing is lost or reformatted
//! by a round trip through floating point numbers or an unordered map.
//!
//! What is stored ("the payload as stored", returned verbatim by GET): the posted object without
//! unknown fields (at the top level and in each step), known fields in the order they were posted
//! (the last one wins if a key repeats), every value's tokens unchanged (string escapes, number
//! spelling, `meta` key order and duplicates), and no insignificant whitespace. So a compact trace
//! without unknown fields comes back byte for byte as it was posted.

use std::collections::HashSet;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{FieldError, LocPart};

/// Length limits of the trace fields, in characters (Unicode scalar values).
pub const TRACE_VERSION_CHARS: std::ops::RangeInclusive<usize> = 1..=64;
/// Length limits of `prompt`.
pub const PROMPT_CHARS: std::ops::RangeInclusive<usize> = 1..=50_000;
/// Length limits of `final_answer`.
pub const FINAL_ANSWER_CHARS: std::ops::RangeInclusive<usize> = 1..=50_000;
/// Number of items allowed in `steps`.
pub const STEP_COUNT: std::ops::RangeInclusive<usize> = 1..=1000;
/// Length limits of a step's `type`.
pub const STEP_TYPE_CHARS: std::ops::RangeInclusive<usize> = 1..=64;
/// Length limits of a step's `content`.
pub const STEP_CONTENT_CHARS: std::ops::RangeInclusive<usize> = 1..=20_000;

/// A trace that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidTrace {
    /// The decoded `trace_version`, kept in its own column.
    pub trace_version: String,
    /// The JSON text to store (see the module documentation for what it keeps).
    pub payload: String,
}

/// Validates a request body as a trace; on failure every problem found is listed.
pub fn validate(body: &[u8]) -> Result<ValidTrace, Vec<FieldError>> {
    if body.is_empty() {
        return Err(vec![FieldError::new(
            vec![BODY],
            "missing",
            "Field required",
        )]);
    }
    let text = std::str::from_utf8(body).map_err(|err| {
        vec![FieldError::new(
            vec![BODY],
            "json_invalid",
            format!("JSON decode error: body is not valid UTF-8 ({err})"),
        )]
    })?;
    let root: &RawValue = serde_json::from_str(text).map_err(|err| {
        vec![FieldError::new(
            vec![BODY],
            "json_invalid",
            format!("JSON decode error: {err}"),
        )]
    })?;
    let Some(fields) = Fields::of(root) else {
        return Err(vec![FieldError::new(
            vec![BODY],
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from",
        )]);
    };

    let mut errors = Vec::new();
    let trace_version = required_string(&fields, "trace_version", TRACE_VERSION_CHARS, &mut errors)
        .and_then(|version| {
            // It gets a text column of its own, and Postgres text cannot hold U+0000 (in the
            // payload it stays the JSON escape `\u0000`, which the json column accepts).
            if version.contains('\0') {
                errors.push(FieldError::new(
                    vec![BODY, LocPart::Key("trace_version")],
                    "value_error",
                    "Value error, trace_version must not contain NUL (U+0000) characters",
                ));
                return None;
            }
            Some(version)
        });
    required_string(&fields, "prompt", PROMPT_CHARS, &mut errors);
    required_string(&fields, "final_answer", FINAL_ANSWER_CHARS, &mut errors);
    let steps = steps(&fields, &mut errors);
    if let Some((_, meta)) = fields.last("meta")
        && !matches!(kind(meta), Kind::Object | Kind::Null)
    {
        errors.push(FieldError::new(
            vec![BODY, LocPart::Key("meta")],
            "dict_type",
            "Input should be a valid dictionary",
        ));
    }
    let (Some(trace_version), Some(steps), true) = (trace_version, steps, errors.is_empty()) else {
        return Err(errors);
    };

    let mut payload = String::with_capacity(text.len());
    write_object(
        &mut payload,
        &fields,
        TOP_LEVEL_FIELDS,
        |out, key, value| {
            if key == "steps" {
                out.push('[');
                for (n, step) in steps.iter().enumerate() {
                    if n > 0 {
                        out.push(',');
                    }
                    write_object(out, step, STEP_FIELDS, |out, _, value| {
                        out.push_str(value.get())
                    });
                }
                out.push(']');
            } else {
                minify_into(out, value.get());
            }
        },
    );
    Ok(ValidTrace {
        trace_version,
        payload,
    })
}

const BODY: LocPart = LocPart::Key("body");
const TOP_LEVEL_FIELDS: &[&str] = &["trace_version", "prompt", "final_answer", "steps", "meta"];
const STEP_FIELDS: &[&str] = &["i", "type", "content"];

/// Validates `steps`; returns the step objects when every step is valid and indices are unique.
fn steps<'a>(fields: &Fields<'a>, errors: &mut Vec<FieldError>) -> Option<Vec<Fields<'a>>> {
    let loc = vec![BODY, LocPart::Key("steps")];
    let Some((_, raw)) = fields.last("steps") else {
        errors.push(FieldError::new(loc, "missing", "Field required"));
        return None;
    };
    if kind(raw) != Kind::Array {
        errors.push(FieldError::new(
            loc,
            "list_type",
            "Input should be a valid list",
        ));
        return None;
    }
    let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(raw.get()) else {
        errors.push(FieldError::new(
            loc,
            "list_type",
            "Input should be a valid list",
        ));
        return None;
    };
    if items.len() < *STEP_COUNT.start() {
        errors.push(FieldError::new(
            loc,
            "too_short",
            format!(
                "List should have at least {} item after validation, not {}",
                STEP_COUNT.start(),
                items.len()
            ),
        ));
        return None;
    }
    if items.len() > *STEP_COUNT.end() {
        errors.push(FieldError::new(
            loc,
            "too_long",
            format!(
                "List should have at most {} items after validation, not {}",
                STEP_COUNT.end(),
                items.len()
            ),
        ));
        return None;
    }

    let errors_before = errors.len();
    let mut steps = Vec::with_capacity(items.len());
    let mut indices = Vec::with_capacity(items.len());
    for (n, item) in items.into_iter().enumerate() {
        let item_loc = || vec![BODY, LocPart::Key("steps"), LocPart::Index(n)];
        let Some(step) = Fields::of(item) else {
            errors.push(FieldError::new(
                item_loc(),
                "model_attributes_type",
                "Input should be a valid dictionary or object to extract fields from",
            ));
            continue;
        };
        let field_loc = |name| {
            let mut loc = item_loc();
            loc.push(LocPart::Key(name));
            loc
        };
        match step.last("i") {
            None => errors.push(FieldError::new(field_loc("i"), "missing", "Field required")),
            Some((_, raw)) => match step_index(raw) {
                Ok(i) => indices.push(i),
                Err((kind, msg)) => errors.push(FieldError::new(field_loc("i"), kind, msg)),
            },
        }
        for (name, limits) in [("type", STEP_TYPE_CHARS), ("content", STEP_CONTENT_CHARS)] {
            if let Err(err) = string_field(step.last(name).map(|(_, raw)| raw), limits) {
                errors.push(FieldError::new(field_loc(name), err.0, err.1));
            }
        }
        steps.push(step);
    }
    if errors.len() > errors_before {
        return None;
    }

    let mut seen = HashSet::with_capacity(indices.len());
    if let Some(duplicate) = indices.iter().find(|i| !seen.insert(**i)) {
        errors.push(FieldError::new(
            loc,
            "value_error",
            format!(
                "Value error, Step indices must be unique (i = {duplicate} appears more than once)"
            ),
        ));
        return None;
    }
    Some(steps)
}

/// Parses a step index: a JSON integer literal ≥ 0 (a `-0` counts as 0).
///
/// Types are strict: `"1"`, `1.0` and `true` are refused rather than coerced, so the stored
/// payload never disagrees with what the index was taken to be.
fn step_index(raw: &RawValue) -> Result<u64, (&'static str, String)> {
    let not_integer = || ("int_type", "Input should be a valid integer".to_owned());
    if kind(raw) != Kind::Number {
        return Err(not_integer());
    }
    let text = raw.get();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_integer());
    }
    if negative && digits.bytes().any(|b| b != b'0') {
        return Err((
            "greater_than_equal",
            "Input should be greater than or equal to 0".to_owned(),
        ));
    }
    digits.parse::<u64>().map_err(|_| {
        (
            "less_than_equal",
            format!("Input should be less than or equal to {}", u64::MAX),
        )
    })
}

fn required_string(
    fields: &Fields<'_>,
    name: &'static str,
    limits: std::ops::RangeInclusive<usize>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    string_field(fields.last(name).map(|(_, raw)| raw), limits)
        .map_err(|(kind, msg)| {
            errors.push(FieldError::new(vec![BODY, LocPart::Key(name)], kind, msg))
        })
        .ok()
}

/// Checks a required string field against its length limits, counted in characters.
fn string_field(
    raw: Option<&RawValue>,
    limits: std::ops::RangeInclusive<usize>,
) -> Result<String, (&'static str, String)> {
    let Some(raw) = raw else {
        return Err(("missing", "Field required".to_owned()));
    };
    if kind(raw) != Kind::String {
        return Err(("string_type", "Input should be a valid string".to_owned()));
    }
    let value: String = serde_json::from_str(raw.get())
        .map_err(|_| ("string_type", "Input should be a valid string".to_owned()))?;
    let chars = value.chars().count();
    if chars < *limits.start() {
        let min = limits.start();
        let plural = if *min == 1 { "" } else { "s" };
        return Err((
            "string_too_short",
            format!("String should have at least {min} character{plural}"),
        ));
    }
    if chars > *limits.end() {
        return Err((
            "string_too_long",
            format!("String should have at most {} characters", limits.end()),
        ));
    }
    Ok(value)
}

/// The members of a JSON object, in document order, with their values still as raw tokens.
struct Fields<'a>(Vec<(String, &'a RawValue)>);

impl<'a> Fields<'a> {
    /// The members of `raw`, or `None` when it is not an object.
    fn of(raw: &'a RawValue) -> Option<Fields<'a>> {
        if kind(raw) != Kind::Object {
            return None;
        }
        let mut deserializer = serde_json::Deserializer::from_str(raw.get());
        deserializer
            .deserialize_map(MembersVisitor)
            .ok()
            .map(Fields)
    }

    /// The last member named `key` and its position, as `json.loads` would keep it.
    fn last(&self, key: &str) -> Option<(usize, &'a RawValue)> {
        self.0
            .iter()
            .rposition(|(name, _)| name == key)
            .map(|position| (position, self.0[position].1))
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Vec<(String, &'de RawValue)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(member) = map.next_entry::<String, &'de RawValue>()? {
            members.push(member);
        }
        Ok(members)
    }
}

/// Writes the `known` members of `fields` as a compact object, in the order they were posted.
fn write_object(
    out: &mut String,
    fields: &Fields<'_>,
    known: &[&'static str],
    mut write_value: impl FnMut(&mut String, &str, &RawValue),
) {
    let mut present: Vec<(usize, &'static str, &RawValue)> = known
        .iter()
        .filter_map(|key| {
            fields
                .last(key)
                .map(|(position, raw)| (position, *key, raw))
        })
        .collect();
    present.sort_unstable_by_key(|(position, _, _)| *position);
    out.push('{');
    for (n, (_, key, raw)) in present.into_iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        // Known keys are plain ASCII identifiers, so they need no escaping.
        out.push('"');
        out.push_str(key);
        out.push_str("\":");
        write_value(out, key, raw);
    }
    out.push('}');
}

/// Appends valid JSON `text` without its insignificant whitespace.
fn minify_into(out: &mut String, text: &str) {
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if matches!(c, ' ' | '\t' | '\n' | '\r') {
            continue;
        }
        out.push(c);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

/// The JSON type of a raw value, read from its first byte (raw values carry no leading space).
fn kind(raw: &RawValue) -> Kind {
    match raw.get().as_bytes().first() {
        Some(b'{') => Kind::Object,
        Some(b'[') => Kind::Array,
        Some(b'"') => Kind::String,
        Some(b't' | b'f') => Kind::Bool,
        Some(b'n') => Kind::Null,
        _ => Kind::Number,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn valid() -> Value {
        json!({
            "trace_version": "1.0",
            "prompt": "What is 2+2?",
            "final_answer": "4",
            "steps": [{"i": 0, "type": "thought", "content": "add"}],
        })
    }

    fn errors_of(body: &Value) -> Vec<FieldError> {
        validate(body.to_string().as_bytes()).expect_err("should be invalid")
    }

    fn only_error(body: &Value) -> (Vec<LocPart>, &'static str, String) {
        let mut errors = errors_of(body);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let err = errors.remove(0);
        (err.loc, err.kind, err.msg)
    }

    use LocPart::{Index, Key};

    #[test]
    fn a_minimal_trace_is_valid_and_stored_as_posted() {
        let text = valid().to_string();
        let trace = validate(text.as_bytes()).unwrap();
        assert_eq!(trace.trace_version, "1.0");
        assert_eq!(trace.payload, text);
    }

    #[test]
    fn the_payload_drops_unknown_fields_and_whitespace_but_keeps_order_and_tokens() {
        let body = r#" {
            "extra": [1, 2],
            "steps": [ {"content": "c", "junk": null, "i": 0, "type": "t"} ],
            "meta": { "z": 1.50, "a": "x y", "big": 123456789012345678901234567890 },
            "prompt": "caf\u00e9 \"q\"",
            "trace_version": "v",
            "final_answer": "a"
        } "#;
        let trace = validate(body.as_bytes()).unwrap();
        assert_eq!(
            trace.payload,
            r#"{"steps":[{"content":"c","i":0,"type":"t"}],"meta":{"z":1.50,"a":"x y","big":123456789012345678901234567890},"prompt":"caf\u00e9 \"q\"","trace_version":"v","final_answer":"a"}"#
        );
    }

    #[test]
    fn a_repeated_key_keeps_the_last_value() {
        let body = r#"{"prompt":"first","trace_version":"v","final_answer":"a","steps":[{"i":0,"type":"t","content":"c"}],"prompt":"second"}"#;
        let trace = validate(body.as_bytes()).unwrap();
        assert_eq!(
            trace.payload,
            r#"{"trace_version":"v","final_answer":"a","steps":[{"i":0,"type":"t","content":"c"}],"prompt":"second"}"#
        );
    }

    #[test]
    fn every_missing_field_is_reported() {
        let errors = errors_of(&json!({}));
        let locs: Vec<_> = errors.iter().map(|e| (e.loc.clone(), e.kind)).collect();
        assert_eq!(
            locs,
            vec![
                (vec![Key("body"), Key("trace_version")], "missing"),
                (vec![Key("body"), Key("prompt")], "missing"),
                (vec![Key("body"), Key("final_answer")], "missing"),
                (vec![Key("body"), Key("steps")], "missing"),
            ]
        );
        assert!(errors.iter().all(|e| e.msg == "Field required"));
    }

    #[test]
    fn string_lengths_are_counted_in_characters_at_both_boundaries() {
        let cases: [(&str, std::ops::RangeInclusive<usize>); 3] = [
            ("trace_version", TRACE_VERSION_CHARS),
            ("prompt", PROMPT_CHARS),
            ("final_answer", FINAL_ANSWER_CHARS),
        ];
        for (field, limits) in cases {
            let mut body = valid();
            // A four-byte character: a byte count would reject the upper boundary.
            body[field] = json!("😀".repeat(*limits.end()));
            assert!(
                validate(body.to_string().as_bytes()).is_ok(),
                "{field} at max"
            );

            body[field] = json!("😀".repeat(limits.end() + 1));
            let (loc, kind, msg) = only_error(&body);
            assert_eq!(loc, vec![Key("body"), Key(field)]);
            assert_eq!(kind, "string_too_long");
            assert!(msg.contains(&limits.end().to_string()), "{msg}");

            body[field] = json!("");
            let (_, kind, msg) = only_error(&body);
            assert_eq!(kind, "string_too_short");
            assert_eq!(msg, "String should have at least 1 character");
        }
    }

    #[test]
    fn step_string_lengths_are_checked_at_both_boundaries() {
        for (field, limits) in [("type", STEP_TYPE_CHARS), ("content", STEP_CONTENT_CHARS)] {
            let mut body = valid();
            body["steps"][0][field] = json!("é".repeat(*limits.end()));
            assert!(
                validate(body.to_string().as_bytes()).is_ok(),
                "{field} at max"
            );

            body["steps"][0][field] = json!("é".repeat(limits.end() + 1));
            let (loc, kind, _) = only_error(&body);
            assert_eq!(loc, vec![Key("body"), Key("steps"), Index(0), Key(field)]);
            assert_eq!(kind, "string_too_long");

            body["steps"][0][field] = json!("");
            assert_eq!(only_error(&body).1, "string_too_short");
        }
    }

    #[test]
    fn nul_is_refused_in_trace_version_only() {
        let mut body = valid();
        body["trace_version"] = json!("v\u{0}1");
        let (loc, kind, _) = only_error(&body);
        assert_eq!(loc, vec![Key("body"), Key("trace_version")]);
        assert_eq!(kind, "value_error");

        let mut body = valid();
        body["prompt"] = json!("a\u{0}b");
        assert!(validate(body.to_string().as_bytes()).is_ok());
    }

    #[test]
    fn step_count_boundaries() {
        let step = |i: usize| json!({"i": i, "type": "t", "content": "c"});
        let mut body = valid();
        body["steps"] = Value::Array((0..1000).map(step).collect());
        assert!(validate(body.to_string().as_bytes()).is_ok());

        body["steps"] = Value::Array((0..1001).map(step).collect());
        let (loc, kind, msg) = only_error(&body);
        assert_eq!(loc, vec![Key("body"), Key("steps")]);
        assert_eq!(kind, "too_long");
        assert!(msg.contains("1000"), "{msg}");

        body["steps"] = json!([]);
        assert_eq!(only_error(&body).1, "too_short");
    }

    #[test]
    fn step_indices_must_be_unique() {
        let mut body = valid();
        body["steps"] = json!([
            {"i": 0, "type": "t", "content": "a"},
            {"i": 3, "type": "t", "content": "b"},
            {"i": 3, "type": "t", "content": "c"},
        ]);
        let (loc, kind, msg) = only_error(&body);
        assert_eq!(loc, vec![Key("body"), Key("steps")]);
        assert_eq!(kind, "value_error");
        assert!(msg.contains("unique"), "{msg}");
        assert!(msg.contains('3'), "{msg}");
    }

    #[test]
    fn step_index_must_be_a_non_negative_integer() {
        let cases = [
            (json!(-1), "greater_than_equal"),
            (json!(1.5), "int_type"),
            (json!(1.0), "int_type"),
            (json!("1"), "int_type"),
            (json!(true), "int_type"),
            (json!(null), "int_type"),
        ];
        for (i, expected) in cases {
            let mut body = valid();
            body["steps"][0]["i"] = i.clone();
            let (loc, kind, _) = only_error(&body);
            assert_eq!(
                loc,
                vec![Key("body"), Key("steps"), Index(0), Key("i")],
                "{i}"
            );
            assert_eq!(kind, expected, "{i}");
        }
        let body = valid()
            .to_string()
            .replace("\"i\":0", "\"i\":18446744073709551616");
        assert_eq!(
            validate(body.as_bytes()).unwrap_err()[0].kind,
            "less_than_equal"
        );
        let body = valid().to_string().replace("\"i\":0", "\"i\":-0");
        assert!(validate(body.as_bytes()).is_ok());
        let body = valid()
            .to_string()
            .replace("\"i\":0", "\"i\":18446744073709551615");
        assert!(validate(body.as_bytes()).is_ok());
    }

    #[test]
    fn wrong_types_are_reported_where_they_are() {
        let mut body = valid();
        body["prompt"] = json!(42);
        body["steps"] = json!([{"i": 0, "type": "t", "content": "c"}, "not a step"]);
        body["meta"] = json!([1]);
        let errors = errors_of(&body);
        let found: Vec<_> = errors.iter().map(|e| (e.loc.clone(), e.kind)).collect();
        assert_eq!(
            found,
            vec![
                (vec![Key("body"), Key("prompt")], "string_type"),
                (
                    vec![Key("body"), Key("steps"), Index(1)],
                    "model_attributes_type"
                ),
                (vec![Key("body"), Key("meta")], "dict_type"),
            ]
        );

        let mut body = valid();
        body["steps"] = json!({"i": 0});
        assert_eq!(only_error(&body).1, "list_type");
    }

    #[test]
    fn meta_may_be_absent_null_or_an_object() {
        for meta in [json!(null), json!({}), json!({"k": [1, {"n": null}]})] {
            let mut body = valid();
            body["meta"] = meta;
            assert!(validate(body.to_string().as_bytes()).is_ok());
        }
        for meta in [json!("s"), json!(1), json!(true)] {
            let mut body = valid();
            body["meta"] = meta;
            assert_eq!(only_error(&body).1, "dict_type");
        }
    }

    #[test]
    fn bodies_that_are_not_a_json_object_are_refused() {
        for (body, kind) in [
            (&b""[..], "missing"),
            (b"{", "json_invalid"),
            (b"{} x", "json_invalid"),
            (b"\xff\xfe", "json_invalid"),
            (b"[]", "model_attributes_type"),
            (b"null", "model_attributes_type"),
            (b"\"s\"", "model_attributes_type"),
        ] {
            let errors = validate(body).unwrap_err();
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].loc, vec![Key("body")]);
            assert_eq!(errors[0].kind, kind, "{body:?}");
        }
    }

    #[test]
    fn minify_keeps_whitespace_inside_strings_only() {
        let mut out = String::new();
        minify_into(&mut out, "{ \"a b\" : [ 1 , \"x\\\" y\" ] }");
        assert_eq!(out, r#"{"a b":[1,"x\" y"]}"#);
    }
}
