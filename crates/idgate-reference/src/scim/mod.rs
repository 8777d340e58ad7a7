//! The SCIM 2.0 service (RFC 7644): router, handlers, authentication and the wire format.
//!
//! Handlers speak correct SCIM; each fault is a switch they (or the two layers around them)
//! consult, so the compliant path reads straight through.

mod cursor;
mod error;
mod filter;
mod patch;
mod pressure;
mod resource;
mod schema;
mod sort;
mod store;
mod twist;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Map, Value, json};

use self::error::{SCIM_JSON, ScimError};
use self::filter::{Eval, Filter};
use self::resource::{AttrPath, Projection, get_ci, get_ci_mut, remove_ci};
use self::schema::{GROUPS, MAX_RESULTS, ResourceType, USERS};
use self::sort::Sort;
use self::store::{Resource, Store, id_of};
use crate::fault::Fault;

/// The faults switched on for one server.
pub type Faults = HashSet<Fault>;

const LIST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// Request bodies above this size are refused with 413.
const MAX_BODY: usize = 1024 * 1024;

/// Shared state of one running server.
struct App {
    token: String,
    faults: Faults,
    store: Mutex<Store>,
    /// Host used in URLs when a request carries no usable Host header.
    fallback_host: String,
}

impl App {
    fn fault(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }

    /// The store; a panic elsewhere cannot poison it for good, as every write is whole.
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The base URL for `meta.location`, from the Host the client used.
    fn base(&self, headers: &HeaderMap) -> String {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            })
            .unwrap_or(&self.fallback_host);
        format!("http://{host}/scim/v2")
    }
}

/// The SCIM routes, to be nested under `/scim/v2`.
pub fn router(token: String, faults: Faults, fallback_host: String) -> Router {
    let app = Arc::new(App {
        token,
        faults,
        store: Mutex::new(Store::default()),
        fallback_host,
    });
    let (resource_types, resource_type) =
        discovery(schema::resource_type_resources, Fault::ResourceTypes404);
    let (schemas, schema) = discovery(schema::schema_resources, Fault::Schemas404);
    Router::new()
        .route("/Users", collection(&USERS))
        .route("/Users/.search", search_route(&USERS))
        .route("/Users/{id}", member(&USERS))
        .route("/Groups", collection(&GROUPS))
        .route("/Groups/.search", search_route(&GROUPS))
        .route("/Groups/{id}", member(&GROUPS))
        // Neither is offered; RFC 7644 §3.11 and §3.12 say how to say so: 501.
        .route("/Me", axum::routing::any(not_implemented))
        .route("/.search", axum::routing::any(not_implemented))
        .route("/ServiceProviderConfig", get(service_provider_config))
        .route("/ResourceTypes", resource_types)
        .route("/ResourceTypes/{id}", resource_type)
        .route("/Schemas", schemas)
        .route("/Schemas/{id}", schema)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Inside authentication: a load fault answers only a request with the right token.
        .layer(middleware::from_fn_with_state(
            pressure::Pressure::new(app.faults.clone()),
            pressure::layer,
        ))
        .layer(middleware::from_fn_with_state(app.clone(), authenticate))
        .layer(middleware::from_fn_with_state(app.clone(), twist::layer))
        .layer(middleware::from_fn_with_state(app.clone(), wire_faults))
        .with_state(app)
}

/// A feature the server does not offer (RFC 7644 §3.12: 501 Not Implemented).
async fn not_implemented(State(app): State<Arc<App>>, uri: Uri) -> ScimError {
    if app.fault(Fault::UnsupportedAs404) {
        return ScimError::not_found(format!("no resource at {}", uri.path()));
    }
    ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        format!("{} is not implemented", uri.path()),
    )
}

/// POST /{resources}/.search: a query in the body (RFC 7644 §3.4.3).
fn search_route(rt: &'static ResourceType) -> MethodRouter<Arc<App>> {
    axum::routing::post(
        move |State(app): State<Arc<App>>, ScimBody(body): ScimBody| async move {
            search(&app, rt, &body)
        },
    )
}

