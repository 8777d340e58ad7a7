//! `idgate.toml`: named profiles of `run` options, so a CI gate and a QA
//! engineer each keep their settings in the repository. Precedence, as in
//! cargo-nextest: a flag, then an `IDGATE_*` environment variable, then the
//! chosen profile, then `[profile.default]`, then idgate's own default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use idgate::diagnostic::{Diagnostic, Source, did_you_mean};

use idgate::partition::Partition;

use crate::args::{self, LoadArgs, RunArgs, TargetArgs};

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
    pub partition: Option<String>,
    // `idgate load`'s own.
    pub users: Option<u32>,
    pub groups: Option<u32>,
    pub members_per_group: Option<u32>,
    pub concurrency: Option<u16>,
    pub rate: Option<f64>,
    pub member_batch: Option<u16>,
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

/// Whether option `id` was given on the command line or in its environment variable, which
/// both win over a profile.
fn given(m: &clap::ArgMatches, id: &str) -> bool {
    use clap::parser::ValueSource;
    matches!(
        m.value_source(id),
        Some(ValueSource::CommandLine | ValueSource::EnvVariable)
    )
}

/// Set `$field` from the profile's `$value` unless option `$id` was given.
macro_rules! take {
    ($m:expr, $id:literal, $field:expr, $value:expr) => {
        if !given($m, $id)
            && let Some(v) = $value
        {
            $field = v;
        }
    };
}

/// The chosen profile of `t`'s configuration file, with the options `run` and `load` share
/// filled from it.
fn apply_target(t: &mut TargetArgs, m: &clap::ArgMatches) -> Result<Profile, Diagnostic> {
    let p = load(&t.config, &t.profile, given(m, "config"))?;
    take!(m, "scim_url", t.scim_url, p.scim_url.clone().map(Some));
    take!(
        m,
        "scim_token_env",
        t.token.scim_token_env,
        p.scim_token_env.clone()
    );
    take!(m, "reports", t.reports, p.reports.clone());
    take!(m, "timeout", t.timeout, p.timeout);
    take!(m, "allow_writes", t.allow_writes, p.allow_writes);
    take!(m, "email_domain", t.email_domain, p.email_domain.clone());
    take!(m, "name_prefix", t.name_prefix, p.name_prefix.clone());
    Ok(p)
}

/// A profile's `partition = "k/n"`, read as the flag reads it.
fn partition(p: &Profile) -> Result<Option<Partition>, Diagnostic> {
    p.partition
        .as_deref()
        .map(|text| {
            text.parse::<Partition>()
                .map_err(|e| Diagnostic::new(format!("partition in the profile: {e}")))
        })
        .transpose()
}

/// Fill every `load` option the user did not give as a flag or environment variable from
/// the chosen profile; its `client` list gives the one client a load replays.
pub fn apply_load(a: &mut LoadArgs, m: &clap::ArgMatches) -> Result<(), Diagnostic> {
    let p = apply_target(&mut a.target, m)?;
    take!(
        m,
        "client",
        a.client,
        p.client.clone().and_then(|c| c.into_iter().next())
    );
    take!(m, "users", a.users, p.users);
    take!(m, "groups", a.groups, p.groups);
    take!(
        m,
        "members_per_group",
        a.members_per_group,
        p.members_per_group
    );
    take!(m, "concurrency", a.concurrency, p.concurrency);
    take!(m, "rate", a.rate, p.rate.map(Some));
    take!(m, "member_batch", a.member_batch, p.member_batch);
    take!(m, "quiet", a.quiet, p.quiet);
    take!(m, "partition", a.partition, partition(&p)?.map(Some));
    // The profile's numbers keep to the flags' ranges, so a typo cannot ask for 4 billion users.
    let out_of_range = |key: &str, value: String, range: String| {
        Diagnostic::new(format!(
            "{key} = {value} in the profile is out of range: it takes {range}"
        ))
    };
    macro_rules! within {
        ($key:literal, $value:expr, $range:expr) => {
            if !$range.contains(&$value) {
                return Err(out_of_range(
                    $key,
                    $value.to_string(),
                    format!("{:?}", $range),
                ));
            }
        };
    }
    within!("users", a.users, args::USERS);
    within!("groups", a.groups, args::GROUPS);
    within!("members-per-group", a.members_per_group, args::MEMBERS);
    within!("concurrency", a.concurrency, args::CONCURRENCY);
    within!("member-batch", a.member_batch, args::MEMBER_BATCH);
    if let Some(r) = a.rate {
        args::parse_rate(&r.to_string())
            .map_err(|e| Diagnostic::new(format!("rate in the profile: {e}")))?;
    }
    Ok(())
}

/// Fill every `run` option the user did not give as a flag or environment
/// variable from the chosen profile of the configuration file.
pub fn apply(a: &mut RunArgs, m: &clap::ArgMatches) -> Result<(), Diagnostic> {
    let p = apply_target(&mut a.target, m)?;
    take!(m, "partition", a.partition, partition(&p)?.map(Some));
    take!(m, "clients", a.clients, p.client);
    take!(m, "tags", a.tags, p.tag);
    take!(m, "skip", a.skip, p.skip);
    take!(m, "scenarios", a.scenarios, p.scenarios.map(Some));
    take!(m, "report_html", a.report_html, p.report_html.map(Some));
    take!(
        m,
        "report_markdown",
        a.report_markdown,
        p.report_markdown.map(Some)
    );
    take!(m, "retries", a.retries, p.retries);
    take!(m, "fail_fast", a.fail_fast, p.fail_fast);
    take!(m, "quiet", a.quiet, p.quiet);
    take!(
        m,
        "saml_acs_url",
        a.saml.saml_acs_url,
        p.saml_acs_url.map(Some)
    );
    take!(
        m,
        "saml_audience",
        a.saml.saml_audience,
        p.saml_audience.map(Some)
    );
    take!(
        m,
        "saml_whoami_url",
        a.saml.saml_whoami_url,
        p.saml_whoami_url.map(Some)
    );
    take!(
        m,
        "saml_whoami_pointer",
        a.saml.saml_whoami_pointer,
        p.saml_whoami_pointer.map(Some)
    );
    take!(
        m,
        "saml_attributes_pointer",
        a.saml.saml_attributes_pointer,
        p.saml_attributes_pointer.map(Some)
    );
    take!(
        m,
        "saml_login_url",
        a.saml.saml_login_url,
        p.saml_login_url.map(Some)
    );
    take!(m, "saml_skew", a.saml.saml_skew, p.saml_skew.map(Some));
    take!(m, "saml_max_skew", a.saml.saml_max_skew, p.saml_max_skew);
    take!(m, "key_dir", a.saml.idp.key_dir, p.key_dir);
    take!(
        m,
        "saml_sp_metadata",
        a.saml.saml_sp_metadata,
        p.saml_sp_metadata.map(Some)
    );
    take!(
        m,
        "saml_sp_profile",
        a.saml.saml_sp_profile,
        p.saml_sp_profile.map(Some)
    );
    take!(m, "saml_rotation", a.saml.saml_rotation, p.saml_rotation);
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
    take!(m, "jobs", a.jobs, p.jobs);
    if a.jobs == 0 || a.jobs > 64 {
        return Err(Diagnostic::new(format!(
            "jobs = {} in the profile is out of range: between 1 and 64 scenarios play at once",
            a.jobs
        )));
    }
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
        name_prefix,
        partition,
        users,
        groups,
        members_per_group,
        concurrency,
        rate,
        member_batch
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
