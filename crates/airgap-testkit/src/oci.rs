//! OCI registries for the artifact tests: a real registry as the source (the
//! distribution project's, Debian's `docker-registry`), small multi-platform test images
//! built as OCI image layouts and pushed into it with skopeo, and skopeo again as the
//! independent client that reads what airgapctl copied.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

/// What the OCI helpers report when a tool fails.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {detail}")]
pub struct OciError {
    pub what: String,
    pub detail: String,
}

fn fail(what: impl Into<String>, detail: impl ToString) -> OciError {
    OciError { what: what.into(), detail: detail.to_string() }
}

/// `sha256:<hex>` of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let mut s = String::from("sha256:");
    for b in d.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// A `docker-registry` on a free loopback port, its storage in a directory of its own;
/// stopped when dropped.
pub struct LocalRegistry {
    /// `127.0.0.1:<port>`.
    pub host: String,
    child: Child,
}

impl LocalRegistry {
    /// Starts one with its storage under `dir`, and waits until it answers `/v2/`.
    pub fn start(dir: &Path) -> Result<LocalRegistry, OciError> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| fail("no free port", e))?
            .port();
        std::fs::create_dir_all(dir.join("data")).map_err(|e| fail("registry dir", e))?;
        let config = dir.join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.join("data").display()
            ),
        )
        .map_err(|e| fail("registry config", e))?;
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                fail("cannot run docker-registry (Debian package docker-registry; .ci/run installs it)", e)
            })?;
        let reg = LocalRegistry { host: format!("127.0.0.1:{port}"), child };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(reg);
            }
            if Instant::now() > deadline {
                return Err(fail("docker-registry", "did not listen within 20 s"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A test image built as an OCI layout: its index and per-platform manifests.
#[derive(Clone, Debug)]
pub struct TestImage {
    /// The layout directory.
    pub layout: PathBuf,
    /// The tag inside the layout.
    pub tag: String,
    pub index_digest: String,
    /// (platform, image manifest digest).
    pub images: Vec<(String, String)>,
    /// Bytes of all the blobs (configs and layers) of all the images.
    pub blob_bytes: u64,
}

/// Writes `bytes` as a blob of the layout; its descriptor's digest and size.
fn blob(layout: &Path, bytes: &[u8]) -> Result<(String, u64), OciError> {
    let digest = sha256(bytes);
    let path = layout.join("blobs/sha256").join(&digest["sha256:".len()..]);
    std::fs::write(&path, bytes).map_err(|e| fail("write blob", e))?;
    Ok((digest, bytes.len() as u64))
}

/// Builds an image for each of `platforms` (`os/arch`): one gzipped tar layer holding a
/// file that names the platform and `salt` (so each test's images are its own), a
/// config, a manifest; and an index of them, tagged `tag` in a layout under `dir`.
pub fn build_image(
    dir: &Path,
    tag: &str,
    platforms: &[&str],
    salt: &str,
) -> Result<TestImage, OciError> {
    build_image_sized(dir, tag, platforms, salt, 0)
}

/// [`build_image`] with `random` bytes of incompressible data in each layer, for copies
/// that take measurable time.
pub fn build_image_sized(
    dir: &Path,
    tag: &str,
    platforms: &[&str],
    salt: &str,
    random: usize,
) -> Result<TestImage, OciError> {
    let layout = dir.join(format!("layout-{tag}"));
    new_layout(&layout)?;
    let mut manifests = Vec::new();
    let mut images = Vec::new();
    let mut blob_bytes = 0;
    for p in platforms {
        let (os, arch) = p.split_once('/').ok_or_else(|| fail("platform", p))?;
        let root = dir.join(format!("rootfs-{tag}-{os}-{arch}"));
        std::fs::create_dir_all(root.join("etc")).map_err(|e| fail("rootfs", e))?;
        // Some kilobytes, so a copy is measurable; varied per platform and salt.
        let mut content = format!("{p} {salt}\n");
        for i in 0..2000 {
            content.push_str(&format!("{i:05} {salt} {p}\n"));
        }
        std::fs::write(root.join("etc/airgap-test"), content).map_err(|e| fail("rootfs", e))?;
        if random > 0 {
            let mut noise = vec![0u8; random];
            let mut f = std::fs::File::open("/dev/urandom").map_err(|e| fail("urandom", e))?;
            std::io::Read::read_exact(&mut f, &mut noise).map_err(|e| fail("urandom", e))?;
            std::fs::write(root.join("etc/noise"), noise).map_err(|e| fail("rootfs", e))?;
        }
        let tar = reproducible_tar(0, false, Path::new("-"), &root, "etc")?;
        let diff_id = sha256(&tar);
        // Through a file: a pipe both ways would deadlock once gzip's output fills its pipe.
        let tar_file = dir.join(format!("layer-{tag}-{os}-{arch}.tar"));
        std::fs::write(&tar_file, &tar).map_err(|e| fail("tar", e))?;
        let gz = Command::new("gzip")
            .args(["-n", "-c"])
            .arg(&tar_file)
            .output()
            .map_err(|e| fail("gzip", e))?;
        if !gz.status.success() {
            return Err(fail("gzip", String::from_utf8_lossy(&gz.stderr)));
        }
        let (layer_digest, layer_size) = blob(&layout, &gz.stdout)?;
        let config = json!({
            "architecture": arch,
            "os": os,
            "config": {"Cmd": ["/bin/true"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        });
        let (config_digest, config_size) = blob(&layout, config.to_string().as_bytes())?;
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": layer_size}],
        });
        let bytes = manifest.to_string().into_bytes();
        let (manifest_digest, manifest_size) = blob(&layout, &bytes)?;
        blob_bytes += layer_size + config_size;
        manifests.push(json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": manifest_digest,
            "size": manifest_size,
            "platform": {"os": os, "architecture": arch},
        }));
        images.push((p.to_string(), manifest_digest));
    }
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    });
    let (index_digest, index_size) = blob(&layout, index.to_string().as_bytes())?;
    write_top_index(
        &layout,
        "application/vnd.oci.image.index.v1+json",
        &index_digest,
        index_size,
        tag,
    )?;
    Ok(TestImage { layout, tag: tag.to_string(), index_digest, images, blob_bytes })
}

