//! Issue 17 against LocalStack: `airgapctl artifacts sync` copies images from a real OCI
//! registry (Debian's docker-registry, holding multi-platform test images pushed with
//! skopeo) into the emulator's ECR registry by digest; skopeo, an independent client,
//! reads what arrived. The emulator's ECR follows ECR's rules (docs/emulator-fidelity.md,
//! "ECR: the registry"): Basic auth with GetAuthorizationToken's password, immutable tags,
//! scans on push with findings from a fixture keyed by digest.

use airgap_testkit::cli::{Cli, Run};
use airgap_testkit::oci::{self, LocalRegistry};
use airgap_testkit::{Account, LocalStack};
use serde_json::{json, Value};

const SCALE: f64 = 0.01;

fn blueprint(env: &str, a: &Account) -> String {
    format!(
        "apiVersion: airgapctl.dev/v1alpha1\nkind: Environment\nmetadata:\n  name: {env}\n  \
         region: eu-central-1\naccounts:\n  main: {{ id: \"{}\", role: airgap-deployer }}\n\
         availabilityZones: 2\nhub:\n  account: main\n  inspectionVpc: {{ cidr: 100.64.0.0/22 }}\n\
         vpcs:\n  - name: workload\n    account: main\n    cidr: 10.10.0.0/16\n    \
         subnets: {{ controlPlane: 28, dataPlane: 22, endpoints: 26, transit: 28 }}\n    \
         endpoints:\n      gateway: [s3]\n      interface: [sts, ecr.api, ecr.dkr]\n\
         registries:\n  account: main\n  repositories: [mirror/app, mirror/tool, mirror/risky, charts/demo]\n",
        a.id()
    )
}

fn check(run: &Run, code: i32, what: &str) {
    run.check(code, what);
    eprintln!("{what}: {:.1} s", run.took.as_secs_f64());
}

/// The ECR registry's host, and `AWS:<password>` for skopeo.
async fn ecr_login(ls: &LocalStack, a: &Account) -> (String, String) {
    let ecr = aws_sdk_ecr::Client::new(&ls.sdk_config(a).await.unwrap());
    let out = ecr.get_authorization_token().send().await.unwrap();
    let data = &out.authorization_data()[0];
    let host = data.proxy_endpoint().unwrap().trim_start_matches("https://").to_string();
    let token = data.authorization_token().unwrap();
    let creds =
        String::from_utf8(aws_smithy_types::base64::decode(token).expect("the token is base64"))
            .unwrap();
    (host, creds)
}

/// LocalStack, a fresh account at [`SCALE`], and a CLI directory holding `bp.yaml` for an
/// environment named `<prefix><account digits>`.
async fn fixture(prefix: &str, name: &str) -> (LocalStack, Account, Cli) {
    let ls = LocalStack::connect().await.expect("LocalStack");
    let a = ls.account().await.expect("account");
    ls.set_time_scale(&a, SCALE).await.unwrap();
    let env = format!("{prefix}{}", &a.id()[..6]);
    let cli = Cli::new(env!("CARGO_BIN_EXE_airgapctl"), name, ls.endpoint())
        .env("AIRGAP_TIME_SCALE", &SCALE.to_string());
    cli.write("bp.yaml", &blueprint(&env, &a));
    (ls, a, cli)
}

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr))
}

/// `airgapctl artifacts ARGS --output json`, its exit code checked, and its report.
fn artifacts_json(cli: &Cli, args: &[&str], code: i32, what: &str) -> Value {
    let mut all = vec!["artifacts"];
    all.extend_from_slice(args);
    all.extend(["--output", "json"]);
    let run = cli.run(&all);
    check(&run, code, what);
    json_of(&run)
}

/// Another fresh account at [`SCALE`] with an environment of its own: its blueprint
/// `<name>.yaml`, and `<name>-artifacts.yaml`, the manifest of `artifacts.yaml` pointed
/// at it.
async fn another_environment(ls: &LocalStack, cli: &Cli, name: &str) -> (Account, String) {
    let a = ls.account().await.expect("account");
    ls.set_time_scale(&a, SCALE).await.unwrap();
    let env = format!("art{}", &a.id()[..6]);
    cli.write(&format!("{name}.yaml"), &blueprint(&env, &a));
    cli.write(
        &format!("{name}-artifacts.yaml"),
        &std::fs::read_to_string(cli.dir().join("artifacts.yaml"))
            .unwrap()
            .replace("bp.yaml", &format!("{name}.yaml")),
    );
    (a, env)
}