fn search(app: &App, rt: &'static ResourceType, body: &Value) -> Result<Reply, ScimError> {
    if app.fault(Fault::SearchIgnoresFilter) {
        return list_query(app, rt, ListQuery::default());
    }
    let empty = Map::new();
    let body = body.as_object().unwrap_or(&empty);
    let text = |name: &str| get_ci(body, name).and_then(Value::as_str);
    let number = |name: &str| get_ci(body, name).and_then(Value::as_i64);
    let names = |name: &str| -> Result<Vec<AttrPath>, ScimError> {
        let list: Vec<&str> = match get_ci(body, name) {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(s)) => vec![s.as_str()],
            _ => Vec::new(),
        };
        attr_list(name, &list.join(","))
    };
    let query = ListQuery {
        filter: text("filter").map(String::from),
        start_index: number("startIndex"),
        count: number("count"),
        sort_by: text("sortBy").map(sort_by).transpose()?,
        descending: text("sortOrder")
            .map(descending)
            .transpose()?
            .unwrap_or(false),
        projection: Projection {
            attributes: names("attributes")?,
            excluded: names("excludedAttributes")?,
        },
        cursor: text("cursor").map(String::from),
    };
    list_query(app, rt, query)
}

/// Answer for paths that name nothing.
pub async fn not_found(uri: Uri) -> ScimError {
    ScimError::not_found(format!("no resource at {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ScimError {
    ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        format!("{method} is not supported on {}", uri.path()),
    )
}

/// Bearer token check on every route (RFC 7644 §2).
async fn authenticate(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let Some(given) = request.headers().get(header::AUTHORIZATION) else {
        if app.fault(Fault::NoAuth) {
            return next.run(request).await;
        }
        return ScimError::unauthorized("missing `Authorization: Bearer <token>`").into_response();
    };
    let token = given
        .to_str()
        .ok()
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    let accepted = match token {
        Some(_) if app.fault(Fault::AnyTokenAccepted) => true,
        Some(token) => same_secret(token.as_bytes(), app.token.as_bytes()),
        None => false,
    };
    if accepted {
        next.run(request).await
    } else {
        ScimError::unauthorized("invalid bearer token").into_response()
    }
}

/// Compares without stopping at the first difference, so timing does not reveal how much of a
/// guessed token was right. An empty configured token matches nothing.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    if expected.is_empty() || given.len() != expected.len() {
        return false;
    }
    given
        .iter()
        .zip(expected)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

/// Faults that change the wire format of every response, applied on the way out.
async fn wire_faults(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if app.fault(Fault::ErrorStatusInteger)
        && let Some(error) = response.extensions().get::<ScimError>().cloned()
    {
        *response.body_mut() = Body::from(error.body(true).to_string());
        response.headers_mut().remove(header::CONTENT_LENGTH);
    }
    if app.fault(Fault::ContentTypeJson) && response.headers().contains_key(header::CONTENT_TYPE) {
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    response
}

/// What a handler answers: a SCIM JSON body, or nothing.
enum Reply {
    Json {
        status: StatusCode,
        body: Value,
        location: Option<String>,
        etag: Option<String>,
    },
    Empty(StatusCode),
}

impl Reply {
    fn ok(body: Value) -> Reply {
        Reply::Json {
            status: StatusCode::OK,
            body,
            location: None,
            etag: None,
        }
    }

    /// Gives a single resource's reply its version as ETag (RFC 7644 §3.14: the ETag header
    /// and `meta.version` carry the same value).
    fn tagged(self, app: &App, version: Option<&str>) -> Reply {
        let Reply::Json {
            status,
            body,
            location,
            ..
        } = self
        else {
            return self;
        };
        let etag = match version {
            _ if app.fault(Fault::EtagMissing) => None,
            Some(v) if app.fault(Fault::EtagNotVersion) => {
                Some(v.trim_start_matches("W/").to_string())
            }
            v => v.map(str::to_string),
        };
        Reply::Json {
            status,
            body,
            location,
            etag,
        }
    }
}

fn version_of(resource: &Resource) -> Option<&str> {
    resource.get("meta")?.get("version")?.as_str()
}

/// If-Match on a write (RFC 7644 §3.14): a version other than the current one is 412.
fn check_if_match(app: &App, headers: &HeaderMap, resource: &Resource) -> Result<(), ScimError> {
    let Some(wanted) = headers.get(header::IF_MATCH) else {
        return Ok(());
    };
    if app.fault(Fault::IfMatchIgnored) {
        return Ok(());
    }
    let wanted = wanted.to_str().unwrap_or_default();
    let current = version_of(resource).unwrap_or_default();
    if wanted
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == current)
    {
        return Ok(());
    }
    Err(ScimError::new(
        StatusCode::PRECONDITION_FAILED,
        None,
        format!("If-Match {wanted} does not match the current version {current}"),
    ))
}

