//! Filters (RFC 7644 §3.4.2.2): a recursive-descent parser and an evaluator over JSON resources.
//!
//! Besides the RFC grammar it accepts `attr[filter].sub op value`, the form Entra uses to match
//! on `emails[type eq "work"].value`.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::ScimError;
use super::resource::{AttrPath, container, get_ci};
use super::schema::{Attr, Kind, ResourceType};
use crate::fault::Fault;

/// Nesting deeper than this is refused, so a hostile filter cannot exhaust the stack.
const MAX_DEPTH: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
    Pr,
}

impl Op {
    fn parse(word: &str) -> Option<Op> {
        const OPS: [(&str, Op); 10] = [
            ("eq", Op::Eq),
            ("ne", Op::Ne),
            ("co", Op::Co),
            ("sw", Op::Sw),
            ("ew", Op::Ew),
            ("gt", Op::Gt),
            ("ge", Op::Ge),
            ("lt", Op::Lt),
            ("le", Op::Le),
            ("pr", Op::Pr),
        ];
        OPS.iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(word))
            .map(|(_, op)| *op)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    /// `path op value`, or `path pr` (with a null value).
    Test {
        path: AttrPath,
        op: Op,
        value: Value,
    },
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `path[inner]`, optionally followed by `.sub op value` tested on the same element.
    Where {
        path: AttrPath,
        inner: Box<Filter>,
        then: Option<Box<Filter>>,
    },
}

/// Parses a complete filter expression.
pub fn parse(text: &str) -> Result<Filter, ScimError> {
    let mut parser = Parser {
        src: text,
        pos: 0,
        depth: 0,
    };
    let filter = parser.or()?;
    parser.skip_ws();
    if parser.pos < text.len() {
        return Err(parser.error("unexpected input"));
    }
    Ok(filter)
}