#[tokio::test(flavor = "multi_thread")]
async fn sync_copies_by_digest_is_idempotent_gates_and_replays_an_approved_lock() {
    let t0 = std::time::Instant::now();
    let ls = LocalStack::connect().await.expect("LocalStack");
    let a = ls.account().await.expect("account");
    eprintln!("account: {:.1} s", t0.elapsed().as_secs_f64());
    ls.set_time_scale(&a, SCALE).await.unwrap();
    let env = format!("art{}", &a.id()[..6]);
    let cli = Cli::new(env!("CARGO_BIN_EXE_airgapctl"), "artifacts", ls.endpoint())
        .env("AIRGAP_TIME_SCALE", &SCALE.to_string());
    cli.write("bp.yaml", &blueprint(&env, &a));

    // The source: a registry of our own with three images of two platforms each.
    let reg = LocalRegistry::start(&cli.dir().join("registry")).expect("docker-registry");
    let salt = a.id().to_string();
    let app = oci::build_image(cli.dir(), "1.0", &["linux/amd64", "linux/arm64"], &salt).unwrap();
    let tool = oci::build_image(
        cli.dir(),
        "2.1",
        &["linux/amd64", "linux/arm64"],
        &format!("{salt}-tool"),
    )
    .unwrap();
    let risky = oci::build_image(
        cli.dir(),
        "0.9",
        &["linux/amd64", "linux/arm64"],
        &format!("{salt}-risky"),
    )
    .unwrap();
    oci::push(&app, &format!("{}/demo/app:1.0", reg.host)).unwrap();
    oci::push(&tool, &format!("{}/demo/tool:2.1", reg.host)).unwrap();
    oci::push(&risky, &format!("{}/demo/risky:0.9", reg.host)).unwrap();
    eprintln!("source registry and images: {:.1} s", t0.elapsed().as_secs_f64());
    // A HIGH finding in risky's amd64 image, as ECR's basic scan would report it.
    ls.set_scan_findings(
        &risky.images[0].1,
        json!([{"name": "CVE-2026-0001", "severity": "HIGH", "uri": "https://example.invalid/CVE-2026-0001"}]),
    )
    .await
    .unwrap();

    let manifest = |with_risky: bool| {
        let mut m = format!(
            "apiVersion: airgapctl.dev/v1alpha1\nkind: Artifacts\nblueprint: bp.yaml\n\
             plainHttp: [\"{h}\"]\nimages:\n\
             \x20 - {{ source: \"{h}/demo/app:1.0\", repository: mirror/app }}\n\
             \x20 - {{ source: \"{h}/demo/tool:2.1\", repository: mirror/tool, platforms: [linux/arm64] }}\n",
            h = reg.host
        );
        if with_risky {
            m.push_str(&format!(
                "  - {{ source: \"{h}/demo/risky:0.9\", repository: mirror/risky }}\n",
                h = reg.host
            ));
        }
        m
    };
    cli.write("artifacts.yaml", &manifest(false));

    // First sync: everything copied, by digest; both pass the gate.
    let report = artifacts_json(&cli, &["sync", "-f", "artifacts.yaml"], 0, "first sync");
    let arts = report["artifacts"].as_array().unwrap();
    assert_eq!(arts.len(), 2, "{report}");
    let by_repo =
        |arts: &[Value], r: &str| arts.iter().find(|x| x["repository"] == r).unwrap().clone();
    let (app_r, tool_r) = (by_repo(arts, "mirror/app"), by_repo(arts, "mirror/tool"));
    // The index in ECR is the source's, byte for byte.
    assert_eq!(app_r["digest"], app.index_digest, "{app_r}");
    assert_eq!(app_r["sourceDigest"], app.index_digest);
    assert_eq!(app_r["gate"], "passed", "{app_r}");
    assert_eq!(app_r["scan"]["status"], "COMPLETE", "{app_r}");
    assert_eq!(app_r["images"].as_array().unwrap().len(), 2);
    assert!(app_r["bytesCopied"].as_u64().unwrap() >= app.blob_bytes, "{app_r}");
    // One platform of two: a new index of it, whose image is the source's.
    assert_ne!(tool_r["digest"], tool.index_digest);
    assert_eq!(tool_r["images"], json!([{"platform": "linux/arm64", "digest": tool.images[1].1}]));
    eprintln!(
        "first sync: {} bytes in {:.2} s",
        report["bytesCopied"],
        report["seconds"].as_f64().unwrap()
    );

    // skopeo reads the index from ECR under its tag: the same bytes, so the same digest.
    let (host, creds) = ecr_login(&ls, &a).await;
    let proxy = ls.endpoint().to_string();
    let raw =
        oci::inspect_raw(&format!("{host}/mirror/app:1.0"), Some(&creds), Some(&proxy)).unwrap();
    assert_eq!(oci::sha256(&raw), app.index_digest);
    let arm = oci::inspect_json(
        &format!("{host}/mirror/tool@{}", tool.images[1].1),
        Some(&creds),
        Some(&proxy),
    )
    .unwrap();
    assert_eq!(arm["layers"].as_array().unwrap().len(), 1, "{arm}");
    // The amd64 image of tool was left out.
    assert!(oci::inspect_raw(
        &format!("{host}/mirror/tool@{}", tool.images[0].1),
        Some(&creds),
        Some(&proxy)
    )
    .is_err());

    // Second sync: nothing to copy (HEAD first).
    let report2 = artifacts_json(&cli, &["sync", "-f", "artifacts.yaml"], 0, "second sync");
    for x in report2["artifacts"].as_array().unwrap() {
        assert_eq!(x["upToDate"], true, "{x}");
    }
    assert_eq!(report2["bytesCopied"], 0, "{report2}");
    eprintln!(
        "second sync: {} bytes in {:.2} s",
        report2["bytesCopied"],
        report2["seconds"].as_f64().unwrap()
    );

    // Third, with an image whose amd64 image has a HIGH finding: it fails the gate (exit
    // 1), and is not left where the nodes pull from.
    cli.write("artifacts.yaml", &manifest(true));
    let report3 = artifacts_json(
        &cli,
        &["sync", "-f", "artifacts.yaml"],
        1,
        "sync with an image over the threshold",
    );
    let risky_r = by_repo(report3["artifacts"].as_array().unwrap(), "mirror/risky");
    assert_eq!(risky_r["gate"], "failed", "{risky_r}");
    assert_eq!(risky_r["scan"]["findings"]["HIGH"], 1, "{risky_r}");
    let err = oci::inspect_raw(&format!("{host}/mirror/risky:0.9"), Some(&creds), Some(&proxy))
        .unwrap_err();
    assert!(err.detail.contains("manifest unknown"), "{err}");
    // At CRITICAL it passes.
    let fourth = cli.run(&["artifacts", "sync", "-f", "artifacts.yaml", "--fail-on", "CRITICAL"]);
    check(&fourth, 0, "the same at --fail-on CRITICAL");
    assert!(fourth.stdout.contains("3 passed, 0 failed"), "{}", fourth.stdout);
    // Back at HIGH, for the lock the next step approves.
    check(&cli.run(&["artifacts", "sync", "-f", "artifacts.yaml"]), 1, "again at HIGH");

    // The lock: what passed and what did not, by digest.
    let lock: Value = serde_json::from_str(
        &std::fs::read_to_string(cli.dir().join("artifacts.lock.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(lock["environment"], env.as_str());
    assert_eq!(lock["registry"], host.as_str());
    let gates: Vec<(String, String)> = lock["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (x["repository"].as_str().unwrap().to_string(), x["gate"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        gates,
        [("mirror/app", "passed"), ("mirror/tool", "passed"), ("mirror/risky", "failed")]
            .map(|(r, g)| (r.to_string(), g.to_string()))
    );

    // What is stored, with each image's last scan: app and tool (risky failed, deleted).
    let stored = artifacts_json(&cli, &["scan", "-f", "artifacts.yaml"], 0, "artifacts scan");
    let images = stored["images"].as_array().unwrap();
    let digests: std::collections::BTreeSet<&str> =
        images.iter().map(|i| i["digest"].as_str().unwrap()).collect();
    let expected: std::collections::BTreeSet<&str> = [
        app.index_digest.as_str(),
        app.images[0].1.as_str(),
        app.images[1].1.as_str(),
        tool_r["digest"].as_str().unwrap(),
        tool.images[1].1.as_str(),
    ]
    .into();
    assert_eq!(digests, expected, "{stored}");
    for i in
        images.iter().filter(|i| i["mediaType"] == "application/vnd.oci.image.manifest.v1+json")
    {
        assert_eq!(i["scanStatus"], "COMPLETE", "{i}");
    }
    // A vulnerability published since: a day later (ECR scans an image once a day), the
    // rescan finds it in app's amd64 image, and the exit code says so.
    ls.set_scan_findings(
        &app.images[0].1,
        json!([{"name": "CVE-2026-0002", "severity": "CRITICAL"}]),
    )
    .await
    .unwrap();
    ls.ecr_clock(&a, 25.0 * 3600.0).await.unwrap();
    let after = artifacts_json(
        &cli,
        &["scan", "-f", "artifacts.yaml", "--rescan"],
        1,
        "rescan with a new critical finding",
    );
    let hit = after["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["digest"] == app.images[0].1.as_str())
        .unwrap();
    assert_eq!(hit["findings"]["CRITICAL"], 1, "{hit}");
    assert_eq!(hit["overThreshold"], true, "{hit}");
    assert_eq!(after["overThreshold"], 1, "{after}");
    // Fixed upstream (the fixture is keyed by digest, for every account): the steps below
    // push app into other environments, whose scans on push would find it too.
    ls.set_scan_findings(&app.images[0].1, json!([])).await.unwrap();

    // The approved lock replays by digest into another environment's registry, even after
    // the source tag moved: the approved digest is what is copied.
    let (b, env_b) = another_environment(&ls, &cli, "prod").await;
    let moved =
        oci::build_image(cli.dir(), "1.0-moved", &["linux/amd64"], &format!("{salt}-moved"))
            .unwrap();
    oci::push(&moved, &format!("{}/demo/app:1.0", reg.host)).unwrap();
    let replay = cli.run(&[
        "artifacts",
        "sync",
        "-f",
        "prod-artifacts.yaml",
        "--approved",
        "artifacts.lock.json",
        "--env",
        &env_b,
        "--output",
        "json",
    ]);
    // The lock was written for the first environment: said so, nothing copied.
    check(&replay, 3, "an approved lock written for another environment");
    // The first lock (gate HIGH) approved app and tool, not risky.
    let mut approved: Value = lock.clone();
    approved["environment"] = json!(env_b);
    std::fs::write(cli.dir().join("approved.lock.json"), approved.to_string()).unwrap();
    let r = artifacts_json(
        &cli,
        &["sync", "-f", "prod-artifacts.yaml", "--approved", "approved.lock.json"],
        0,
        "approved replay",
    );
    let ra = r["artifacts"].as_array().unwrap();
    assert_eq!(ra.len(), 2, "risky was not approved: {r}");
    let app3 = ra.iter().find(|x| x["repository"] == "mirror/app").unwrap();
    assert_eq!(
        app3["digest"], app.index_digest,
        "the approved digest, not the moved tag's: {app3}"
    );
    let (host_b, creds_b) = ecr_login(&ls, &b).await;
    let raw = oci::inspect_raw(&format!("{host_b}/mirror/app:1.0"), Some(&creds_b), Some(&proxy))
        .unwrap();
    assert_eq!(oci::sha256(&raw), app.index_digest);

    // Across a physical gap: the approved artifacts exported to a tar (an OCI layout),
    // the source registry gone, then imported into a third environment from the disk.
    let exported = artifacts_json(
        &cli,
        &[
            "export",
            "-f",
            "prod-artifacts.yaml",
            "--approved",
            "approved.lock.json",
            "--to",
            "bundle.tar",
        ],
        0,
        "export",
    );
    assert_eq!(exported["artifacts"].as_array().unwrap().len(), 2, "{exported}");
    eprintln!(
        "export: {} bytes copied, bundle {} bytes, {:.2} s",
        exported["bytesCopied"],
        exported["bundleBytes"],
        exported["seconds"].as_f64().unwrap()
    );
    assert!(exported["bundleBytes"].as_u64().unwrap() > app.blob_bytes);
    drop(reg);
    let (c, env_c) = another_environment(&ls, &cli, "gap").await;
    approved["environment"] = json!(env_c);
    std::fs::write(cli.dir().join("gap.lock.json"), approved.to_string()).unwrap();
    let import = [
        "import",
        "-f",
        "gap-artifacts.yaml",
        "--from",
        "bundle.tar",
        "--approved",
        "gap.lock.json",
    ];
    let imported = artifacts_json(&cli, &import, 0, "import");
    let ia = imported["artifacts"].as_array().unwrap();
    assert_eq!(ia.len(), 2, "{imported}");
    assert_eq!(by_repo(ia, "mirror/app")["digest"], app.index_digest, "{imported}");
    assert_eq!(by_repo(ia, "mirror/tool")["digest"], tool_r["digest"], "{imported}");
    let (host_c, creds_c) = ecr_login(&ls, &c).await;
    let raw = oci::inspect_raw(&format!("{host_c}/mirror/app:1.0"), Some(&creds_c), Some(&proxy))
        .unwrap();
    assert_eq!(oci::sha256(&raw), app.index_digest);
    // Again: nothing to send.
    assert_eq!(artifacts_json(&cli, &import, 0, "import again")["bytesCopied"], 0);

    // The repositories the sync created carry the environment's tags: destroy removes them.
    for (bp, e) in [("bp.yaml", &env), ("prod.yaml", &env_b), ("gap.yaml", &env_c)] {
        check(&cli.run(&["destroy", "-f", bp, "--auto-approve"]), 0, &format!("destroy {e}"));
    }
    eprintln!("until destroyed: {:.1} s", t0.elapsed().as_secs_f64());
    for acct in [&a, &b, &c] {
        let ecr = aws_sdk_ecr::Client::new(&ls.sdk_config(acct).await.unwrap());
        let left = ecr.describe_repositories().send().await.unwrap();
        assert!(left.repositories().is_empty(), "{:?}", left.repositories());
    }
}

#[test]
fn a_bad_manifest_is_refused_at_its_line_before_any_call() {
    // No LocalStack: the endpoint is never called.
    let cli = Cli::new(env!("CARGO_BIN_EXE_airgapctl"), "artifacts-bad", "http://127.0.0.1:9");
    cli.write("bp.yaml", &blueprint("bad", &Account::new("111111111111").unwrap()));
    cli.write(
        "artifacts.yaml",
        "apiVersion: airgapctl.dev/v1alpha1\nkind: Artifacts\nblueprint: bp.yaml\nimages:\n\
         \x20 - { source: \"Nginx:1\", repository: mirror/app }\n\
         \x20 - { source: \"nginx:1\", repository: mirror/other, platforms: [linux] }\n",
    );
    let run = cli.run(&["artifacts", "sync", "-f", "artifacts.yaml"]);
    check(&run, 3, "bad manifest");
    assert!(run.stderr.contains("artifacts.yaml:5:"), "{}", run.stderr);
    assert!(run.stderr.contains("is not an image reference"), "{}", run.stderr);
    assert!(run.stderr.contains("is not a platform"), "{}", run.stderr);
    // The repository check needs a parsed manifest: with the references fixed, it is the
    // blueprint's repositories that are named.
    cli.write(
        "artifacts.yaml",
        "apiVersion: airgapctl.dev/v1alpha1\nkind: Artifacts\nblueprint: bp.yaml\nimages:\n\
         \x20 - { source: \"nginx:1\", repository: mirror/other }\n",
    );
    let run = cli.run(&["artifacts", "sync", "-f", "artifacts.yaml"]);
    check(&run, 3, "undeclared repository");
    assert!(run.stderr.contains("artifacts.yaml:5:"), "{}", run.stderr);
    assert!(run.stderr.contains("mirror/app"), "the fix names the declared ones: {}", run.stderr);
}

/// The layer digest and size of an image manifest stored in a test image's layout.
fn layer_of(image: &oci::TestImage, manifest_digest: &str) -> (String, u64) {
    let hex = manifest_digest.trim_start_matches("sha256:");
    let bytes = std::fs::read(image.layout.join("blobs/sha256").join(hex)).unwrap();
    let m: Value = serde_json::from_slice(&bytes).unwrap();
    (
        m["layers"][0]["digest"].as_str().unwrap().to_string(),
        m["layers"][0]["size"].as_u64().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_cut_off_mid_copy_resumes_with_what_is_missing() {
    let (ls, a, cli) = fixture("res", "artifacts-resume").await;
    let storage = cli.dir().join("registry");
    let reg = LocalRegistry::start(&storage).expect("docker-registry");
    let img = oci::build_image(cli.dir(), "3.0", &["linux/amd64", "linux/arm64"], a.id()).unwrap();
    oci::push(&img, &format!("{}/demo/app:3.0", reg.host)).unwrap();
    cli.write(
        "artifacts.yaml",
        &format!(
            "apiVersion: airgapctl.dev/v1alpha1\nkind: Artifacts\nblueprint: bp.yaml\n\
             plainHttp: [\"{h}\"]\nimages:\n  - {{ source: \"{h}/demo/app:3.0\", repository: mirror/app }}\n",
            h = reg.host
        ),
    );

    // The source loses the arm64 layer (its data file, in the distribution registry's
    // storage layout) while the copy runs: amd64 arrives whole, arm64 does not.
    let (layer, layer_size) = layer_of(&img, &img.images[1].1);
    let hex = layer.trim_start_matches("sha256:");
    let data =
        storage.join("data/docker/registry/v2/blobs/sha256").join(&hex[..2]).join(hex).join("data");
    let aside = data.with_extension("aside");
    std::fs::rename(&data, &aside).expect("the layer's data file in the registry's storage");
    let r = artifacts_json(
        &cli,
        &["sync", "-f", "artifacts.yaml"],
        1,
        "sync with the source cut off mid-copy",
    );
    let entry = &r["artifacts"][0];
    assert_eq!(entry["gate"], "failed", "{entry}");
    assert!(entry["error"].as_str().unwrap().contains(&layer[..19]), "{entry}");
    // No tag on a partial image: nodes cannot pull half of it.
    let (host, creds) = ecr_login(&ls, &a).await;
    let proxy = ls.endpoint().to_string();
    assert!(
        oci::inspect_raw(&format!("{host}/mirror/app:3.0"), Some(&creds), Some(&proxy)).is_err()
    );
    assert!(oci::inspect_raw(
        &format!("{host}/mirror/app@{}", img.images[0].1),
        Some(&creds),
        Some(&proxy)
    )
    .is_ok());

    // The source is whole again: the next run sends what is missing, and only that.
    std::fs::rename(&aside, &data).unwrap();
    let r = artifacts_json(&cli, &["sync", "-f", "artifacts.yaml"], 0, "resumed sync");
    let entry = &r["artifacts"][0];
    assert_eq!(entry["digest"], img.index_digest, "{entry}");
    let sent = entry["bytesCopied"].as_u64().unwrap();
    assert!(
        sent >= layer_size && sent < img.blob_bytes,
        "sent {sent} of {}: {entry}",
        img.blob_bytes
    );
    eprintln!("resumed: {sent} bytes of {} sent again", img.blob_bytes);
    let raw =
        oci::inspect_raw(&format!("{host}/mirror/app:3.0"), Some(&creds), Some(&proxy)).unwrap();
    assert_eq!(oci::sha256(&raw), img.index_digest);
    check(&cli.run(&["destroy", "-f", "bp.yaml", "--auto-approve"]), 0, "destroy");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_killed_mid_copy_resumes_with_what_is_missing() {
    let (ls, a, cli) = fixture("kil", "artifacts-kill").await;
    let reg = LocalRegistry::start(&cli.dir().join("registry")).expect("docker-registry");
    // Two platforms of 2 MiB of noise each, served at 1 MiB/s: a copy of 4 s or more.
    let img =
        oci::build_image_sized(cli.dir(), "4.0", &["linux/amd64", "linux/arm64"], a.id(), 2 << 20)
            .unwrap();
    oci::push(&img, &format!("{}/demo/big:4.0", reg.host)).unwrap();
    let slow = oci::slow_proxy(&reg.host, 1 << 20).await.unwrap();
    let manifest = |host: &str| {
        format!(
            "apiVersion: airgapctl.dev/v1alpha1\nkind: Artifacts\nblueprint: bp.yaml\n\
             plainHttp: [\"{host}\"]\nimages:\n  - {{ source: \"{host}/demo/big:4.0\", repository: mirror/app }}\n"
        )
    };
    cli.write("artifacts.yaml", &manifest(&slow));

    // Killed (SIGKILL: no cleanup of its own) once the first platform's image is in ECR,
    // while the second one's layer streams.
    let mut child = cli
        .command(&["artifacts", "sync", "-f", "artifacts.yaml"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (host, creds) = ecr_login(&ls, &a).await;
    let proxy = ls.endpoint().to_string();
    let first = format!("{host}/mirror/app@{}", img.images[0].1);
    let t0 = std::time::Instant::now();
    while oci::inspect_raw(&first, Some(&creds), Some(&proxy)).is_err() {
        assert!(child.try_wait().unwrap().is_none(), "the sync ended before it was killed");
        assert!(t0.elapsed().as_secs() < 60, "the first image never arrived");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    eprintln!("killed after {:.1} s", t0.elapsed().as_secs_f64());
    assert!(
        oci::inspect_raw(&format!("{host}/mirror/app:4.0"), Some(&creds), Some(&proxy)).is_err()
    );

    // From the registry at full speed: only what is missing goes.
    cli.write("artifacts.yaml", &manifest(&reg.host));
    let resumed =
        artifacts_json(&cli, &["sync", "-f", "artifacts.yaml"], 0, "resumed after the kill");
    let entry = &resumed["artifacts"][0];
    assert_eq!(entry["digest"], img.index_digest, "{entry}");
    let sent = entry["bytesCopied"].as_u64().unwrap();
    assert!(sent < img.blob_bytes * 3 / 4, "sent {sent} of {}: {entry}", img.blob_bytes);
    eprintln!("resumed: {sent} bytes of {} sent again", img.blob_bytes);
    let raw =
        oci::inspect_raw(&format!("{host}/mirror/app:4.0"), Some(&creds), Some(&proxy)).unwrap();
    assert_eq!(oci::sha256(&raw), img.index_digest);
    check(&cli.run(&["destroy", "-f", "bp.yaml", "--auto-approve"]), 0, "destroy");
}

#[tokio::test(flavor = "multi_thread")]
async fn charts_are_copied_as_oci_artifacts_and_not_gated_on_scans() {
    let (ls, a, cli) = fixture("chr", "artifacts-chart").await;
    let reg = LocalRegistry::start(&cli.dir().join("registry")).expect("docker-registry");
    let chart = oci::build_chart(cli.dir(), "demo", "0.1.0").unwrap();
    oci::push(&chart, &format!("{}/charts/demo:0.1.0", reg.host)).unwrap();
    cli.write(
        "artifacts.yaml",
        &format!(
            "apiVersion: airgapctl.dev/v1alpha1\nkind: Artifacts\nblueprint: bp.yaml\n\
             plainHttp: [\"{h}\"]\ncharts:\n  - {{ source: \"oci://{h}/charts/demo:0.1.0\", repository: charts/demo }}\n",
            h = reg.host
        ),
    );
    let synced = artifacts_json(&cli, &["sync", "-f", "artifacts.yaml"], 0, "sync of a chart");
    let entry = &synced["artifacts"][0];
    assert_eq!(entry["digest"], chart.index_digest, "{entry}");
    assert_eq!(entry["chart"], true, "{entry}");
    assert_eq!(entry["gate"], "passed", "{entry}");
    assert!(entry["scan"]["status"].as_str().unwrap().starts_with("NOT_SCANNED"), "{entry}");
    let (host, creds) = ecr_login(&ls, &a).await;
    let m =
        oci::inspect_json(&format!("{host}/charts/demo:0.1.0"), Some(&creds), Some(ls.endpoint()))
            .unwrap();
    assert_eq!(m["config"]["mediaType"], "application/vnd.cncf.helm.config.v1+json", "{m}");
    check(&cli.run(&["destroy", "-f", "bp.yaml", "--auto-approve"]), 0, "destroy");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_classic_repositorys_chart_is_pushed_as_helm_push_does_with_the_images_it_deploys() {
    let (ls, a, cli) = fixture("crp", "artifacts-chart-repo").await;
    let reg = LocalRegistry::start(&cli.dir().join("registry")).expect("docker-registry");
    let salt = format!("{}-crp", a.id());
    let app = oci::build_image(cli.dir(), "1.0", &["linux/amd64", "linux/arm64"], &salt).unwrap();
    let tool =
        oci::build_image(cli.dir(), "2.1", &["linux/amd64"], &format!("{salt}-tool")).unwrap();
    oci::push(&app, &format!("{}/demo/app:1.0", reg.host)).unwrap();
    oci::push(&tool, &format!("{}/demo/tool:2.1", reg.host)).unwrap();

    // A classic chart repository served over HTTP: the chart names app in its values
    // (registry, repository, tag) and tool in its Artifact Hub annotation; a second
    // version names an image the blueprint has no repository for.
    let repo_dir = cli.dir().join("chart-repo");
    std::fs::create_dir_all(&repo_dir).unwrap();
    let chart = oci::build_repo_chart(
        &repo_dir,
        "demo",
        "0.2.0+build.1",
        &format!(
            "annotations:\n  artifacthub.io/images: |\n    - name: tool\n      image: {}/demo/tool:2.1\n",
            reg.host
        ),
        &format!("image:\n  registry: \"{}\"\n  repository: demo/app\n  tag: \"1.0\"\n", reg.host),
    )
    .unwrap();
    let stray = oci::build_repo_chart(
        &repo_dir,
        "demo",
        "0.3.0",
        "",
        &format!("image: \"{}/demo/unknown:9\"\n", reg.host),
    )
    .unwrap();
    oci::write_chart_index(&repo_dir, &[&chart, &stray]).unwrap();
    let server = airgap_testkit::serve::StaticServer::start(&repo_dir).unwrap();
    let manifest = |version: &str| {
        format!(
            "apiVersion: airgapctl.dev/v1alpha1\nkind: Artifacts\nblueprint: bp.yaml\n\
             plainHttp: [\"{h}\"]\ncharts:\n  - repo: {u}/\n    chart: demo\n    version: \"{version}\"\n    repository: charts/demo\n",
            h = reg.host,
            u = server.url
        )
    };

    // An image without a declared repository: named, with the fix, before any copy.
    cli.write("artifacts.yaml", &manifest("0.3.0"));
    let run = cli.run(&["artifacts", "sync", "-f", "artifacts.yaml", "--with-chart-images"]);
    check(&run, 3, "a chart deploying an image with no repository");
    assert!(run.stderr.contains("demo/unknown:9"), "{}", run.stderr);
    assert!(run.stderr.contains("registries.repositories"), "{}", run.stderr);

    cli.write("artifacts.yaml", &manifest("0.2.0+build.1"));
    let args = ["sync", "-f", "artifacts.yaml", "--with-chart-images"];
    let first = artifacts_json(&cli, &args, 0, "sync of a classic chart with its images");
    let arts = first["artifacts"].as_array().unwrap();
    assert_eq!(arts.len(), 3, "the chart and its two images: {first}");
    let entry = arts.iter().find(|x| x["repository"] == "charts/demo").unwrap();
    // Helm's tag: + as _.
    assert_eq!(entry["tag"], "0.2.0_build.1", "{entry}");
    assert_eq!(entry["chart"], true, "{entry}");
    assert_eq!(entry["gate"], "passed", "{entry}");
    assert_eq!(entry["sourceDigest"], chart.digest.as_str(), "{entry}");
    assert_eq!(
        entry["chartRepo"],
        json!({"repo": server.url, "chart": "demo", "version": "0.2.0+build.1"}),
        "{entry}"
    );
    assert!(entry["source"].as_str().unwrap().ends_with("/demo-0.2.0+build.1.tgz"), "{entry}");
    let found: Vec<&str> = first["chartImages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["repository"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["mirror/tool", "mirror/app"], "{first}");
    eprintln!(
        "chart sync: {} bytes in {:.2} s",
        first["bytesCopied"],
        first["seconds"].as_f64().unwrap()
    );

    // skopeo reads helm push's form from ECR: the helm media types, the .tgz as the layer.
    let (host, creds) = ecr_login(&ls, &a).await;
    let proxy = ls.endpoint().to_string();
    let raw =
        oci::inspect_raw(&format!("{host}/charts/demo:0.2.0_build.1"), Some(&creds), Some(&proxy))
            .unwrap();
    assert_eq!(oci::sha256(&raw), entry["digest"].as_str().unwrap());
    let m: Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(m["config"]["mediaType"], "application/vnd.cncf.helm.config.v1+json", "{m}");
    assert_eq!(m["layers"].as_array().unwrap().len(), 1, "{m}");
    assert_eq!(m["layers"][0]["mediaType"], "application/vnd.cncf.helm.chart.content.v1.tar+gzip");
    assert_eq!(m["layers"][0]["digest"], chart.digest.as_str(), "{m}");
    assert_eq!(m["layers"][0]["size"], chart.size, "{m}");
    // The chart's images arrived, by digest.
    for (repo, tag, image) in [("mirror/app", "1.0", &app), ("mirror/tool", "2.1", &tool)] {
        let raw =
            oci::inspect_raw(&format!("{host}/{repo}:{tag}"), Some(&creds), Some(&proxy)).unwrap();
        assert_eq!(oci::sha256(&raw), image.index_digest, "{repo}");
    }

    // Again: the same artifact digest from the same .tgz, nothing sent.
    let second = artifacts_json(&cli, &args, 0, "second sync of the classic chart");
    assert_eq!(second["bytesCopied"], 0, "{second}");
    for x in second["artifacts"].as_array().unwrap() {
        assert_eq!(x["upToDate"], true, "{x}");
    }
    eprintln!(
        "chart sync again: {} bytes in {:.2} s",
        second["bytesCopied"],
        second["seconds"].as_f64().unwrap()
    );
    assert!(server.requests().iter().any(|r| r == "GET /index.yaml"), "{:?}", server.requests());

    // The lock approves the chart by its .tgz and artifact digests, and the chart's images
    // as images: replayed, the .tgz fetched again is checked against the approved one.
    let lock: Value = serde_json::from_str(
        &std::fs::read_to_string(cli.dir().join("artifacts.lock.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(lock["artifacts"].as_array().unwrap().len(), 3, "{lock}");
    let replay = artifacts_json(
        &cli,
        &["sync", "-f", "artifacts.yaml", "--approved", "artifacts.lock.json"],
        0,
        "approved replay of the classic chart",
    );
    let replayed = replay["artifacts"].as_array().unwrap();
    assert_eq!(replayed.len(), 3, "{replay}");
    let chart_again = replayed.iter().find(|x| x["repository"] == "charts/demo").unwrap();
    assert_eq!(chart_again["digest"], entry["digest"], "{chart_again}");
    assert_eq!(replay["bytesCopied"], 0, "{replay}");

    // Exported for a physical gap: the chart as the same artifact, with its images.
    let exported = artifacts_json(
        &cli,
        &["export", "-f", "artifacts.yaml", "--with-chart-images", "--to", "charts-bundle"],
        0,
        "export of the classic chart with its images",
    );
    assert_eq!(exported["artifacts"].as_array().unwrap().len(), 3, "{exported}");
    assert_eq!(exported["chartImages"].as_array().unwrap().len(), 2, "{exported}");
    let names = std::fs::read_to_string(cli.dir().join("charts-bundle/index.json")).unwrap();
    assert!(names.contains(entry["digest"].as_str().unwrap()), "{names}");
    check(&cli.run(&["destroy", "-f", "bp.yaml", "--auto-approve"]), 0, "destroy");
}

#[test]
fn a_bad_chart_repository_entry_is_refused_at_its_line_before_any_call() {
    let cli =
        Cli::new(env!("CARGO_BIN_EXE_airgapctl"), "artifacts-bad-chart", "http://127.0.0.1:9");
    cli.write("bp.yaml", &blueprint("bad", &Account::new("111111111111").unwrap()));
    cli.write(
        "artifacts.yaml",
        "apiVersion: airgapctl.dev/v1alpha1\nkind: Artifacts\nblueprint: bp.yaml\ncharts:\n\
         \x20 - repo: charts.example.com/stable\n    chart: demo\n    version: 1.0.0\n    repository: charts/demo\n\
         \x20 - repo: https://charts.example.com/stable\n    chart: demo\n    repository: charts/demo\n",
    );
    let run = cli.run(&["artifacts", "sync", "-f", "artifacts.yaml", "--with-chart-images"]);
    check(&run, 3, "bad chart repository entries");
    assert!(run.stderr.contains("artifacts.yaml:5:"), "{}", run.stderr);
    assert!(run.stderr.contains("is not a chart repository URL"), "{}", run.stderr);
    assert!(run.stderr.contains("helm repo add"), "the fix: {}", run.stderr);
    assert!(run.stderr.contains("artifacts.yaml:9:"), "{}", run.stderr);
    assert!(run.stderr.contains("has no `version`"), "{}", run.stderr);
}

/// `registries.quarantine` and `scanning: enhanced` together (issue 17): after `apply`
/// (which puts the repositories, quarantine ones included, in the registry's
/// CONTINUOUS_SCAN rule), a sync without an approved lock copies into
/// `quarantine/<repository>` only, where Inspector's scan (ACTIVE, enhanced findings)
/// gates it: the image with a HIGH finding is refused and removed from quarantine, the
/// clean one passes; nothing reaches the repositories nodes pull from until
/// `sync --approved` copies the approved digest there.
#[tokio::test(flavor = "multi_thread")]
async fn unapproved_images_stay_in_quarantine_under_enhanced_scanning() {
    let (ls, a, cli) = fixture("qua", "artifacts-quarantine").await;
    let env = format!("qua{}", &a.id()[..6]);
    let text = blueprint(&env, &a) + "  quarantine: quarantine\n  scanning: enhanced\n";
    cli.write("bp.yaml", &text);
    // No firewall in this blueprint: the plan-time verification is not this test's.
    let apply =
        cli.run_env(&["apply", "-f", "bp.yaml", "--auto-approve"], &[("AIRGAP_SKIP_VERIFY", "1")]);
    check(&apply, 0, "apply");

    let reg = LocalRegistry::start(&cli.dir().join("registry")).expect("docker-registry");
    let salt = format!("{}-quarantine", a.id());
    let app = oci::build_image(cli.dir(), "1.0", &["linux/amd64"], &salt).unwrap();
    let risky = oci::build_image(cli.dir(), "0.9", &["linux/amd64"], &format!("{salt}-r")).unwrap();
    oci::push(&app, &format!("{}/demo/app:1.0", reg.host)).unwrap();
    oci::push(&risky, &format!("{}/demo/risky:0.9", reg.host)).unwrap();
    ls.set_scan_findings(
        &risky.images[0].1,
        json!([{"name": "CVE-2026-0002", "severity": "HIGH"}]),
    )
    .await
    .unwrap();
    cli.write(
        "artifacts.yaml",
        &format!(
            "apiVersion: airgapctl.dev/v1alpha1\nkind: Artifacts\nblueprint: bp.yaml\n\
             plainHttp: [\"{h}\"]\nimages:\n\
             \x20 - {{ source: \"{h}/demo/app:1.0\", repository: mirror/app }}\n\
             \x20 - {{ source: \"{h}/demo/risky:0.9\", repository: mirror/risky }}\n",
            h = reg.host
        ),
    );

    let report = artifacts_json(&cli, &["sync", "-f", "artifacts.yaml"], 1, "quarantined sync");
    let arts = report["artifacts"].as_array().unwrap();
    let by_repo = |r: &str| arts.iter().find(|x| x["repository"] == r).unwrap().clone();
    let (app_r, risky_r) = (by_repo("mirror/app"), by_repo("mirror/risky"));
    assert_eq!(app_r["quarantine"], "quarantine/mirror/app", "{app_r}");
    assert_eq!(app_r["gate"], "passed", "{app_r}");
    assert_eq!(risky_r["gate"], "failed", "{risky_r}");
    assert_eq!(risky_r["scan"]["findings"], json!({"HIGH": 1}), "{risky_r}");

    let ecr = aws_sdk_ecr::Client::new(&ls.sdk_config(&a).await.unwrap());
    let digests = |repo: &'static str| {
        let ecr = ecr.clone();
        async move {
            let out = ecr.describe_images().repository_name(repo).send().await.unwrap();
            out.image_details()
                .iter()
                .filter_map(|d| d.image_digest().map(str::to_string))
                .collect::<Vec<_>>()
        }
    };
    // The index and its image.
    let quarantined = digests("quarantine/mirror/app").await;
    assert!(quarantined.contains(&app.index_digest), "{quarantined:?}");
    assert!(quarantined.contains(&app.images[0].1), "{quarantined:?}");
    assert!(digests("mirror/app").await.is_empty(), "nodes' repository untouched");
    let left = digests("quarantine/mirror/risky").await;
    assert!(!left.contains(&risky.index_digest), "the refused image left quarantine: {left:?}");
    // Inspector's verdict, read as ECR gives it.
    let scan = ecr
        .describe_image_scan_findings()
        .repository_name("quarantine/mirror/app")
        .image_id(
            aws_sdk_ecr::types::ImageIdentifier::builder().image_digest(&app.images[0].1).build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        scan.image_scan_status().and_then(|s| s.status()).map(|s| s.as_str()),
        Some("ACTIVE")
    );

    // The approved lock (the passed image) goes where nodes pull from, promoted from
    // quarantine: the source registry is stopped, so nothing can come from it.
    drop(reg);
    let lock = cli.dir().join("artifacts.lock.json");
    let lock = lock.to_str().unwrap();
    let report = artifacts_json(
        &cli,
        &["sync", "-f", "artifacts.yaml", "--approved", lock],
        0,
        "approved sync",
    );
    let approved = report["artifacts"].as_array().unwrap();
    assert_eq!(approved.len(), 1, "{report}");
    assert!(approved[0].get("quarantine").is_none(), "{report}");
    assert_eq!(approved[0]["promotedFrom"], "quarantine/mirror/app", "{report}");
    assert_eq!(approved[0]["digest"], app.index_digest, "{report}");
    // The source's digest, as the lock approved it, not the quarantine copy's.
    assert_eq!(approved[0]["sourceDigest"], app.index_digest, "{report}");
    let promoted = digests("mirror/app").await;
    assert!(promoted.contains(&app.index_digest) && promoted.contains(&app.images[0].1));
    // Without the registry's BLOB_MOUNTING setting ECR answers the mount with an upload
    // session: the blobs were pulled from quarantine and pushed.
    assert!(approved[0]["bytesCopied"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(approved[0]["blobsMounted"], 0, "{report}");

    // With it, the same quarantined digest promoted into another declared repository (a
    // lock naming mirror/tool) is mounted: no blob bytes sent.
    ecr.put_account_setting().name("BLOB_MOUNTING").value("ENABLED").send().await.unwrap();
    let mut relock: Value = serde_json::from_str(&std::fs::read_to_string(lock).unwrap()).unwrap();
    for e in relock["artifacts"].as_array_mut().unwrap() {
        e["repository"] = json!("mirror/tool");
    }
    cli.write("relock.json", &relock.to_string());
    let relock = cli.dir().join("relock.json");
    let report = artifacts_json(
        &cli,
        &["sync", "-f", "artifacts.yaml", "--approved", relock.to_str().unwrap()],
        0,
        "approved sync with blob mounting",
    );
    let mounted = &report["artifacts"][0];
    assert_eq!(mounted["promotedFrom"], "quarantine/mirror/app", "{report}");
    assert_eq!(mounted["bytesCopied"], 0, "{report}");
    assert!(mounted["blobsMounted"].as_u64().unwrap() >= 2, "layer and config: {report}");
    assert!(digests("mirror/tool").await.contains(&app.index_digest));
}

/// A source registry and a classic chart repository that want credentials (issue 17:
/// sources are not all public): an anonymous sync is refused by both and says so;
/// `--authfile` with a containers `auth.json` entry for each host copies the image and
/// the chart; a docker `config.json` naming a credential helper (`docker-credential-<name>
/// get`, the host on its stdin) serves the re-run, which copies nothing but still reads
/// both sources with the helper's password.
#[tokio::test(flavor = "multi_thread")]
async fn private_sources_are_read_with_the_users_registry_credentials() {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::Ordering;
    const PASSWORD: &str = "s3cret:with-colon";
    let (_ls, a, cli) = fixture("pvt", "artifacts-private").await;
    let reg = LocalRegistry::start(&cli.dir().join("registry")).expect("docker-registry");
    let app =
        oci::build_image(cli.dir(), "1.0", &["linux/amd64"], &format!("{}-pvt", a.id())).unwrap();
    oci::push(&app, &format!("{}/demo/app:1.0", reg.host)).unwrap();
    let private = oci::auth_proxy(&reg.host, "ci", PASSWORD).await.unwrap();
    let repo_dir = cli.dir().join("chart-repo");
    std::fs::create_dir_all(&repo_dir).unwrap();
    let chart = oci::build_repo_chart(&repo_dir, "demo", "0.2.0", "", "replicas: 1\n").unwrap();
    oci::write_chart_index(&repo_dir, &[&chart]).unwrap();
    let server = airgap_testkit::serve::StaticServer::start(&repo_dir).unwrap();
    let upstream = server.url.trim_start_matches("http://").trim_end_matches('/');
    let charts = oci::auth_proxy(upstream, "ci", PASSWORD).await.unwrap();
    cli.write(
        "artifacts.yaml",
        &format!(
            "apiVersion: airgapctl.dev/v1alpha1\nkind: Artifacts\nblueprint: bp.yaml\n\
             plainHttp: [\"{h}\"]\n\
             images:\n  - {{ source: \"{h}/demo/app:1.0\", repository: mirror/app }}\n\
             charts:\n  - {{ repo: \"http://{c}/\", chart: demo, version: 0.2.0, repository: charts/demo }}\n",
            h = private.host,
            c = charts.host,
        ),
    );
    let sync = ["artifacts", "sync", "-f", "artifacts.yaml", "--output", "json"];
    let entry = |r: &Value, repository: &str| -> Value {
        let arts = r["artifacts"].as_array().unwrap();
        arts.iter().find(|x| x["repository"] == repository).unwrap().clone()
    };

    let run = cli.run(&sync);
    check(&run, 1, "anonymous sync");
    let report = json_of(&run);
    let e = entry(&report, "mirror/app")["error"].to_string();
    assert!(e.contains(&private.host) && e.contains("Not authorized"), "{report}");
    let e = entry(&report, "charts/demo")["error"].to_string();
    assert!(e.contains(&charts.host) && e.contains("401"), "{report}");
    for repository in ["mirror/app", "charts/demo"] {
        let e = entry(&report, repository)["error"].to_string();
        assert!(e.contains("docker login") && e.contains("--authfile"), "the way out: {e}");
    }
    for p in [&private, &charts] {
        assert_eq!(p.authorized.load(Ordering::SeqCst), 0);
        assert!(p.refused.load(Ordering::SeqCst) > 0);
    }

    // One entry as `auth` (base64 of user:password), one as username and password under
    // a URL, as older docker versions wrote them.
    let token = aws_smithy_types::base64::encode(format!("ci:{PASSWORD}"));
    cli.write(
        "auth.json",
        &format!(
            r#"{{"auths": {{"{}": {{"auth": "{token}"}},
                "http://{}/": {{"username": "ci", "password": "{PASSWORD}"}}}}}}"#,
            private.host, charts.host
        ),
    );
    let with_file = ["sync", "-f", "artifacts.yaml", "--authfile", "auth.json"];
    let report = artifacts_json(&cli, &with_file, 0, "sync with --authfile");
    let image = entry(&report, "mirror/app");
    assert_eq!(image["digest"], app.index_digest, "{report}");
    assert!(image["bytesCopied"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(entry(&report, "charts/demo")["sourceDigest"], chart.digest, "{report}");
    let read = private.authorized.load(Ordering::SeqCst);
    let read_charts = charts.authorized.load(Ordering::SeqCst);
    assert!(read > 0 && read_charts > 0);

    let bin = cli.dir().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-airgaptest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread host\n\
             [ \"$host\" = \"{}\" ] || [ \"$host\" = \"{}\" ] || \
             {{ echo \"credentials not found in native keychain\"; exit 1; }}\n\
             echo '{{\"ServerURL\":\"'\"$host\"'\",\"Username\":\"ci\",\"Secret\":\"{PASSWORD}\"}}'\n",
            private.host, charts.host
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let docker = cli.dir().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    std::fs::write(
        docker.join("config.json"),
        format!(
            r#"{{"credHelpers": {{"{}": "airgaptest", "{}": "airgaptest"}}}}"#,
            private.host, charts.host
        ),
    )
    .unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let run =
        cli.run_env(&sync, &[("DOCKER_CONFIG", docker.to_str().unwrap()), ("PATH", path.as_str())]);
    check(&run, 0, "re-run with a credential helper");
    let report = json_of(&run);
    assert_eq!(report["bytesCopied"], 0, "{report}");
    assert!(private.authorized.load(Ordering::SeqCst) > read, "the re-run read the registry");
    assert!(charts.authorized.load(Ordering::SeqCst) > read_charts, "and the chart repository");
}
