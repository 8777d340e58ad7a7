//! `idgate.toml`: named profiles of `run` options, so a CI gate and a QA
//! engineer each keep their settings in the repository. Precedence, as in
//! cargo-nextest: a flag, then an `IDGATE_*` environment variable, then the
//! chosen profile, then `[profile.default]`, then idgate's own default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use idgate::diagnostic::{Diagnostic, Source, did_you_mean};

use crate::args::RunArgs;

/// The options a profile may set; each mirrors the `run` flag of the same name.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Profile {
    pub scim_url: Option<String>,
    pub scim_token_env: Option<String>,
    pub client: Option<Vec<String>>,
    pub tag: Option<Vec<String>>,
    pub skip: Option<Vec<String>>,
    pub scenarios: Option<PathBuf>,
    pub reports: Option<PathBuf>,
    pub report_html: Option<PathBuf>,
    pub report_markdown: Option<PathBuf>,
    pub timeout: Option<u64>,
    pub retries: Option<u32>,
    pub jobs: Option<u16>,
    pub fail_fast: Option<bool>,
    pub quiet: Option<bool>,
    pub saml_acs_url: Option<String>,
    pub saml_audience: Option<String>,
    pub saml_whoami_url: Option<String>,
    pub saml_whoami_pointer: Option<String>,
    pub saml_attributes_pointer: Option<String>,
    pub saml_login_url: Option<String>,
    pub saml_skew: Option<u64>,
    pub saml_max_skew: Option<u64>,
    pub saml_sp_metadata: Option<String>,
    pub saml_sp_profile: Option<String>,
    pub saml_rotation: Option<bool>,
    pub allow_writes: Option<bool>,
    pub key_dir: Option<PathBuf>,
    pub email_domain: Option<String>,
    pub name_prefix: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    profile: BTreeMap<String, Profile>,
}