/// If-None-Match on a read: the client's copy is current, so 304 and no body.
fn not_modified(app: &App, headers: &HeaderMap, resource: &Resource) -> bool {
    let (Some(tags), Some(current)) = (headers.get(header::IF_NONE_MATCH), version_of(resource))
    else {
        return false;
    };
    !app.fault(Fault::IfNoneMatchIgnored)
        && tags
            .to_str()
            .unwrap_or_default()
            .split(',')
            .any(|t| t.trim() == current)
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        match self {
            Reply::Empty(status) => status.into_response(),
            Reply::Json {
                status,
                body,
                location,
                etag,
            } => {
                let mut response = (status, body.to_string()).into_response();
                let headers = response.headers_mut();
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
                if let Some(location) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
                    headers.insert(header::LOCATION, location);
                }
                if let Some(etag) = etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
                    headers.insert(header::ETAG, etag);
                }
                response
            }
        }
    }
}

/// A JSON request body: media type checked, size capped, syntax checked.
struct ScimBody(Value);

impl FromRequest<Arc<App>> for ScimBody {
    type Rejection = ScimError;

    async fn from_request(request: Request, app: &Arc<App>) -> Result<Self, ScimError> {
        let unsupported = |what: &str| {
            ScimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                format!("{what}; send application/scim+json or application/json"),
            )
        };
        // A missing Content-Type is tolerated: the body must still be JSON.
        if let Some(given) = request.headers().get(header::CONTENT_TYPE) {
            let given = given
                .to_str()
                .map_err(|_| unsupported("unreadable Content-Type"))?;
            let mut parts = given.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default().to_ascii_lowercase();
            if media != "application/scim+json" && media != "application/json" {
                return Err(unsupported(&format!("Content-Type `{given}` is not JSON")));
            }
            let has_charset = parts.any(|p| p.to_ascii_lowercase().starts_with("charset"));
            if media == "application/scim+json"
                && has_charset
                && app.fault(Fault::RejectScimContentType)
            {
                return Err(unsupported(&format!(
                    "Content-Type `{given}` is not accepted"
                )));
            }
        }
        let too_large = || {
            ScimError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                format!("request bodies are limited to {MAX_BODY} bytes"),
            )
        };
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY as u64) {
            return Err(too_large());
        }
        let bytes = axum::body::to_bytes(request.into_body(), MAX_BODY)
            .await
            .map_err(|_| too_large())?;
        serde_json::from_slice(&bytes)
            .map(ScimBody)
            .map_err(|e| ScimError::invalid_syntax(format!("the body is not valid JSON: {e}")))
    }
}

/// Maps a failed path extraction (e.g. an id that is not UTF-8) to a SCIM 404.
fn path_id(id: Result<Path<String>, PathRejection>) -> Result<String, ScimError> {
    id.map(|Path(id)| id)
        .map_err(|_| ScimError::not_found("no such resource"))
}

fn collection(rt: &'static ResourceType) -> MethodRouter<Arc<App>> {
    get(move |State(app): State<Arc<App>>, uri: Uri| async move { list(&app, rt, &uri) }).post(
        move |State(app): State<Arc<App>>,
              headers: HeaderMap,
              uri: Uri,
              ScimBody(body): ScimBody| async move { create(&app, rt, &headers, &uri, body) },
    )
}

fn member(rt: &'static ResourceType) -> MethodRouter<Arc<App>> {
    type Id = Result<Path<String>, PathRejection>;
    get(
        move |State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri, id: Id| async move {
            read(&app, rt, &headers, &uri, path_id(id)?)
        },
    )
    .put(
        move |State(app): State<Arc<App>>,
              headers: HeaderMap,
              uri: Uri,
              id: Id,
              ScimBody(body): ScimBody| async move {
            replace(&app, rt, &headers, &uri, path_id(id)?, body)
        },
    )
    .patch(
        move |State(app): State<Arc<App>>,
              headers: HeaderMap,
              uri: Uri,
              id: Id,
              ScimBody(body): ScimBody| async move {
            modify(&app, rt, &headers, &uri, path_id(id)?, body)
        },
    )
    .delete(
        move |State(app): State<Arc<App>>, headers: HeaderMap, id: Id| async move {
            delete(&app, rt, &headers, path_id(id)?)
        },
    )
}

/// The query parameters of a list (RFC 7644 §3.4.2).
#[derive(Default)]
struct ListQuery {
    filter: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
    sort_by: Option<AttrPath>,
    descending: bool,
    projection: Projection,
    /// RFC 9865: `cursor` asks for cursor paging; empty for the first page.
    cursor: Option<String>,
}