/// Parses a PATCH path (RFC 7644 §3.5.2): `attrPath` or `valuePath [subAttr]`. Returns the
/// attribute, the value filter if any, and the sub-attribute that follows the filter.
pub fn parse_patch_path(
    text: &str,
) -> Result<(AttrPath, Option<Filter>, Option<String>), ScimError> {
    let mut parser = Parser {
        src: text,
        pos: 0,
        depth: 0,
    };
    parser.skip_ws();
    let path = parser.attr_path()?;
    let mut filter = None;
    let mut sub = None;
    if parser.eat('[') {
        if path.sub.is_some() || path.name.is_empty() {
            return Err(parser.error("a value filter must follow an attribute name"));
        }
        filter = Some(parser.or()?);
        parser.skip_ws();
        if !parser.eat(']') {
            return Err(parser.error("expected `]`"));
        }
        if parser.eat('.') {
            sub = Some(parser.sub_name()?);
        }
    }
    parser.skip_ws();
    if parser.pos < text.len() {
        return Err(parser.error("unexpected input"));
    }
    Ok((path, filter, sub))
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn skip_ws(&mut self) -> bool {
        let before = self.pos;
        while let Some(c) = self.peek().filter(|c| c.is_whitespace()) {
            self.pos += c.len_utf8();
        }
        self.pos > before
    }

    fn error(&self, what: &str) -> ScimError {
        let near: String = self.rest().chars().take(20).collect();
        if near.is_empty() {
            ScimError::invalid_filter(format!("{what} at the end of `{}`", self.src))
        } else {
            ScimError::invalid_filter(format!(
                "{what} at position {} (near `{near}`)",
                self.pos + 1
            ))
        }
    }

    /// Takes the run of characters that can form a word: anything but space, quotes, brackets.
    fn word(&mut self) -> &str {
        let start = self.pos;
        while let Some(c) = self
            .peek()
            .filter(|c| !c.is_whitespace() && !"()[]\"".contains(*c))
        {
            self.pos += c.len_utf8();
        }
        &self.src[start..self.pos]
    }

    /// Consumes `keyword` (case-insensitive) when it stands alone: followed by space or `(`.
    fn keyword(&mut self, keyword: &str) -> bool {
        let rest = self.rest();
        let matches = rest.len() >= keyword.len()
            && rest.as_bytes()[..keyword.len()].eq_ignore_ascii_case(keyword.as_bytes())
            && rest[keyword.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_whitespace() || c == '(');
        if matches {
            self.pos += keyword.len();
        }
        matches
    }

    fn or(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.and()?;
        loop {
            let save = self.pos;
            self.skip_ws();
            if self.keyword("or") {
                let right = self.and()?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn and(&mut self) -> Result<Filter, ScimError> {
        let mut left = self.unary()?;
        loop {
            let save = self.pos;
            self.skip_ws();
            if self.keyword("and") {
                let right = self.unary()?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn unary(&mut self) -> Result<Filter, ScimError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("filter nested too deeply"));
        }
        self.skip_ws();
        let result = if self.eat('(') {
            self.group()
        } else if self.not_keyword() {
            self.group().map(|f| Filter::Not(Box::new(f)))
        } else {
            self.attr_exp()
        };
        self.depth -= 1;
        result
    }

    /// `not` counts as the operator only when a parenthesis follows; `notes pr` is an attribute.
    fn not_keyword(&mut self) -> bool {
        let save = self.pos;
        if self.keyword("not") {
            self.skip_ws();
            if self.eat('(') {
                return true;
            }
        }
        self.pos = save;
        false
    }

    /// The rest of a parenthesised group, after its `(`.
    fn group(&mut self) -> Result<Filter, ScimError> {
        let inner = self.or()?;
        self.skip_ws();
        if !self.eat(')') {
            return Err(self.error("expected `)`"));
        }
        Ok(inner)
    }

    fn attr_path(&mut self) -> Result<AttrPath, ScimError> {
        let start = self.pos;
        let word = self.word();
        match AttrPath::parse(word) {
            Some(path) => Ok(path),
            None => {
                self.pos = start;
                Err(self.error("expected an attribute path"))
            }
        }
    }

    fn sub_name(&mut self) -> Result<String, ScimError> {
        let start = self.pos;
        let word = self.word().to_string();
        match AttrPath::parse(&word) {
            Some(AttrPath {
                urn: None,
                name,
                sub: None,
            }) => Ok(name),
            _ => {
                self.pos = start;
                Err(self.error("expected a sub-attribute name"))
            }
        }
    }

    fn attr_exp(&mut self) -> Result<Filter, ScimError> {
        let path = self.attr_path()?;
        if path.name.is_empty() {
            return Err(self.error("a schema URN alone is not an attribute"));
        }
        if self.eat('[') {
            if path.sub.is_some() {
                return Err(self.error("a value filter must follow an attribute name"));
            }
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.error("filter nested too deeply"));
            }
            let inner = self.or()?;
            self.depth -= 1;
            self.skip_ws();
            if !self.eat(']') {
                return Err(self.error("expected `]`"));
            }
            let then = if self.eat('.') {
                let sub = self.sub_name()?;
                let sub_path = AttrPath {
                    urn: None,
                    name: sub,
                    sub: None,
                };
                Some(Box::new(self.comparison(sub_path)?))
            } else {
                None
            };
            return Ok(Filter::Where {
                path,
                inner: Box::new(inner),
                then,
            });
        }
        self.comparison(path)
    }

    fn comparison(&mut self, path: AttrPath) -> Result<Filter, ScimError> {
        if !self.skip_ws() {
            return Err(self.error("expected an operator"));
        }
        let start = self.pos;
        let op = match Op::parse(self.word()) {
            Some(op) => op,
            None => {
                self.pos = start;
                return Err(self.error("expected one of eq ne co sw ew gt ge lt le pr"));
            }
        };
        if op == Op::Pr {
            return Ok(Filter::Test {
                path,
                op,
                value: Value::Null,
            });
        }
        if !self.skip_ws() {
            return Err(self.error("expected a value"));
        }
        let value = self.value()?;
        Ok(Filter::Test { path, op, value })
    }

    /// compValue: a JSON string, number, true, false or null.
    fn value(&mut self) -> Result<Value, ScimError> {
        let start = self.pos;
        if self.eat('"') {
            let mut escaped = false;
            loop {
                let Some(c) = self.peek() else {
                    self.pos = start;
                    return Err(self.error("unterminated string"));
                };
                self.pos += c.len_utf8();
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => break,
                    _ => escaped = false,
                }
            }
            return serde_json::from_str::<String>(&self.src[start..self.pos])
                .map(Value::String)
                .map_err(|_| {
                    self.pos = start;
                    self.error("invalid string")
                });
        }
        let word = self.word();
        let value = match word.to_ascii_lowercase().as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            "null" => Some(Value::Null),
            _ => serde_json::from_str::<Value>(word)
                .ok()
                .filter(Value::is_number),
        };
        value.ok_or_else(|| {
            self.pos = start;
            self.error("expected a quoted string, number, true, false or null")
        })
    }
}