/// Read `path` and merge profile `name` over `default`. A missing file is an
/// empty configuration, unless it was named explicitly (`explicit`).
pub fn load(path: &Path, name: &str, explicit: bool) -> Result<Profile, Diagnostic> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return if name == "default" {
                Ok(Profile::default())
            } else {
                Err(Diagnostic::new(format!(
                    "profile `{name}` was asked for, but there is no {}",
                    path.display()
                )))
            };
        }
        Err(e) => {
            return Err(Diagnostic::new(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let source = Source::new(path.display().to_string(), text.as_str());
    let file: File =
        toml::from_str(&text).map_err(|e| idgate::scenario::load::toml_error(&source, e))?;
    let base = file.profile.get("default").cloned().unwrap_or_default();
    if name == "default" {
        return Ok(base);
    }
    let Some(chosen) = file.profile.get(name) else {
        let names: Vec<&str> = file.profile.keys().map(String::as_str).collect();
        return Err(
            Diagnostic::new(format!("{} has no [profile.{name}]", path.display()))
                .with_help(did_you_mean(name, &names)),
        );
    };
    Ok(merge(base, chosen.clone()))
}

/// Fill every `run` option the user did not give as a flag or environment
/// variable from the chosen profile of the configuration file.
pub fn apply(a: &mut RunArgs, m: &clap::ArgMatches) -> Result<(), Diagnostic> {
    use clap::parser::ValueSource;
    let explicit = |id: &str| {
        matches!(
            m.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        )
    };
    let p = load(&a.config, &a.profile, explicit("config"))?;
    macro_rules! take {
        ($id:literal, $field:expr, $value:expr) => {
            if !explicit($id)
                && let Some(v) = $value
            {
                $field = v;
            }
        };
    }
    take!("scim_url", a.scim_url, p.scim_url.map(Some));
    take!("scim_token_env", a.token.scim_token_env, p.scim_token_env);
    take!("clients", a.clients, p.client);
    take!("tags", a.tags, p.tag);
    take!("skip", a.skip, p.skip);
    take!("scenarios", a.scenarios, p.scenarios.map(Some));
    take!("reports", a.reports, p.reports);
    take!("report_html", a.report_html, p.report_html.map(Some));
    take!(
        "report_markdown",
        a.report_markdown,
        p.report_markdown.map(Some)
    );
    take!("timeout", a.timeout, p.timeout);
    take!("retries", a.retries, p.retries);
    take!("fail_fast", a.fail_fast, p.fail_fast);
    take!("quiet", a.quiet, p.quiet);
    take!("allow_writes", a.allow_writes, p.allow_writes);
    take!(
        "saml_acs_url",
        a.saml.saml_acs_url,
        p.saml_acs_url.map(Some)
    );
    take!(
        "saml_audience",
        a.saml.saml_audience,
        p.saml_audience.map(Some)
    );
    take!(
        "saml_whoami_url",
        a.saml.saml_whoami_url,
        p.saml_whoami_url.map(Some)
    );
    take!(
        "saml_whoami_pointer",
        a.saml.saml_whoami_pointer,
        p.saml_whoami_pointer.map(Some)
    );
    take!(
        "saml_attributes_pointer",
        a.saml.saml_attributes_pointer,
        p.saml_attributes_pointer.map(Some)
    );
    take!(
        "saml_login_url",
        a.saml.saml_login_url,
        p.saml_login_url.map(Some)
    );
    take!("saml_skew", a.saml.saml_skew, p.saml_skew.map(Some));
    take!("saml_max_skew", a.saml.saml_max_skew, p.saml_max_skew);
    take!("key_dir", a.saml.idp.key_dir, p.key_dir);
    take!(
        "saml_sp_metadata",
        a.saml.saml_sp_metadata,
        p.saml_sp_metadata.map(Some)
    );
    take!(
        "saml_sp_profile",
        a.saml.saml_sp_profile,
        p.saml_sp_profile.map(Some)
    );
    take!("saml_rotation", a.saml.saml_rotation, p.saml_rotation);
    if let Some(name) = &a.saml.saml_sp_profile
        && !idgate::scenario::SP_PROFILES.contains(&name.as_str())
    {
        return Err(Diagnostic::new(format!(
            "saml-sp-profile = \"{name}\" in the profile is no SP profile"
        ))
        .with_help(did_you_mean(name, idgate::scenario::SP_PROFILES)));
    }
    if a.saml.saml_acs_url.is_some()
        && a.saml.saml_audience.is_none()
        && a.saml.saml_sp_metadata.is_none()
    {
        return Err(Diagnostic::new(
            "a SAML ACS URL needs the SP's entity ID too (--saml-audience or --saml-sp-metadata, or saml-audience in the profile)",
        ));
    }
    take!("jobs", a.jobs, p.jobs);
    if a.jobs == 0 || a.jobs > 64 {
        return Err(Diagnostic::new(format!(
            "jobs = {} in the profile is out of range: between 1 and 64 scenarios play at once",
            a.jobs
        )));
    }
    take!("email_domain", a.email_domain, p.email_domain);
    take!("name_prefix", a.name_prefix, p.name_prefix);
    Ok(())
}

/// `over`'s settings win; unset ones fall back to `base`.
fn merge(base: Profile, over: Profile) -> Profile {
    macro_rules! pick {
        ($($f:ident),*) => { Profile { $($f: over.$f.or(base.$f)),* } };
    }
    pick!(
        scim_url,
        scim_token_env,
        client,
        tag,
        skip,
        scenarios,
        reports,
        report_html,
        report_markdown,
        timeout,
        retries,
        jobs,
        fail_fast,
        quiet,
        saml_acs_url,
        saml_audience,
        saml_whoami_url,
        saml_whoami_pointer,
        saml_attributes_pointer,
        saml_login_url,
        saml_skew,
        saml_max_skew,
        saml_sp_metadata,
        saml_sp_profile,
        saml_rotation,
        allow_writes,
        key_dir,
        email_domain,
        name_prefix
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_overrides_default_and_typos_point_at_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idgate.toml");
        std::fs::write(
            &path,
            "[profile.default]\ntimeout = 10\nclient = [\"entra\"]\n\n[profile.ci]\ntimeout = 60\nfail-fast = true\n",
        )
        .unwrap();
        let ci = load(&path, "ci", false).unwrap();
        assert_eq!(
            (ci.timeout, ci.fail_fast, ci.client.as_deref()),
            (Some(60), Some(true), Some(&["entra".to_string()][..]))
        );
        let err = load(&path, "cj", false).unwrap_err();
        assert!(err.to_string().contains("`ci`"), "{err}");

        std::fs::write(&path, "[profile.default]\ntimeuot = 10\n").unwrap();
        let err = load(&path, "default", false).unwrap_err().to_string();
        assert!(
            err.contains("idgate.toml:2:1") && err.contains("did you mean `timeout`?"),
            "{err}"
        );
    }
}