/// Reads the query string. It is form-encoded, so `+` is a space (`userName+eq+"x"`);
/// parameter names are matched case-insensitively.
fn parse_query(uri: &Uri) -> Result<ListQuery, ScimError> {
    let mut query = ListQuery::default();
    for (name, value) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        match name.to_ascii_lowercase().as_str() {
            "filter" => query.filter = Some(value.into_owned()),
            "startindex" => query.start_index = Some(integer("startIndex", &value)?),
            "count" => query.count = Some(integer("count", &value)?),
            "cursor" => query.cursor = Some(value.into_owned()),
            "sortby" => query.sort_by = Some(sort_by(&value)?),
            "sortorder" => query.descending = descending(&value)?,
            "attributes" => query.projection.attributes = attr_list("attributes", &value)?,
            "excludedattributes" => {
                query.projection.excluded = attr_list("excludedAttributes", &value)?
            }
            _ => {}
        }
    }
    Ok(query)
}

/// `sortBy`: an attribute path (RFC 7644 §3.4.2.3).
fn sort_by(text: &str) -> Result<AttrPath, ScimError> {
    AttrPath::parse(text.trim())
        .ok_or_else(|| ScimError::invalid_value(format!("sortBy `{text}` is not an attribute")))
}

/// `sortOrder`: `ascending` (the default) or `descending`.
fn descending(text: &str) -> Result<bool, ScimError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "ascending" => Ok(false),
        "descending" => Ok(true),
        _ => Err(ScimError::invalid_value(format!(
            "sortOrder `{text}` is neither ascending nor descending"
        ))),
    }
}

/// An integer parameter; values too large for i64 saturate rather than fail.
fn integer(name: &str, text: &str) -> Result<i64, ScimError> {
    let text = text.trim();
    if let Ok(n) = text.parse::<i64>() {
        return Ok(n);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(if text.starts_with('-') {
            i64::MIN
        } else {
            i64::MAX
        });
    }
    Err(ScimError::invalid_value(format!(
        "`{name}` must be an integer, not `{text}`"
    )))
}

fn attr_list(name: &str, text: &str) -> Result<Vec<AttrPath>, ScimError> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            AttrPath::parse(s).ok_or_else(|| {
                ScimError::invalid_value(format!("`{name}`: `{s}` is not an attribute path"))
            })
        })
        .collect()
}

/// A ListResponse (RFC 7644 §3.4.2); `Resources` is present even when empty.
pub(crate) fn list_response(
    resources: Vec<Value>,
    total: usize,
    start_index: i64,
    faults: &Faults,
) -> Value {
    let mut body = Map::new();
    body.insert("schemas".into(), json!([LIST_URN]));
    body.insert("totalResults".into(), total.into());
    if !faults.contains(&Fault::ListResponseBare) {
        body.insert("startIndex".into(), start_index.into());
        body.insert("itemsPerPage".into(), resources.len().into());
    }
    body.insert("Resources".into(), resources.into());
    Value::Object(body)
}

/// Whether a stored resource may be shown: a fault hides disabled users.
fn visible(app: &App, rt: &'static ResourceType, resource: &Resource) -> bool {
    !(app.fault(Fault::SoftDeleteVanishes)
        && !rt.is_group()
        && get_ci(resource, "active") == Some(&Value::Bool(false)))
}

/// The projection a response uses; a fault ignores excludedAttributes on groups.
fn projection(app: &App, rt: &'static ResourceType, mut projection: Projection) -> Projection {
    if rt.is_group() && app.fault(Fault::IgnoreExcludedAttributes) {
        projection.excluded.clear();
    }
    if !rt.is_group() && app.fault(Fault::UserExcludedAttributesIgnored) {
        projection.excluded.clear();
    }
    if app.fault(Fault::AttributesIgnored) {
        projection.attributes.clear();
    }
    projection
}

fn list(app: &App, rt: &'static ResourceType, uri: &Uri) -> Result<Reply, ScimError> {
    list_query(app, rt, parse_query(uri)?)
}