/// What the evaluator needs to know besides the filter.
pub struct Eval {
    pub rt: &'static ResourceType,
    /// Compare userName case-sensitively (a fault; userName is caseExact=false).
    pub username_case_exact: bool,
    /// Evaluation faults (the filter faults of `Fault`); empty on a compliant server.
    pub faults: Vec<Fault>,
}

impl Eval {
    pub fn new(rt: &'static ResourceType) -> Eval {
        Eval {
            rt,
            username_case_exact: false,
            faults: Vec::new(),
        }
    }

    fn fault(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }
}

/// The attribute set a path is looked up in: the resource, or one element of a multi-valued
/// complex attribute inside a value filter.
#[derive(Clone, Copy)]
enum Scope {
    Resource,
    Element(Option<&'static Attr>),
}

impl Filter {
    /// Whether the resource matches.
    pub fn matches(&self, resource: &Map<String, Value>, ctx: &Eval) -> bool {
        self.eval(Scope::Resource, resource, ctx)
    }

    /// Whether one element of a multi-valued attribute (defined by `parent`) matches; used by
    /// PATCH value-filter paths.
    pub fn matches_element(
        &self,
        element: &Value,
        parent: Option<&'static Attr>,
        ctx: &Eval,
    ) -> bool {
        element
            .as_object()
            .is_some_and(|e| self.eval(Scope::Element(parent), e, ctx))
    }

    /// Whether the filter tests `name` at the top level of the resource.
    pub fn mentions(&self, name: &str) -> bool {
        match self {
            Filter::Test { path, .. } | Filter::Where { path, .. } => {
                path.name.eq_ignore_ascii_case(name)
            }
            Filter::And(a, b) | Filter::Or(a, b) => a.mentions(name) || b.mentions(name),
            Filter::Not(f) => f.mentions(name),
        }
    }

    /// The element an add/replace creates when a value filter matches nothing: the
    /// `sub eq value` terms joined by `and`, e.g. `type eq "work"` gives `{"type":"work"}`.
    pub fn template(&self) -> Option<Map<String, Value>> {
        match self {
            Filter::Test {
                path:
                    AttrPath {
                        urn: None,
                        name,
                        sub: None,
                    },
                op: Op::Eq,
                value,
            } => {
                let mut out = Map::new();
                out.insert(name.clone(), value.clone());
                Some(out)
            }
            Filter::And(a, b) => {
                let mut out = a.template()?;
                out.extend(b.template()?);
                Some(out)
            }
            _ => None,
        }
    }

    /// Refuses ordering comparisons on booleans and binaries (RFC 7644 §3.4.2.2).
    pub fn validate(&self, rt: &'static ResourceType) -> Result<(), ScimError> {
        match self {
            Filter::Test { path, op, .. } => {
                let ordering = matches!(op, Op::Gt | Op::Ge | Op::Lt | Op::Le);
                let def = rt.resolve(path).leaf_def();
                // A never-returned attribute (password) must not be readable by
                // guessing it one filter at a time either.
                if def.is_some_and(|d| d.returned == super::schema::Returned::Never) {
                    return Err(ScimError::invalid_filter(format!(
                        "`{}` cannot be filtered on",
                        path.name
                    )));
                }
                let kind = def.map(|d| d.kind);
                if ordering && matches!(kind, Some(Kind::Boolean | Kind::Binary)) {
                    return Err(ScimError::invalid_filter(format!(
                        "`{}` cannot be compared with gt, ge, lt or le",
                        path.name
                    )));
                }
                Ok(())
            }
            Filter::And(a, b) | Filter::Or(a, b) => a.validate(rt).and(b.validate(rt)),
            Filter::Not(f) => f.validate(rt),
            Filter::Where { .. } => Ok(()),
        }
    }

