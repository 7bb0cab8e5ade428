//! `POST /api/traces`, `GET /api/traces/{id}`, `GET /api/traces`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody, PathRejection, QueryRejection};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::error::{AppError, FieldError, LocPart};
use crate::state::AppState;
use crate::{trace, trace_store};

const DEFAULT_LIMIT: i64 = 20;
const LIMIT_RANGE: std::ops::RangeInclusive<i64> = 1..=100;

#[derive(Serialize)]
pub(crate) struct TraceCreated {
    id: Uuid,
    created_at: DateTime<Utc>,
    trace_version: String,
}

#[derive(Serialize)]
pub(crate) struct TraceDetail {
    id: Uuid,
    created_at: DateTime<Utc>,
    trace_version: String,
    payload: Box<RawValue>,
}

#[derive(Serialize)]
pub(crate) struct TraceList {
    data: Vec<TraceCreated>,
    pagination: Pagination,
}

#[derive(Serialize)]
struct Pagination {
    limit: i64,
    offset: i64,
    next_offset: Option<i64>,
}

impl From<trace_store::TraceSummary> for TraceCreated {
    fn from(row: trace_store::TraceSummary) -> Self {
        TraceCreated {
            id: row.id,
            created_at: row.created_at,
            trace_version: row.trace_version,
        }
    }
}

pub(crate) async fn create_trace(
    State(state): State<AppState>,
    request: Request,
) -> Result<(StatusCode, Json<TraceCreated>), AppError> {
    let limit = state.trace_max_bytes();
    // An honest Content-Length lets us refuse before reading anything; a dishonest or absent one
    // is caught by the body limit layer while reading, which stops at `limit` bytes.
    if declared_length(request.headers()).is_some_and(|length| length > limit as u64) {
        return Err(AppError::PayloadTooLarge { limit });
    }
    if !is_json(request.headers()) {
        return Err(AppError::Validation(vec![FieldError::new(
            vec![LocPart::Key("body")],
            "content_type",
            "Content-Type must be application/json",
        )]));
    }
    let body = Bytes::from_request(request, &state)
        .await
        .map_err(|rejection| match rejection {
            BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
                AppError::PayloadTooLarge { limit }
            }
            other => AppError::BodyUnreadable(axum::Error::new(other)),
        })?;
    let trace = trace::validate(&body).map_err(AppError::Validation)?;
    let row = trace_store::insert(state.pool(), &trace).await?;
    tracing::info!(id = %row.id, bytes = trace.payload.len(), "trace stored");
    Ok((StatusCode::CREATED, Json(row.into())))
}

pub(crate) async fn get_trace(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<TraceDetail>, AppError> {
    let id = id
        .ok()
        .and_then(|Path(id)| Uuid::parse_str(&id).ok())
        .ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                vec![LocPart::Key("path"), LocPart::Key("trace_id")],
                "uuid_parsing",
                "Input should be a valid UUID",
            )])
        })?;
    let row = trace_store::find(state.pool(), id)
        .await?
        .ok_or(AppError::TraceNotFound { id })?;
    let payload = RawValue::from_string(row.payload)
        .map_err(|source| AppError::CorruptPayload { id, source })?;
    Ok(Json(TraceDetail {
        id: row.id,
        created_at: row.created_at,
        trace_version: row.trace_version,
        payload,
    }))
}

pub(crate) async fn list_traces(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<TraceList>, AppError> {
    let Query(pairs) = query.map_err(|_| {
        AppError::InvalidQuery(
            "query string could not be parsed; expected limit and offset as integers".to_owned(),
        )
    })?;
    let limit = query_integer(&pairs, "limit", DEFAULT_LIMIT, LIMIT_RANGE, || {
        format!(
            "limit must be an integer between {} and {}",
            LIMIT_RANGE.start(),
            LIMIT_RANGE.end()
        )
    })?;
    let offset = query_integer(&pairs, "offset", 0, 0..=i64::MAX, || {
        "offset must be an integer greater than or equal to 0".to_owned()
    })?;

    // One row more than asked tells whether another page exists without a COUNT.
    let mut rows = trace_store::list(state.pool(), limit + 1, offset).await?;
    let next_offset = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        offset.checked_add(limit)
    } else {
        None
    };
    Ok(Json(TraceList {
        data: rows.into_iter().map(TraceCreated::from).collect(),
        pagination: Pagination {
            limit,
            offset,
            next_offset,
        },
    }))
}

/// The last value of query parameter `name` as an integer in `range` (the last one wins, as in
/// FastAPI), or `default` when absent.
fn query_integer(
    pairs: &[(String, String)],
    name: &str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
    message: impl Fn() -> String,
) -> Result<i64, AppError> {
    let Some((_, value)) = pairs.iter().rev().find(|(key, _)| key == name) else {
        return Ok(default);
    };
    match value.trim().parse::<i64>() {
        Ok(number) if range.contains(&number) => Ok(number),
        _ => Err(AppError::InvalidQuery(message())),
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// JSON or unlabelled; a form or text/plain body is refused, which also keeps other sites'
/// plain HTML forms from posting traces.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return true;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn json_content_types() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            is_json(&headers)
        };
        assert!(is_json(&HeaderMap::new()));
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/vnd.trace+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/x-www-form-urlencoded"));
    }

    #[test]
    fn query_integers_take_the_last_value_and_check_the_range() {
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect()
        };
        let limit = |list: &[(&str, &str)]| {
            query_integer(&pairs(list), "limit", 20, 1..=100, || "limit".into())
        };
        assert_eq!(limit(&[]).unwrap(), 20);
        assert_eq!(limit(&[("limit", "5"), ("limit", "7")]).unwrap(), 7);
        assert_eq!(limit(&[("limit", "100")]).unwrap(), 100);
        for bad in ["0", "101", "-1", "abc", "", "1.5", "99999999999999999999"] {
            assert!(limit(&[("limit", bad)]).is_err(), "{bad}");
        }
    }
}