fn list_query(app: &App, rt: &'static ResourceType, query: ListQuery) -> Result<Reply, ScimError> {
    let ignored = if rt.is_group() {
        app.fault(Fault::GroupFilterIgnored)
    } else {
        app.fault(Fault::FilterIgnored) || app.fault(Fault::FilterUnadvertisedIgnored)
    };
    let filter: Option<Filter> = match &query.filter {
        Some(text) if !ignored => {
            let filter = filter::parse(text)?;
            filter.validate(rt)?;
            if app.fault(Fault::ExternalIdFilterUnsupported) && filter.mentions("externalId") {
                return Err(ScimError::invalid_filter(
                    "filtering on externalId is not supported",
                ));
            }
            Some(filter)
        }
        _ => None,
    };
    let eval = Eval {
        username_case_exact: app.fault(Fault::UsernameCaseSensitive),
        faults: app.faults.iter().copied().collect(),
        ..Eval::new(rt)
    };
    let projection = projection(app, rt, query.projection);
    let store = app.store();
    // `userName eq "x"` (or `displayName eq`), the match every Entra create starts with, is
    // found through the store's index when no fault changes how filters match; every other
    // filter reads all resources.
    let candidates: Vec<&Resource> = match (&filter, app.faults.is_empty()) {
        (
            Some(Filter::Test {
                path,
                op: filter::Op::Eq,
                value: Value::String(key),
            }),
            true,
        ) if path.urn.is_none() && path.sub.is_none() && path.name.eq_ignore_ascii_case(rt.key) => {
            store.with_key(rt, key)
        }
        _ => store.all(rt).collect(),
    };
    let mut matched: Vec<&Resource> = candidates
        .into_iter()
        .filter(|r| visible(app, rt, r))
        .filter(|r| filter.as_ref().is_none_or(|f| f.matches(r, &eval)))
        .collect();
    if let Some(by) = query.sort_by
        && !app.fault(Fault::SortIgnored)
    {
        let descending = query.descending && !app.fault(Fault::SortOrderIgnored);
        Sort { by, descending }.apply(rt, &mut matched);
    }
    if matched.is_empty() && filter.is_some() && app.fault(Fault::EmptyFilter404) {
        return Err(ScimError::not_found("no resource matches the filter"));
    }
    let count = match query.count {
        _ if app.fault(Fault::IgnoreCount) => matched.len(),
        Some(c) => c.clamp(0, MAX_RESULTS as i64) as usize,
        None => MAX_RESULTS,
    };
    if let Some(cursor) = query.cursor.as_deref()
        && !app.fault(Fault::CursorIgnored)
    {
        let offset = cursor::offset(app, cursor)?;
        let page = matched
            .iter()
            .skip(offset)
            .take(count)
            .map(|r| projection.apply(rt, r))
            .collect();
        return Ok(Reply::ok(cursor::page(
            app,
            page,
            matched.len(),
            offset,
            count,
        )));
    }
    // startIndex is 1-based and below 1 means 1; count is capped and below 0 means 0.
    let (offset, echoed) = match query.start_index {
        Some(s) if app.fault(Fault::ZeroBasedStartIndex) => (s.max(0), s.saturating_sub(1).max(0)),
        None if app.fault(Fault::ZeroBasedStartIndex) => (0, 0),
        _ if app.fault(Fault::StartIndexIgnored) => (0, 1),
        start => {
            let s = start.unwrap_or(1).max(1);
            (s - 1, s)
        }
    };
    let past_the_end = usize::try_from(offset).is_ok_and(|o| o >= matched.len() && o > 0);
    if past_the_end && app.fault(Fault::PastTheEnd500) {
        return Err(ScimError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "index out of range",
        ));
    }
    // A fault: a startIndex past the end serves the last page again.
    let offset = match past_the_end && app.fault(Fault::PastTheEndLastPage) {
        true => (matched.len() as i64 - query.count.unwrap_or(1).max(1)).max(0),
        false => offset,
    };
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let page: Vec<Value> = matched
        .iter()
        .skip(offset)
        .take(count)
        .map(|r| projection.apply(rt, r))
        .collect();
    let total = match app.fault(Fault::TotalCountsEveryone) {
        true => store.count(rt),
        false => matched.len(),
    };
    Ok(Reply::ok(list_response(page, total, echoed, &app.faults)))
}

fn read(
    app: &App,
    rt: &'static ResourceType,
    headers: &HeaderMap,
    uri: &Uri,
    id: String,
) -> Result<Reply, ScimError> {
    let projection = projection(app, rt, parse_query(uri)?.projection);
    let store = app.store();
    let resource = store
        .get(rt, &id)
        .filter(|r| visible(app, rt, r))
        .ok_or_else(|| missing(rt, &id))?;
    if not_modified(app, headers, resource) {
        return Ok(Reply::Empty(StatusCode::NOT_MODIFIED));
    }
    Ok(Reply::ok(projection.apply(rt, resource)).tagged(app, version_of(resource)))
}

fn missing(rt: &'static ResourceType, id: &str) -> ScimError {
    ScimError::not_found(format!("{} {id} not found", rt.name))
}

