//! Credentials for the registries and chart repositories artifacts are copied from, read
//! where skopeo, podman and docker keep them, so a `docker login` or `podman login` done
//! once serves `airgapctl artifacts` too.
//!
//! The files, first entry for the host wins (containers-auth.json(5), then docker's
//! `config.json`): `--authfile`; `$REGISTRY_AUTH_FILE`; `$XDG_RUNTIME_DIR/containers/auth.json`;
//! `$HOME/.config/containers/auth.json`; `$DOCKER_CONFIG/config.json`, or
//! `$HOME/.docker/config.json`. In each, `auths.<host>` holds `auth` (base64 of
//! `user:password`) or `username` and `password`; `credHelpers.<host>`, or `credsStore`
//! for every host, names a credential helper, `docker-credential-<name>`, asked with
//! `get` and the host on its standard input, as docker does (docker-credential-helpers'
//! protocol: it answers `{"Username": ..., "Secret": ...}`).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use base64::Engine;
use serde::Deserialize;

use crate::ArtifactError;

/// A user name and password (or token) for one host.
pub type Basic = (String, String);

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// The credential files found, in the order they are asked. Clones share what was
/// found per host.
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    files: Vec<(PathBuf, AuthFile)>,
    /// Where credential helpers are looked for; `None`: on `PATH`, as docker does.
    helper_dir: Option<PathBuf>,
    /// Each host's answer, once found: a helper is a process (docker-credential-ecr-login
    /// calls AWS), and a sync asks for every artifact and every chart repository GET.
    found: Arc<Mutex<BTreeMap<String, Option<Basic>>>>,
}

impl Credentials {
    /// No credentials: every registry is reached anonymously.
    pub fn none() -> Credentials {
        Credentials::default()
    }

    /// The files of the usual places that exist, after `authfile` (which must exist).
    pub fn discover(authfile: Option<&Path>) -> Result<Credentials, ArtifactError> {
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let home = env("HOME");
        let mut paths: Vec<PathBuf> = Vec::new();
        paths.extend(env("REGISTRY_AUTH_FILE"));
        paths.extend(env("XDG_RUNTIME_DIR").map(|d| d.join("containers/auth.json")));
        paths.extend(home.as_ref().map(|h| h.join(".config/containers/auth.json")));
        match env("DOCKER_CONFIG") {
            Some(d) => paths.push(d.join("config.json")),
            None => paths.extend(home.as_ref().map(|h| h.join(".docker/config.json"))),
        }
        let mut files = Vec::new();
        if let Some(p) = authfile {
            files.push((p.to_path_buf(), read(p)?));
        }
        for p in paths.into_iter().filter(|p| p.is_file()) {
            files.push((p.clone(), read(&p)?));
        }
        Ok(Credentials { files, ..Credentials::default() })
    }

    /// The credentials for `host` (`host[:port]`), or `None` to go anonymous.
    pub fn for_host(&self, host: &str) -> Result<Option<Basic>, ArtifactError> {
        let key = host.to_ascii_lowercase();
        if let Some(known) = self.found.lock().expect("not poisoned").get(&key) {
            return Ok(known.clone());
        }
        let answer = self.lookup(host)?;
        self.found.lock().expect("not poisoned").insert(key, answer.clone());
        Ok(answer)
    }

    fn lookup(&self, host: &str) -> Result<Option<Basic>, ArtifactError> {
        let wanted = aliases(host);
        for (path, file) in &self.files {
            let hit = |k: &String| wanted.contains(&normalize(k));
            if let Some((_, helper)) = file.cred_helpers.iter().find(|(k, _)| hit(k)) {
                return self.helper_get(helper, host).map(Some);
            }
            // An empty entry is docker's marker that its credential store holds the
            // secret (`docker login` with `credsStore` writes `{}`).
            let filled = |e: &AuthEntry| {
                e.auth.as_deref().is_some_and(|a| !a.is_empty())
                    || e.username.is_some()
                    || e.password.is_some()
            };
            if let Some((_, e)) = file.auths.iter().find(|(k, e)| hit(k) && filled(e)) {
                return entry(path, host, e).map(Some);
            }
            if let Some(store) = &file.creds_store {
                // A store without this host's credentials: anonymous, as docker goes.
                if let Ok(found) = self.helper_get(store, host) {
                    return Ok(Some(found));
                }
            }
        }
        Ok(None)
    }