    fn eval(&self, scope: Scope, obj: &Map<String, Value>, ctx: &Eval) -> bool {
        match self {
            Filter::And(a, b) if ctx.fault(Fault::AndAsOr) => {
                a.eval(scope, obj, ctx) || b.eval(scope, obj, ctx)
            }
            Filter::And(a, b) => a.eval(scope, obj, ctx) && b.eval(scope, obj, ctx),
            Filter::Or(a, b) if ctx.fault(Fault::OrAsAnd) => {
                a.eval(scope, obj, ctx) && b.eval(scope, obj, ctx)
            }
            Filter::Or(a, b) => a.eval(scope, obj, ctx) || b.eval(scope, obj, ctx),
            Filter::Not(f) if ctx.fault(Fault::NotIgnored) => f.eval(scope, obj, ctx),
            Filter::Not(f) => !f.eval(scope, obj, ctx),
            Filter::Where { .. } if ctx.fault(Fault::ValuePathMatchesNothing) => false,
            Filter::Where { path, inner, then } => {
                let (found, def, _) = lookup(scope, obj, path, ctx);
                let elements: Vec<&Value> = match found {
                    Some(Value::Array(items)) => items.iter().collect(),
                    Some(single) => vec![single],
                    None => Vec::new(),
                };
                let elements: Vec<&Map<String, Value>> =
                    elements.into_iter().filter_map(Value::as_object).collect();
                // A fault: each half of an `and` may be met by a different element.
                if let (Filter::And(x, y), true) =
                    (inner.as_ref(), ctx.fault(Fault::ValuePathAcrossElements))
                {
                    let any =
                        |f: &Filter| elements.iter().any(|e| f.eval(Scope::Element(def), e, ctx));
                    return any(x) && any(y);
                }
                // The bracket filter and the trailing comparison test the same element.
                elements.into_iter().any(|e| {
                    inner.eval(Scope::Element(def), e, ctx)
                        && then
                            .as_ref()
                            .is_none_or(|t| t.eval(Scope::Element(def), e, ctx))
                })
            }
            Filter::Test { path, .. }
                if path.sub.is_some()
                    && matches!(scope, Scope::Resource)
                    && ctx.fault(Fault::SubAttributeMatchesNothing) =>
            {
                false
            }
            Filter::Test { path, op, value } => {
                let op = match op {
                    Op::Co if ctx.fault(Fault::CoAsSw) => &Op::Sw,
                    Op::Sw if ctx.fault(Fault::SwAsEq) => &Op::Eq,
                    Op::Ew if ctx.fault(Fault::EwAsSw) => &Op::Sw,
                    Op::Gt if ctx.fault(Fault::GtAsLt) => &Op::Lt,
                    op => op,
                };
                let (found, attr_def, case_exact) = lookup(scope, obj, path, ctx);
                let leaf_def = match &path.sub {
                    Some(sub) => attr_def.and_then(|d| d.sub_attr(sub)),
                    None => attr_def,
                };
                let case_exact = case_exact || leaf_def.is_some_and(|d| d.case_exact);
                let leaves = leaves(found, path.sub.as_deref());
                match op {
                    Op::Pr if ctx.fault(Fault::PrMatchesAll) => true,
                    Op::Pr => leaves.iter().any(|v| present(v)),
                    Op::Ne => !leaves.iter().any(|v| compare(Op::Eq, v, value, case_exact)),
                    _ => leaves.iter().any(|v| compare(*op, v, value, case_exact)),
                }
            }
        }
    }
}

/// Finds the attribute named by `path` (without its sub-attribute) in `obj`. Returns the value,
/// its definition, and whether a fault forces a case-sensitive comparison.
fn lookup<'v>(
    scope: Scope,
    map: &'v Map<String, Value>,
    path: &AttrPath,
    ctx: &Eval,
) -> (Option<&'v Value>, Option<&'static Attr>, bool) {
    match scope {
        Scope::Resource => {
            let at = ctx.rt.resolve(path);
            let forced = ctx.username_case_exact
                && at.extension.is_none()
                && at.name == "userName"
                && at.sub.is_none();
            // A fault: attribute names match only as the schema spells them.
            let spelled = !ctx.fault(Fault::FilterNamesCaseSensitive)
                || at.def.is_none()
                || path.name == at.name;
            let found = container(map, &at)
                .and_then(|c| get_ci(c, &at.name))
                .filter(|_| spelled);
            (found, at.def, forced)
        }
        Scope::Element(parent) => {
            let def = parent.and_then(|p| p.sub_attr(&path.name));
            (get_ci(map, &path.name), def, false)
        }
    }
}

