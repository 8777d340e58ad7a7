//! A Tenant URL as an Entra admin pastes it may carry Entra's feature flag
//! (`…/scim/v2?aadOptscim062020`). Entra reads the flag, picks its 2020 dialect and leaves it out
//! of request paths; so does idgate. Any other query in a base URL would be glued into every
//! path, so it is refused.

use super::SetupError;

/// The client a Tenant URL's `aadOptscim062020` flag selects.
pub const FLAGGED_CLIENT: &str = "entra-2020";

/// A SCIM base URL with Entra's flags taken out of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantUrl {
    /// The SCIM root requests are made under.
    pub base: String,
    /// It carried `aadOptscim062020`: Entra would send its 2020 dialect.
    pub entra_2020: bool,
}

/// Reads `url` (given with `flag`, for the error) the way Entra reads a Tenant URL.
pub fn parse(flag: &str, url: &str) -> Result<TenantUrl, SetupError> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok(TenantUrl {
            base: url.to_string(),
            entra_2020: false,
        });
    };
    let mut rest = Vec::new();
    let mut entra_2020 = false;
    for part in query.split('&').filter(|p| !p.is_empty()) {
        if part
            .split('=')
            .next()
            .is_some_and(|k| k.eq_ignore_ascii_case("aadOptscim062020"))
        {
            entra_2020 = true;
        } else {
            rest.push(part);
        }
    }
    if !rest.is_empty() {
        return Err(SetupError::usage(format!(
            "error: {flag} carries a query (`?{}`), which would be glued into every request path\n  = help: give the SCIM root alone, e.g. {base}",
            rest.join("&")
        )));
    }
    Ok(TenantUrl {
        base: base.to_string(),
        entra_2020,
    })
}

impl TenantUrl {
    /// The note a run prints when the flag chose (or would have chosen) the client.
    pub fn note(&self, clients_given: bool) -> Option<String> {
        self.entra_2020.then(|| {
            format!(
                "note: the Tenant URL's aadOptscim062020 flag selects Entra's 2020 dialect{}; it is kept out of request paths, as Entra does",
                if clients_given {
                    ", though a client was chosen and wins"
                } else {
                    " (--client entra-2020)"
                }
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entras_flag_leaves_the_path_and_picks_the_dialect() {
        let t = parse("--scim-url", "https://h.test/scim/v2?aadOptscim062020").unwrap();
        assert_eq!(t.base, "https://h.test/scim/v2");
        assert!(t.entra_2020);
        let t = parse("--scim-url", "https://h.test/scim/v2?AADOPTSCIM062020=1&").unwrap();
        assert!(t.entra_2020);
        let t = parse("--scim-url", "https://h.test/scim/v2").unwrap();
        assert!(!t.entra_2020);
        assert_eq!(t.base, "https://h.test/scim/v2");
    }

    #[test]
    fn any_other_query_is_refused() {
        let e = parse(
            "--scim-url",
            "https://h.test/scim/v2?tenant=7&aadOptscim062020",
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), crate::exit::USAGE);
        assert!(e.to_string().contains("`?tenant=7`"), "{e}");
        assert!(e.to_string().contains("https://h.test/scim/v2"), "{e}");
    }
}