/// An empty OCI image layout at `layout`: its blob directory and `oci-layout` marker.
fn new_layout(layout: &Path) -> Result<(), OciError> {
    std::fs::create_dir_all(layout.join("blobs/sha256")).map_err(|e| fail("layout", e))?;
    std::fs::write(layout.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)
        .map_err(|e| fail("layout", e))
}

/// The layout's `index.json`: one descriptor, of `media_type`, named `tag`.
fn write_top_index(
    layout: &Path,
    media_type: &str,
    digest: &str,
    size: u64,
    tag: &str,
) -> Result<(), OciError> {
    let top = json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": media_type,
            "digest": digest,
            "size": size,
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    });
    std::fs::write(layout.join("index.json"), top.to_string()).map_err(|e| fail("layout", e))
}

/// `tar` of `dir/entry` made byte for byte the same on every run (sorted names, a fixed
/// mtime and owner), so the test artifacts' digests are stable; gzipped when `gzip`, to
/// the file `to`, or to the returned bytes when `to` is `-`.
fn reproducible_tar(
    mtime: u64,
    gzip: bool,
    to: &Path,
    dir: &Path,
    entry: &str,
) -> Result<Vec<u8>, OciError> {
    let out = Command::new("tar")
        .args(["--sort=name", &format!("--mtime=@{mtime}"), "--owner=0", "--group=0"])
        .args(["--numeric-owner", if gzip { "-czf" } else { "-cf" }])
        .arg(to)
        .arg("-C")
        .arg(dir)
        .arg(entry)
        .output()
        .map_err(|e| fail("tar", e))?;
    if !out.status.success() {
        return Err(fail("tar", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(out.stdout)
}

/// skopeo, with what every call here shares.
fn skopeo(args: &[&str], proxy: Option<&str>) -> Result<Vec<u8>, OciError> {
    let mut c = Command::new("skopeo");
    c.args(args).stdin(Stdio::null());
    // containers/image takes the proxy from the environment (Go's ProxyFromEnvironment).
    c.env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy");
    if let Some(p) = proxy {
        // With --tls-verify=false skopeo tries HTTPS first, then HTTP. The HTTPS attempt
        // goes to a closed port, refused at once (through the emulator it would wait 10 s
        // for a CONNECT it does not serve); the HTTP one through the emulator.
        c.env("HTTP_PROXY", p).env("HTTPS_PROXY", "http://127.0.0.1:1");
    }
    let out = c
        .output()
        .map_err(|e| fail("cannot run skopeo (Debian package skopeo; .ci/run installs it)", e))?;
    if !out.status.success() {
        return Err(fail(
            format!("skopeo {}", args.join(" ")),
            String::from_utf8_lossy(&out.stderr),
        ));
    }
    Ok(out.stdout)
}

/// Pushes a layout's index and every image into `dest` (`host/repo:tag`, plain HTTP), by
/// digest as built.
pub fn push(image: &TestImage, dest: &str) -> Result<(), OciError> {
    let src = format!("oci:{}:{}", image.layout.display(), image.tag);
    let dst = format!("docker://{dest}");
    skopeo(&["copy", "--all", "--preserve-digests", "--dest-tls-verify=false", &src, &dst], None)?;
    Ok(())
}

/// The manifest `reference` (`host/repo:tag` or `@digest`) names, as skopeo reads it:
/// its bytes. `creds` is `user:password`; `proxy` the HTTP proxy that reaches the host.
pub fn inspect_raw(
    reference: &str,
    creds: Option<&str>,
    proxy: Option<&str>,
) -> Result<Vec<u8>, OciError> {
    let r = format!("docker://{reference}");
    let mut args = vec!["inspect", "--raw", "--tls-verify=false"];
    if let Some(c) = creds {
        args.push("--creds");
        args.push(c);
    }
    args.push(&r);
    skopeo(&args, proxy)
}

/// The index a reference names, parsed.
pub fn inspect_json(
    reference: &str,
    creds: Option<&str>,
    proxy: Option<&str>,
) -> Result<Value, OciError> {
    let raw = inspect_raw(reference, creds, proxy)?;
    serde_json::from_slice(&raw).map_err(|e| fail("manifest JSON", e))
}

/// A TCP proxy in front of `upstream` (`host:port`) that sends the upstream's answers at
/// about `bytes_per_sec`: a slow source, so a copy can be stopped in the middle. Runs until
/// the runtime that started it ends.
pub async fn slow_proxy(upstream: &str, bytes_per_sec: u64) -> Result<String, OciError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener =
        tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| fail("proxy bind", e))?;
    let host = listener.local_addr().map_err(|e| fail("proxy addr", e))?.to_string();
    let upstream = upstream.to_string();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = upstream.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = tokio::spawn(async move {
                    let _ = tokio::io::copy(&mut cr, &mut sw).await;
                    let _ = sw.shutdown().await;
                });
                // 20 chunks a second.
                let mut buf = vec![0u8; (bytes_per_sec / 20).max(1) as usize];
                loop {
                    match sr.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if cw.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
                let _ = cw.shutdown().await;
                up.abort();
            });
        }
    });
    Ok(host)
}