/// The scalar values to compare: elements of arrays, the sub-attribute when one is named, and
/// the `value` sub-attribute of complex values otherwise.
fn leaves<'v>(found: Option<&'v Value>, sub: Option<&str>) -> Vec<&'v Value> {
    let Some(found) = found else {
        return Vec::new();
    };
    let items: Vec<&Value> = match found {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    let mut out = Vec::new();
    for item in items {
        let leaf = match (sub, item) {
            (Some(sub), Value::Object(o)) => get_ci(o, sub),
            (Some(_), _) => None,
            (None, Value::Object(o)) => get_ci(o, "value").or(Some(item)),
            (None, _) => Some(item),
        };
        match leaf {
            Some(Value::Array(values)) => out.extend(values),
            Some(v) => out.push(v),
            None => {}
        }
    }
    out
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

fn compare(op: Op, actual: &Value, expected: &Value, case_exact: bool) -> bool {
    let fold = |s: &str| {
        if case_exact {
            s.to_string()
        } else {
            s.to_lowercase()
        }
    };
    match (actual, expected) {
        (Value::String(a), Value::String(b)) => {
            let (a, b) = (fold(a), fold(b));
            match op {
                Op::Eq => a == b,
                Op::Co => a.contains(&b),
                Op::Sw => a.starts_with(&b),
                Op::Ew => a.ends_with(&b),
                Op::Gt | Op::Ge | Op::Lt | Op::Le => {
                    // dateTime values compare as instants, other strings lexically.
                    let ordering = match (
                        OffsetDateTime::parse(&a.to_uppercase(), &Rfc3339),
                        OffsetDateTime::parse(&b.to_uppercase(), &Rfc3339),
                    ) {
                        (Ok(x), Ok(y)) => x.cmp(&y),
                        _ => a.cmp(&b),
                    };
                    ordered(op, ordering)
                }
                Op::Ne | Op::Pr => false,
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            let (Some(a), Some(b)) = (a.as_f64(), b.as_f64()) else {
                return false;
            };
            match op {
                Op::Eq => a == b,
                Op::Gt | Op::Ge | Op::Lt | Op::Le => {
                    a.partial_cmp(&b).is_some_and(|o| ordered(op, o))
                }
                _ => false,
            }
        }
        (Value::Bool(a), Value::Bool(b)) => op == Op::Eq && a == b,
        (Value::Null, Value::Null) => op == Op::Eq,
        _ => false,
    }
}

fn ordered(op: Op, ordering: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    matches!(
        (op, ordering),
        (Op::Gt, Greater) | (Op::Ge, Greater | Equal) | (Op::Lt, Less) | (Op::Le, Less | Equal)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{GROUPS, USERS};
    use serde_json::json;

    fn ctx() -> Eval {
        Eval::new(&USERS)
    }

    fn user() -> Map<String, Value> {
        let user = json!({
            "id": "AbC", "externalId": "Ext-1", "userName": "Alice@Example.test", "active": false,
            "name": {"givenName": "Alice", "familyName": "Liddell"},
            "emails": [{"type": "home", "value": "a@home.test"}, {"type": "work", "value": "A@Work.test", "primary": true}],
            "meta": {"created": "2024-05-01T10:00:00Z"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "42", "manager": {"value": "m1"}},
        });
        user.as_object().cloned().unwrap()
    }

    fn check(filter: &str) -> bool {
        parse(filter)
            .unwrap_or_else(|e| panic!("{filter}: {e:?}"))
            .matches(&user(), &ctx())
    }

    #[test]
    fn parses_the_rfc_grammar() {
        let f = parse(r#"userName eq "x" and not (active eq true) or title pr"#).unwrap();
        // `and` binds tighter than `or`.
        assert!(matches!(f, Filter::Or(ref a, _) if matches!(**a, Filter::And(..))));
        let f = parse(r#"emails[type eq "work"].value eq "x""#).unwrap();
        assert!(matches!(f, Filter::Where { then: Some(_), .. }));
        let f = parse(r#"members[value eq "a]b"]"#).unwrap();
        assert!(matches!(f, Filter::Where { then: None, .. }));
        assert!(parse("userName EQ \"x\"").is_ok());
        assert!(parse("notes pr").is_ok());
        assert!(parse("meta.lastModified gt \"2011-05-13T04:42:34Z\"").is_ok());
        assert!(parse("x eq 1.5e3").is_ok());
    }

    #[test]
    fn refuses_malformed_filters() {
        for bad in [
            "",
            "userName",
            "userName eq",
            "userName equals \"x\"",
            "userName eq \"x",
            "userName eq x",
            "(userName eq \"x\"",
            "userName eq \"x\")",
            "emails[type eq \"work\"",
            "emails[type eq \"work\"].value",
            "userName eq \"x\" and",
            "userName eq \"x\" xor title pr",
            "x eq 1e999",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User eq \"x\"",
        ] {
            let err = parse(bad).expect_err(bad);
            assert_eq!(err.scim_type, Some("invalidFilter"), "{bad}");
        }
        let deep = format!("{}userName pr{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&deep).is_err());
        let deep = format!("{}userName pr{}", "not(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&deep).is_err());
        let deep = format!("{}x pr{}", "a[".repeat(10_000), "]".repeat(10_000));
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn evaluates_with_scim_case_rules() {
        assert!(check(r#"username eq "alice@example.TEST""#));
        assert!(check(r#"id eq "AbC""#));
        assert!(!check(r#"id eq "abc""#), "id is caseExact");
        assert!(
            !check(r#"externalId eq "ext-1""#),
            "externalId is caseExact"
        );
        assert!(check(r#"externalId eq "Ext-1""#));
        assert!(check(r#"emails[type eq "work"].value eq "a@work.test""#));
        assert!(!check(r#"emails[type eq "home"].value eq "a@work.test""#));
        assert!(check(r#"emails.value eq "a@home.test""#));
        assert!(check(r#"emails[primary eq true]"#));
        assert!(check(r#"active eq false"#));
        assert!(check(
            r#"name.givenName sw "al" and name.familyName ew "DELL""#
        ));
        assert!(check(r#"userName co "example""#));
        assert!(check(
            r#"not(userName eq "bob") and (title pr or userName pr)"#
        ));
        assert!(!check(r#"title pr"#));
        assert!(check(r#"title ne "x""#));
        assert!(check(r#"meta.created gt "2024-01-01T00:00:00Z""#));
        assert!(check(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42""#
        ));
        assert!(check(r#"manager.value eq "m1""#));
    }

    #[test]
    fn username_case_fault_only_touches_username() {
        let strict = Eval {
            username_case_exact: true,
            ..Eval::new(&USERS)
        };
        let f = parse(r#"userName eq "alice@example.test""#).unwrap();
        assert!(!f.matches(&user(), &strict));
        let f = parse(r#"name.givenName eq "alice""#).unwrap();
        assert!(f.matches(&user(), &strict));
    }

    #[test]
    fn group_member_filters() {
        let group = json!({"displayName": "Ops", "members": [{"value": "u1"}, {"value": "u2"}]});
        let group = group.as_object().unwrap();
        let ctx = Eval::new(&GROUPS);
        assert!(
            parse(r#"members[value eq "u2"]"#)
                .unwrap()
                .matches(group, &ctx)
        );
        assert!(
            !parse(r#"members[value eq "u3"]"#)
                .unwrap()
                .matches(group, &ctx)
        );
        assert!(
            parse(r#"members.value eq "u1""#)
                .unwrap()
                .matches(group, &ctx)
        );
    }

    #[test]
    fn boolean_ordering_is_refused_and_templates_come_from_equalities() {
        assert!(parse("active gt true").unwrap().validate(&USERS).is_err());
        let f = parse(r#"type eq "work" and primary eq true"#).unwrap();
        assert_eq!(
            Value::Object(f.template().unwrap()),
            json!({"type": "work", "primary": true})
        );
        assert!(parse(r#"type co "w""#).unwrap().template().is_none());
    }

    #[test]
    fn patch_paths() {
        let (path, filter, sub) = parse_patch_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(path.name, "emails");
        assert!(filter.is_some());
        assert_eq!(sub.as_deref(), Some("value"));
        let (path, filter, sub) = parse_patch_path("name.givenName").unwrap();
        assert_eq!(
            (path.sub.as_deref(), filter, sub),
            (Some("givenName"), None, None)
        );
        assert!(parse_patch_path("emails[type eq \"work\"]x").is_err());
        assert!(parse_patch_path("").is_err());
        assert!(parse_patch_path("name.givenName[type eq \"x\"]").is_err());
    }
}