    /// `docker-credential-<name> get`, the host on its standard input.
    fn helper_get(&self, name: &str, host: &str) -> Result<Basic, ArtifactError> {
        let program = format!("docker-credential-{name}");
        let path = match &self.helper_dir {
            Some(d) => d.join(&program),
            None => PathBuf::from(&program),
        };
        let err = |message: String| ArtifactError::Credentials { path: program.clone(), message };
        let mut child = Command::new(&path)
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| err(format!("cannot run it: {e}")))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(host.as_bytes()).map_err(|e| err(e.to_string()))?;
        }
        let out = child.wait_with_output().map_err(|e| err(e.to_string()))?;
        if !out.status.success() {
            let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
            return Err(err(format!("no credentials for {host}: {said}")));
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Answer {
            username: String,
            secret: String,
        }
        let a: Answer = serde_json::from_slice(&out.stdout)
            .map_err(|e| err(format!("an answer that is not its protocol's JSON: {e}")))?;
        Ok((a.username, a.secret))
    }
}

fn read(path: &Path) -> Result<AuthFile, ArtifactError> {
    let err =
        |message: String| ArtifactError::Credentials { path: path.display().to_string(), message };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    serde_json::from_str(&text)
        .map_err(|e| err(format!("not a docker or containers auth file: {e}")))
}

/// An `auths` key as a host: docker writes Docker Hub as `https://index.docker.io/v1/`,
/// other tools a bare `host[:port]` or with a scheme or path.
fn normalize(key: &str) -> String {
    let k = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
    k.split('/').next().unwrap_or(k).to_ascii_lowercase()
}

/// The names one registry goes by: Docker Hub's three.
fn aliases(host: &str) -> Vec<String> {
    const HUB: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];
    let h = host.to_ascii_lowercase();
    if HUB.contains(&h.as_str()) {
        HUB.iter().map(|s| s.to_string()).collect()
    } else {
        vec![h]
    }
}