/// Checks the body of a POST or PUT and turns it into the attributes to store.
fn incoming(
    app: &App,
    rt: &'static ResourceType,
    body: Value,
    creating: bool,
) -> Result<Resource, ScimError> {
    let Value::Object(mut body) = body else {
        return Err(ScimError::invalid_syntax(format!(
            "a {} must be a JSON object",
            rt.name
        )));
    };
    check_schemas(app, rt, &body)?;
    if rt.is_group() {
        if creating && app.fault(Fault::GroupExtraSchemaRejected) {
            let schemas = get_ci(&body, "schemas")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if let Some(other) = schemas.iter().find(|s| s.as_str() != Some(rt.schema.id)) {
                return Err(ScimError::invalid_value(format!(
                    "unsupported schema {other}"
                )));
            }
        }
        if app.fault(Fault::RejectNullRef)
            && get_ci(&body, "members").is_some_and(patch::has_null_ref)
        {
            return Err(ScimError::invalid_value("member `$ref` must not be null"));
        }
    }
    if creating && !rt.is_group() && app.fault(Fault::CreateDropsName) {
        remove_ci(&mut body, "name");
    }
    let attributes = resource::normalise_resource(rt, body, &app.faults)?;
    check_key(rt, &attributes)?;
    Ok(attributes)
}

/// `schemas` is REQUIRED and names the resource's core schema (RFC 7643 §3); a body without it
/// is not a SCIM resource (RFC 7644 §3.12 invalidSyntax).
fn check_schemas(
    app: &App,
    rt: &'static ResourceType,
    body: &Map<String, Value>,
) -> Result<(), ScimError> {
    if app.fault(Fault::SchemasOptional) {
        return Ok(());
    }
    let names_core = get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .any(|s| s.eq_ignore_ascii_case(rt.schema.id))
        });
    if names_core {
        Ok(())
    } else {
        Err(ScimError::invalid_syntax(format!(
            "`schemas` must list {}",
            rt.schema.id
        )))
    }
}

/// userName / displayName must be a non-empty string (RFC 7643 §4.1.1, §4.2).
fn check_key(rt: &'static ResourceType, resource: &Resource) -> Result<(), ScimError> {
    match get_ci(resource, rt.key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(()),
        Some(_) => Err(ScimError::invalid_value(format!(
            "`{}` must be a non-empty string",
            rt.key
        ))),
        None => Err(ScimError::invalid_value(format!(
            "`{}` is required",
            rt.key
        ))),
    }
}

/// Refuses a userName or displayName another resource holds (RFC 7644 §3.3: 409 uniqueness).
fn check_unique(
    app: &App,
    store: &Store,
    rt: &'static ResourceType,
    resource: &Resource,
) -> Result<(), ScimError> {
    let allowed = if rt.is_group() {
        app.fault(Fault::GroupDuplicateAllowed)
    } else {
        app.fault(Fault::DuplicateUsernameAccepted)
    };
    let key = get_ci(resource, rt.key)
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !allowed && store.key_taken(rt, key, id_of(resource)) {
        return Err(ScimError::uniqueness(format!(
            "{} {} \"{key}\" is already taken",
            rt.name, rt.key
        )));
    }
    Ok(())
}

/// Checks every group member exists and fills in its `$ref` and `type`; repeats are dropped.
fn resolve_members(
    app: &App,
    store: &Store,
    group: &mut Resource,
    base: &str,
) -> Result<(), ScimError> {
    let Some(Value::Array(members)) = get_ci_mut(group, "members") else {
        return Ok(());
    };
    let mut seen = HashSet::new();
    let mut resolved = Vec::with_capacity(members.len());
    for member in members.drain(..) {
        let Value::Object(mut member) = member else {
            return Err(ScimError::invalid_value("each member must be an object"));
        };
        let Some(id) = get_ci(&member, "value")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            if app.fault(Fault::MalformedMemberStored) {
                resolved.push(Value::Object(member));
                continue;
            }
            return Err(ScimError::invalid_value(
                "each member needs a string `value`",
            ));
        };
        if !seen.insert(id.clone()) && !app.fault(Fault::DuplicateMemberKept) {
            continue;
        }
        let Some(kind) = store.type_of(&id) else {
            if app.fault(Fault::UnknownMemberStored) {
                resolved.push(Value::Object(member));
                continue;
            }
            return Err(ScimError::invalid_value(format!(
                "member {id} is neither a user nor a group"
            )));
        };
        resource::set_ci(
            &mut member,
            "$ref",
            format!("{base}{}/{id}", kind.endpoint).into(),
        );
        resource::set_ci(&mut member, "type", kind.name.into());
        resolved.push(Value::Object(member));
    }
    *members = resolved;
    Ok(())
}