/// A registry in front of `upstream` (`host:port`) that wants HTTP Basic credentials on
/// every request, as a private registry does: without them, or with others, it answers
/// 401 with a `Basic` challenge (distribution's htpasswd answer) and forwards nothing.
pub struct AuthProxy {
    /// `127.0.0.1:port`.
    pub host: String,
    /// Requests forwarded, with the right credentials.
    pub authorized: Arc<AtomicUsize>,
    /// Requests refused.
    pub refused: Arc<AtomicUsize>,
}

/// Starts an [`AuthProxy`]; it runs until the runtime that started it ends.
pub async fn auth_proxy(upstream: &str, user: &str, password: &str) -> Result<AuthProxy, OciError> {
    use base64::Engine;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener =
        tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| fail("proxy bind", e))?;
    let host = listener.local_addr().map_err(|e| fail("proxy addr", e))?.to_string();
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let expected = format!("Basic {token}");
    let (authorized, refused) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (ok_count, no_count) = (authorized.clone(), refused.clone());
    let upstream = upstream.to_string();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, expected) = (upstream.clone(), expected.clone());
            let (ok_count, no_count) = (ok_count.clone(), no_count.clone());
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                    return;
                };
                let (mut cr, cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let cw = Arc::new(tokio::sync::Mutex::new(cw));
                let down_w = cw.clone();
                let down = tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    while let Ok(n @ 1..) = sr.read(&mut buf).await {
                        if down_w.lock().await.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
                // Request by request (clients send the next one once answered): its head
                // read and checked, then it and its body forwarded, or refused.
                let mut pending: Vec<u8> = Vec::new();
                let mut buf = vec![0u8; 64 * 1024];
                'requests: loop {
                    let end = loop {
                        if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break 'requests,
                            Ok(n) => pending.extend_from_slice(&buf[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&pending[..end]).to_string();
                    // Header names are case-insensitive (RFC 9110 5.1), values not.
                    let header = |name: &str| {
                        head.lines().find_map(|l| {
                            let (n, v) = l.split_once(':')?;
                            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
                        })
                    };
                    let body: usize =
                        header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                    while pending.len() < end + body {
                        match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break 'requests,
                            Ok(n) => pending.extend_from_slice(&buf[..n]),
                        }
                    }
                    let request: Vec<u8> = pending.drain(..end + body).collect();
                    if header("authorization").as_deref() == Some(expected.as_str()) {
                        ok_count.fetch_add(1, Ordering::SeqCst);
                        if sw.write_all(&request).await.is_err() {
                            break;
                        }
                    } else {
                        no_count.fetch_add(1, Ordering::SeqCst);
                        let refusal = "HTTP/1.1 401 Unauthorized\r\n\
                             WWW-Authenticate: Basic realm=\"airgap-test\"\r\n\
                             Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
                        if cw.lock().await.write_all(refusal.as_bytes()).await.is_err() {
                            break;
                        }
                    }
                }
                let _ = sw.shutdown().await;
                down.abort();
            });
        }
    });
    Ok(AuthProxy { host, authorized, refused })
}

