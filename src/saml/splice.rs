//! Byte splicing of XML text: find an element's byte range, then cut, copy or insert around it.
//!
//! Signed subtrees are moved and copied as bytes, never parsed and written again, so a wrapped
//! or duplicated element keeps exactly the bytes its digest was computed over.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::error::{Result, SamlError};

/// Where one element sits in a document, as byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Qualified name as written (`saml:Assertion`).
    pub qname: String,
    /// Its `ID` attribute, if any (SAML and XML-DSig use `ID`, not `id`).
    pub id: Option<String>,
    /// 0 for the root element.
    pub depth: usize,
    /// Offset of `<`.
    pub start: usize,
    /// Offset just after the start tag's `>`.
    pub inner_start: usize,
    /// Offset of the end tag's `<` (equal to `end` for `<x/>`).
    pub inner_end: usize,
    /// Offset just after the end tag.
    pub end: usize,
}

impl Element {
    /// The local part of the name (`Assertion`).
    pub fn local_name(&self) -> &str {
        self.qname.rsplit(':').next().unwrap_or(&self.qname)
    }

    /// Whether `other` lies inside this element.
    pub fn contains(&self, other: &Element) -> bool {
        other.start > self.start && other.end <= self.end
    }
}

fn id_of(tag: &BytesStart<'_>) -> Option<String> {
    tag.try_get_attribute("ID")
        .ok()
        .flatten()
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

/// Every element of `xml`, in document order.
pub fn elements(xml: &str) -> Result<Vec<Element>> {
    let mut reader = Reader::from_str(xml);
    let mut out: Vec<Element> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader
            .read_event()
            .map_err(|e| SamlError::Splice(format!("not well-formed at byte {before}: {e}")))?;
        let after = reader.buffer_position() as usize;
        match event {
            Event::Start(tag) => {
                open.push(out.len());
                out.push(Element {
                    qname: String::from_utf8_lossy(tag.name().as_ref()).into_owned(),
                    id: id_of(&tag),
                    depth: open.len() - 1,
                    start: before,
                    inner_start: after,
                    inner_end: after,
                    end: after,
                });
            }
            Event::Empty(tag) => out.push(Element {
                qname: String::from_utf8_lossy(tag.name().as_ref()).into_owned(),
                id: id_of(&tag),
                depth: open.len(),
                start: before,
                inner_start: after,
                inner_end: after,
                end: after,
            }),
            Event::End(_) => {
                let i = open
                    .pop()
                    .ok_or_else(|| SamlError::Splice(format!("stray end tag at byte {before}")))?;
                out[i].inner_end = before;
                out[i].end = after;
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// The first element named `qname` (as written, with its prefix).
pub fn first(xml: &str, qname: &str) -> Result<Element> {
    elements(xml)?
        .into_iter()
        .find(|e| e.qname == qname)
        .ok_or_else(|| SamlError::Splice(format!("no <{qname}> element")))
}

/// The root element.
pub fn root(xml: &str) -> Result<Element> {
    elements(xml)?
        .into_iter()
        .next()
        .ok_or_else(|| SamlError::Splice("no root element".into()))
}

/// The first element whose `ID` is `id`.
pub fn by_id(xml: &str, id: &str) -> Result<Element> {
    elements(xml)?
        .into_iter()
        .find(|e| e.id.as_deref() == Some(id))
        .ok_or_else(|| SamlError::Splice(format!("no element with ID `{id}`")))
}

/// The first child of `parent` with local name `local`.
pub fn child(xml: &str, parent: &Element, local: &str) -> Result<Option<Element>> {
    Ok(elements(xml)?
        .into_iter()
        .find(|e| parent.contains(e) && e.depth == parent.depth + 1 && e.local_name() == local))
}

/// `xml` with the content of the first `qname` element replaced by `inner` (raw XML).
pub fn set_inner(xml: &str, qname: &str, inner: &str) -> Result<String> {
    let e = first(xml, qname)?;
    Ok(replace(xml, e.inner_start, e.inner_end, inner))
}

/// `xml` without the first `qname` element.
pub fn remove_first(xml: &str, qname: &str) -> Result<String> {
    Ok(remove(xml, &first(xml, qname)?))
}

/// `xml` with `insert` placed just before the end tag of the first `qname` element.
pub fn append_into(xml: &str, qname: &str, insert_xml: &str) -> Result<String> {
    let e = first(xml, qname)?;
    Ok(insert(xml, e.inner_end, insert_xml))
}

/// `xml` with `insert` placed right after the first `qname` element.
pub fn insert_after(xml: &str, qname: &str, insert_xml: &str) -> Result<String> {
    let e = first(xml, qname)?;
    Ok(insert(xml, e.end, insert_xml))
}

/// `xml` with `insert` placed at byte `at`.
pub fn insert(xml: &str, at: usize, insert: &str) -> String {
    let mut s = String::with_capacity(xml.len() + insert.len());
    s.push_str(&xml[..at]);
    s.push_str(insert);
    s.push_str(&xml[at..]);
    s
}

/// `xml` with bytes `start..end` replaced by `with`.
pub fn replace(xml: &str, start: usize, end: usize, with: &str) -> String {
    let mut s = String::with_capacity(xml.len() + with.len());
    s.push_str(&xml[..start]);
    s.push_str(with);
    s.push_str(&xml[end..]);
    s
}

/// `xml` without the element `e`.
pub fn remove(xml: &str, e: &Element) -> String {
    replace(xml, e.start, e.end, "")
}

/// The bytes of element `e`.
pub fn slice<'a>(xml: &'a str, e: &Element) -> &'a str {
    &xml[e.start..e.end]
}

/// `xml` with the first `from` replaced by `to`; an error if `from` does not occur.
pub fn replace_first(xml: &str, from: &str, to: &str) -> Result<String> {
    let at = xml
        .find(from)
        .ok_or_else(|| SamlError::Splice(format!("`{from}` not found")))?;
    Ok(replace(xml, at, at + from.len(), to))
}

/// `xml` with every `from` replaced by `to`; an error if `from` does not occur.
pub fn replace_all(xml: &str, from: &str, to: &str) -> Result<String> {
    if !xml.contains(from) {
        return Err(SamlError::Splice(format!("`{from}` not found")));
    }
    Ok(xml.replace(from, to))
}

/// The start tag of `e` with attribute `name` set to `value` (already escaped), or removed
/// when `value` is `None`. The attribute must exist: its position keeps canonical order.
pub fn set_attr(xml: &str, e: &Element, name: &str, value: Option<&str>) -> Result<String> {
    let tag = &xml[e.start..e.inner_start];
    let key = format!(" {name}=\"");
    let at = tag
        .find(&key)
        .ok_or_else(|| SamlError::Splice(format!("<{}> has no {name} attribute", e.qname)))?;
    let value_start = at + key.len();
    let value_end = value_start
        + tag[value_start..]
            .find('"')
            .ok_or_else(|| SamlError::Splice(format!("unterminated {name} attribute")))?;
    let new_tag = match value {
        Some(v) => replace(tag, value_start, value_end, v),
        None => replace(tag, at, value_end + 1, ""),
    };
    Ok(replace(xml, e.start, e.inner_start, &new_tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str =
        r#"<a:R xmlns:a="urn:a" ID="r"><a:I>x</a:I><a:S ID="s"><a:I/><!-- <a:I> --></a:S></a:R>"#;

    #[test]
    fn elements_have_exact_byte_ranges() {
        let els = elements(DOC).unwrap();
        assert_eq!(els.len(), 4);
        assert_eq!(slice(DOC, &els[1]), "<a:I>x</a:I>");
        assert_eq!(&DOC[els[1].inner_start..els[1].inner_end], "x");
        assert_eq!(
            slice(DOC, &els[2]),
            r#"<a:S ID="s"><a:I/><!-- <a:I> --></a:S>"#
        );
        assert_eq!(els[3].depth, 2);
        assert_eq!(slice(DOC, &els[3]), "<a:I/>");
    }

    #[test]
    fn lookups_by_id_and_child() {
        let s = by_id(DOC, "s").unwrap();
        let issuer = child(DOC, &s, "I").unwrap().unwrap();
        assert_eq!(issuer.start, s.inner_start);
        assert!(by_id(DOC, "missing").is_err());
        assert_eq!(root(DOC).unwrap().id.as_deref(), Some("r"));
    }

    #[test]
    fn edits_by_name() {
        assert_eq!(
            set_inner(DOC, "a:I", "y").unwrap(),
            DOC.replacen("<a:I>x</a:I>", "<a:I>y</a:I>", 1)
        );
        assert_eq!(
            remove_first(DOC, "a:S").unwrap(),
            r#"<a:R xmlns:a="urn:a" ID="r"><a:I>x</a:I></a:R>"#
        );
        assert!(
            append_into(DOC, "a:S", "<z/>")
                .unwrap()
                .ends_with("<!-- <a:I> --><z/></a:S></a:R>")
        );
        assert!(
            insert_after(DOC, "a:I", "<z/>")
                .unwrap()
                .contains("<a:I>x</a:I><z/><a:S")
        );
        assert!(remove_first(DOC, "a:Missing").is_err());
    }

    #[test]
    fn attributes_are_set_and_removed_in_place() {
        let r = root(DOC).unwrap();
        let changed = set_attr(DOC, &r, "ID", Some("new")).unwrap();
        assert!(changed.starts_with(r#"<a:R xmlns:a="urn:a" ID="new">"#));
        let removed = set_attr(DOC, &r, "ID", None).unwrap();
        assert!(removed.starts_with(r#"<a:R xmlns:a="urn:a"><a:I>"#));
        assert!(set_attr(DOC, &r, "Missing", None).is_err());
    }
}