fn create(
    app: &App,
    rt: &'static ResourceType,
    headers: &HeaderMap,
    uri: &Uri,
    body: Value,
) -> Result<Reply, ScimError> {
    let projection = projection(app, rt, parse_query(uri)?.projection);
    let client_id = body.get("id").and_then(Value::as_str).map(str::to_string);
    let had_schemas = body.get("schemas").is_some();
    let mut attributes = incoming(app, rt, body, true)?;
    let base = app.base(headers);
    let mut store = app.store();
    resolve_members(app, &store, &mut attributes, &base)?;
    check_unique(app, &store, rt, &attributes)?;
    let mut resource = store::stamp_new(rt, attributes, &base);
    // A fault: a body without `schemas` is stored, and answered, without them.
    if !had_schemas && app.fault(Fault::SchemasOptional) {
        resource.shift_remove("schemas");
    }
    // A fault: the id the client chose is kept (RFC 7643 §3.1 says the server issues it).
    if let Some(id) = client_id.filter(|_| app.fault(Fault::ClientIdTaken)) {
        resource["meta"]["location"] = format!("{base}{}/{id}", rt.endpoint).into();
        resource["id"] = id.into();
    }
    let location = resource["meta"]["location"].as_str().map(str::to_string);
    let version = version_of(&resource).map(str::to_string);
    let body = projection.apply(rt, &resource);
    store.insert(rt, resource);
    let location = if app.fault(Fault::NoLocationHeader) {
        None
    } else {
        location
    };
    Ok(Reply::Json {
        status: StatusCode::CREATED,
        body,
        location,
        etag: None,
    }
    .tagged(app, version.as_deref()))
}

fn replace(
    app: &App,
    rt: &'static ResourceType,
    headers: &HeaderMap,
    uri: &Uri,
    id: String,
    body: Value,
) -> Result<Reply, ScimError> {
    let projection = projection(app, rt, parse_query(uri)?.projection);
    let body_id = body.get("id").and_then(Value::as_str).map(str::to_string);
    let mut attributes = incoming(app, rt, body, false)?;
    let base = app.base(headers);
    let mut store = app.store();
    let old = store.get(rt, &id).ok_or_else(|| missing(rt, &id))?;
    check_if_match(app, headers, old)?;
    let other_id = body_id.filter(|b| *b != id);
    if other_id.is_some() && app.fault(Fault::PutOtherId500) {
        return Err(ScimError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "id mismatch",
        ));
    }
    if app.fault(Fault::PutMerges) {
        for (key, value) in old {
            if key != "meta" && get_ci(&attributes, key).is_none() {
                attributes.insert(key.clone(), value.clone());
            }
        }
    }
    resolve_members(app, &store, &mut attributes, &base)?;
    let mut resource = store::stamp_replacement(old, attributes);
    if app.fault(Fault::LastModifiedFrozen) {
        resource["meta"]["lastModified"] = old["meta"]["lastModified"].clone();
    }
    if app.fault(Fault::PutResetsCreated) {
        resource["meta"]["created"] = resource["meta"]["lastModified"].clone();
    }
    check_unique(app, &store, rt, &resource)?;
    let mut body = projection.apply(rt, &resource);
    // A fault: the reply names the id from the body, as if the resource had taken it.
    if let Some(other) = other_id.filter(|_| app.fault(Fault::PutTakesId)) {
        body["id"] = other.into();
    }
    let version = version_of(&resource).map(str::to_string);
    store.update(rt, resource);
    Ok(Reply::ok(body).tagged(app, version.as_deref()))
}