/// A Helm chart as an OCI artifact (Helm's `helm push` form: a config of media type
/// `application/vnd.cncf.helm.config.v1+json` and the chart's .tgz as the one layer), in
/// a layout under `dir`, tagged with its version. Its manifest digest is `index_digest`.
pub fn build_chart(dir: &Path, name: &str, version: &str) -> Result<TestImage, OciError> {
    let layout = dir.join(format!("chart-{name}-{version}"));
    new_layout(&layout)?;
    let src = dir.join(format!("chart-src-{name}-{version}"));
    std::fs::create_dir_all(src.join(name)).map_err(|e| fail("chart", e))?;
    std::fs::write(
        src.join(name).join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: {version}\n"),
    )
    .map_err(|e| fail("chart", e))?;
    let tgz = src.join("chart.tgz");
    reproducible_tar(0, true, &tgz, &src, name)?;
    let (layer, layer_size) = blob(&layout, &std::fs::read(&tgz).map_err(|e| fail("chart", e))?)?;
    let config = json!({"apiVersion": "v2", "name": name, "version": version});
    let (config_digest, config_size) = blob(&layout, config.to_string().as_bytes())?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": layer, "size": layer_size}],
    });
    let (digest, size) = blob(&layout, manifest.to_string().as_bytes())?;
    write_top_index(&layout, "application/vnd.oci.image.manifest.v1+json", &digest, size, version)?;
    Ok(TestImage {
        layout,
        tag: version.to_string(),
        index_digest: digest.clone(),
        images: vec![("chart".into(), digest)],
        blob_bytes: layer_size + config_size,
    })
}

/// A chart packaged as a classic chart repository serves it: `<name>-<version>.tgz`.
#[derive(Clone, Debug)]
pub struct RepoChart {
    pub name: String,
    pub version: String,
    /// The file, in the repository's directory.
    pub tgz: PathBuf,
    /// `sha256:<hex>` of the .tgz.
    pub digest: String,
    pub size: u64,
}

/// Packages a chart into `repo_dir` as `helm package` lays it out (`<name>/Chart.yaml`,
/// `<name>/values.yaml`, a template), with `chart_extra` appended to Chart.yaml (e.g. its
/// annotations) and `values` as values.yaml.
pub fn build_repo_chart(
    repo_dir: &Path,
    name: &str,
    version: &str,
    chart_extra: &str,
    values: &str,
) -> Result<RepoChart, OciError> {
    let src = repo_dir.join(format!(".src-{name}-{version}"));
    let root = src.join(name);
    std::fs::create_dir_all(root.join("templates")).map_err(|e| fail("chart", e))?;
    let write = |p: PathBuf, text: &str| std::fs::write(p, text).map_err(|e| fail("chart", e));
    write(
        root.join("Chart.yaml"),
        &format!(
            "apiVersion: v2\nname: {name}\nversion: {version}\nappVersion: \"1.0\"\n\
             description: A test chart\nhome: https://example.invalid/{name}\n{chart_extra}"
        ),
    )?;
    write(root.join("values.yaml"), values)?;
    write(
        root.join("templates/deployment.yaml"),
        "image: \"{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}\"\n",
    )?;
    let tgz = repo_dir.join(format!("{name}-{version}.tgz"));
    reproducible_tar(1_700_000_000, true, &tgz, &src, name)?;
    let bytes = std::fs::read(&tgz).map_err(|e| fail("chart", e))?;
    Ok(RepoChart {
        name: name.to_string(),
        version: version.to_string(),
        tgz,
        digest: sha256(&bytes),
        size: bytes.len() as u64,
    })
}

/// Writes `index.yaml` into `repo_dir` listing `charts` as `helm repo index` does: each
/// version under `entries.<name>`, its .tgz by a URL relative to the repository, its
/// `digest` the .tgz's sha256 hex.
pub fn write_chart_index(repo_dir: &Path, charts: &[&RepoChart]) -> Result<(), OciError> {
    let mut text = String::from("apiVersion: v1\nentries:\n");
    let mut names: Vec<&str> = charts.iter().map(|c| c.name.as_str()).collect();
    names.dedup();
    for name in names {
        text.push_str(&format!("  {name}:\n"));
        for c in charts.iter().filter(|c| c.name == name) {
            text.push_str(&format!(
                "  - apiVersion: v2\n    name: {name}\n    version: \"{}\"\n    created: \"2026-01-01T00:00:00Z\"\n    digest: {}\n    urls:\n    - {name}-{}.tgz\n",
                c.version,
                c.digest.trim_start_matches("sha256:"),
                c.version
            ));
        }
    }
    text.push_str("generated: \"2026-01-01T00:00:00Z\"\n");
    std::fs::write(repo_dir.join("index.yaml"), text).map_err(|e| fail("index.yaml", e))
}