fn entry(path: &Path, host: &str, e: &AuthEntry) -> Result<Basic, ArtifactError> {
    let err = |message: &str| ArtifactError::Credentials {
        path: path.display().to_string(),
        message: format!("{host}: {message}"),
    };
    if let Some(a) = &e.auth {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(a.trim())
            .map_err(|_| err("`auth` is not base64"))?;
        let text = String::from_utf8(raw).map_err(|_| err("`auth` is not UTF-8"))?;
        let (u, p) = text.split_once(':').ok_or_else(|| err("`auth` is not user:password"))?;
        return Ok((u.to_string(), p.to_string()));
    }
    match (&e.username, &e.password) {
        (Some(u), Some(p)) => Ok((u.clone(), p.clone())),
        _ => Err(err("the entry has neither `auth` nor `username` and `password`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(json: &str) -> Credentials {
        let file = serde_json::from_str(json).unwrap();
        Credentials { files: vec![(PathBuf::from("auth.json"), file)], ..Credentials::default() }
    }

    #[test]
    fn auth_and_username_entries_by_host() {
        let c = creds(
            r#"{"auths": {
                "https://index.docker.io/v1/": {"auth": "dXNlcjpwYTpzcw=="},
                "registry.example.com:5000": {"username": "ci", "password": "tok"}
            }}"#,
        );
        // The password keeps its colon: only the first one separates.
        let hub = Some(("user".to_string(), "pa:ss".to_string()));
        assert_eq!(c.for_host("docker.io").unwrap(), hub);
        assert_eq!(c.for_host("registry-1.docker.io").unwrap(), hub);
        assert_eq!(
            c.for_host("Registry.Example.com:5000").unwrap(),
            Some(("ci".to_string(), "tok".to_string()))
        );
        assert_eq!(c.for_host("registry.example.com").unwrap(), None, "another port");
        assert_eq!(c.for_host("ghcr.io").unwrap(), None);
        assert_eq!(Credentials::none().for_host("ghcr.io").unwrap(), None);
    }

    #[test]
    fn a_broken_entry_names_its_file_and_host() {
        let c = creds(r#"{"auths": {"quay.io": {"auth": "not base64!"}}}"#);
        let e = c.for_host("quay.io").unwrap_err().to_string();
        assert!(e.contains("auth.json") && e.contains("quay.io") && e.contains("base64"), "{e}");
        let c = creds(r#"{"auths": {"quay.io": {"username": "u"}}}"#);
        let e = c.for_host("quay.io").unwrap_err().to_string();
        assert!(e.contains("neither"), "{e}");
        // docker's marker for a credential store, with no store to ask: anonymous.
        let c = creds(r#"{"auths": {"quay.io": {}}}"#);
        assert_eq!(c.for_host("quay.io").unwrap(), None);
    }

    /// Docker Desktop's form: `auths` holds empty markers, `credsStore` the secrets; a
    /// host the store does not know is reached anonymously.
    #[test]
    fn a_credential_store_answers_for_the_hosts_it_knows() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("airgap-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let helper = dir.join("docker-credential-airgapteststore");
        let calls = dir.join("calls");
        std::fs::write(
            &helper,
            format!(
                "#!/bin/sh\nread host\necho \"$host\" >> {}\n\
                 [ \"$host\" = registry.example.com ] || exit 1\n\
                 echo '{{\"Username\":\"<token>\",\"Secret\":\"t0k\"}}'\n",
                calls.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        let c = Credentials {
            helper_dir: Some(dir.clone()),
            ..creds(r#"{"auths": {"registry.example.com": {}}, "credsStore": "airgapteststore"}"#)
        };
        let found = c.for_host("registry.example.com").unwrap();
        assert_eq!(found, Some(("<token>".into(), "t0k".into())));
        assert_eq!(c.for_host("quay.io").unwrap(), None);
        // Asked once per host, whoever asks again (a clone too: the chart repositories'
        // client holds one).
        assert_eq!(c.clone().for_host("Registry.Example.com").unwrap(), found);
        assert_eq!(c.for_host("quay.io").unwrap(), None);
        let asked = std::fs::read_to_string(&calls).unwrap();
        assert_eq!(asked, "registry.example.com\nquay.io\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_helper_is_an_error_for_its_host_only() {
        let c = creds(r#"{"credHelpers": {"gcr.io": "airgapctl-test-absent"}}"#);
        let e = c.for_host("gcr.io").unwrap_err().to_string();
        assert!(e.contains("docker-credential-airgapctl-test-absent"), "{e}");
        assert_eq!(c.for_host("quay.io").unwrap(), None);
    }

    #[test]
    fn the_first_file_with_the_host_wins_and_a_named_file_must_exist() {
        let dir = std::env::temp_dir().join(format!("airgap-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let named = dir.join("named.json");
        std::fs::write(&named, r#"{"auths": {"h:1": {"username": "a", "password": "b"}}}"#)
            .unwrap();
        let c = Credentials::discover(Some(&named)).unwrap();
        assert_eq!(c.for_host("h:1").unwrap(), Some(("a".into(), "b".into())));
        let e = Credentials::discover(Some(&dir.join("absent.json"))).unwrap_err().to_string();
        assert!(e.contains("absent.json"), "{e}");
        std::fs::write(&named, "{ not json").unwrap();
        let e = Credentials::discover(Some(&named)).unwrap_err().to_string();
        assert!(e.contains("not a docker or containers auth file"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