fn modify(
    app: &App,
    rt: &'static ResourceType,
    headers: &HeaderMap,
    uri: &Uri,
    id: String,
    body: Value,
) -> Result<Reply, ScimError> {
    let projection = projection(app, rt, parse_query(uri)?.projection);
    let ops = patch::parse_request(&body, &app.faults)?;
    if ops.is_empty() && app.fault(Fault::EmptyPatch500) {
        return Err(ScimError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "nothing to do",
        ));
    }
    let base = app.base(headers);
    let mut store = app.store();
    let old = store.get(rt, &id).ok_or_else(|| missing(rt, &id))?;
    check_if_match(app, headers, old)?;
    // Work on a copy: a failing operation must leave the resource as it was.
    let mut resource = old.clone();
    let applied = patch::apply(rt, &mut resource, &ops, &app.faults)
        .and_then(|()| check_key(rt, &resource))
        .and_then(|()| resolve_members(app, &store, &mut resource, &base));
    if let Err(error) = applied {
        // A fault: what the operations before the failing one did is kept.
        if app.fault(Fault::PatchNotAtomic) {
            store.update(rt, resource);
        }
        return Err(error);
    }
    check_unique(app, &store, rt, &resource)?;
    if &resource != old {
        store::touch(&mut resource);
        store.update(rt, resource.clone());
    }
    // Entra expects 204 for groups; users answer with the resource.
    if rt.is_group() {
        return Ok(Reply::Empty(StatusCode::NO_CONTENT));
    }
    Ok(Reply::ok(projection.apply(rt, &resource)).tagged(app, version_of(&resource)))
}

fn delete(
    app: &App,
    rt: &'static ResourceType,
    headers: &HeaderMap,
    id: String,
) -> Result<Reply, ScimError> {
    let mut store = app.store();
    let resource = store.get(rt, &id).ok_or_else(|| missing(rt, &id))?.clone();
    check_if_match(app, headers, &resource)?;
    if app.fault(Fault::DeletedMemberKept) {
        store.remove_alone(rt, &id);
    } else if !app.fault(Fault::DeleteIsNoop) {
        store.remove(rt, &id);
    }
    if app.fault(Fault::DeleteReturns200) {
        return Ok(Reply::ok(Projection::default().apply(rt, &resource)));
    }
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
}

async fn service_provider_config(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
) -> Result<Reply, ScimError> {
    if app.fault(Fault::Spc404) {
        return Err(ScimError::not_found("no /ServiceProviderConfig"));
    }
    Ok(Reply::ok(schema::service_provider_config(
        &app.base(&headers),
    )))
}

/// The routes of a discovery endpoint (RFC 7644 §4): the whole list, and one document by id.
fn discovery(
    documents: fn(&str) -> Vec<Value>,
    hidden_by: Fault,
) -> (MethodRouter<Arc<App>>, MethodRouter<Arc<App>>) {
    let list = get(
        move |State(app): State<Arc<App>>, uri: Uri, headers: HeaderMap| async move {
            discover(&app, &uri, &headers, documents, hidden_by, None)
        },
    );
    let one = get(
        move |State(app): State<Arc<App>>,
              uri: Uri,
              headers: HeaderMap,
              id: Result<Path<String>, PathRejection>| async move {
            discover(
                &app,
                &uri,
                &headers,
                documents,
                hidden_by,
                Some(path_id(id)?),
            )
        },
    );
    (list, one)
}

fn discover(
    app: &App,
    uri: &Uri,
    headers: &HeaderMap,
    documents: fn(&str) -> Vec<Value>,
    hidden_by: Fault,
    id: Option<String>,
) -> Result<Reply, ScimError> {
    if app.fault(hidden_by) {
        return Err(ScimError::not_found(format!(
            "no resource at {}",
            uri.path()
        )));
    }
    let all = documents(&app.base(headers));
    let Some(id) = id else {
        return Ok(Reply::ok(schema::discovery_list(all, &app.faults)));
    };
    all.into_iter()
        .find(|d| {
            d["id"]
                .as_str()
                .is_some_and(|d| d.eq_ignore_ascii_case(&id))
        })
        .map(Reply::ok)
        .ok_or_else(|| ScimError::not_found(format!("nothing named {id} at {}", uri.path())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_saturate_and_refuse_words() {
        assert_eq!(integer("count", " 5 ").unwrap(), 5);
        assert_eq!(
            integer("count", "99999999999999999999999").unwrap(),
            i64::MAX
        );
        assert_eq!(
            integer("count", "-99999999999999999999999").unwrap(),
            i64::MIN
        );
        assert!(integer("count", "five").is_err());
        assert!(integer("count", "").is_err());
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abd", b"abc"));
        assert!(!same_secret(b"ab", b"abc"));
        assert!(!same_secret(b"", b""));
    }

    #[test]
    fn query_decodes_plus_as_space() {
        let uri: Uri = "/Users?filter=userName+eq+%22x%40y.test%22&startIndex=2&COUNT=3&excludedAttributes=members".parse().unwrap();
        let q = parse_query(&uri).unwrap();
        assert_eq!(q.filter.as_deref(), Some("userName eq \"x@y.test\""));
        assert_eq!((q.start_index, q.count), (Some(2), Some(3)));
        assert_eq!(q.projection.excluded.len(), 1);
    }
}
