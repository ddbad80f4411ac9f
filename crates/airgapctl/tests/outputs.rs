//! `output`, `kubeconfig` and `show ADDR`: the real binary against the simulated cloud
//! (plans/hub-spoke.yaml, built in), before and after an apply. Their run against
//! LocalStack is in localstack/eks.rs, on a cluster a test there applies anyway.

use airgap_testkit::cli::{Cli, Run};
use serde_json::Value;

/// The simulated hub-spoke scenario, fast.
const SIM: &[&str] = &["--simulate", "--sim-time-scale", "0.0001"];

/// A runner in its own scratch directory; the endpoint is never called (`--simulate`).
fn cli(name: &str) -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_airgapctl"), &format!("outputs-{name}"), "http://127.0.0.1:9")
}

/// `airgapctl args --simulate ...`: what comes before the simulate flags stays a
/// positional (after `--simulate` it would be read as a scenario).
fn sim(cli: &Cli, args: &[&str]) -> Run {
    sim_env(cli, args, &[])
}

fn sim_env(cli: &Cli, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let all: Vec<&str> = args.iter().chain(SIM).copied().collect();
    cli.run_env(&all, envs)
}

fn applied(name: &str) -> Cli {
    let cli = cli(name);
    sim(&cli, &["apply", "--auto-approve"]).expect(0, "apply");
    cli
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn yaml(text: &str) -> Value {
    airgap_blueprint::yaml_to_json(text).expect("valid YAML").expect("a document")
}

#[test]
fn outputs_are_listed_and_one_is_printed_raw() {
    let cli = cli("list");
    // Nothing exists yet: the names are known, their values are not.
    let before = sim(&cli, &["output", "cluster.apps.endpoint"]).expect(1, "before apply");
    assert!(before.stderr.contains("cluster/apps does not exist"), "{}", before.stderr);
    assert!(before.stdout.is_empty(), "{}", before.stdout);
    let listed = sim(&cli, &["output"]).expect(0, "output before apply");
    assert!(listed.stdout.contains("vpc.workload.id"), "{}", listed.stdout);
    assert!(listed.stdout.contains("(not created)"), "{}", listed.stdout);

    sim(&cli, &["apply", "--auto-approve"]).expect(0, "apply");
    let text = sim(&cli, &["output"]).expect(0, "output").stdout;
    for name in [
        "cluster.apps.endpoint",
        "cluster.apps.ca",
        "cluster.apps.arn",
        "repository.mirror/nginx.arn",
        "vpc.workload.id",
        "vpc.workload.subnets.dataPlane",
        "vpc.inspection.subnets.firewall",
        "firewall.endpoint.eu-central-1a",
        "tgw.id",
    ] {
        assert!(text.lines().any(|l| l.starts_with(&format!("{name} "))), "{name}:\n{text}");
    }
    assert!(!text.contains("(not created)"), "{text}");

    let doc = json(&sim(&cli, &["output", "--output", "json"]).expect(0, "output json"));
    assert_eq!(doc["env"], "demo");
    let outputs = &doc["outputs"];
    let endpoint = outputs["cluster.apps.endpoint"].as_str().expect("an endpoint");
    assert!(endpoint.starts_with("https://"), "{endpoint}");
    let subnets = outputs["vpc.workload.subnets.dataPlane"].as_array().expect("a list");
    assert_eq!(subnets.len(), 2, "one per AZ: {subnets:?}");

    // One value, raw, for `$(airgapctl output ...)`; the same as the list's and as what
    // `show` says the cluster reports.
    let one = sim(&cli, &["output", "cluster.apps.endpoint"]).expect(0, "one output");
    assert_eq!(one.stdout, format!("{endpoint}\n"));
    let shown = json(&sim(&cli, &["show", "cluster/apps", "--output", "json"]).expect(0, "show"));
    assert_eq!(shown["outputs"]["endpoint"], endpoint);
    let ids = sim(&cli, &["output", "vpc.workload.subnets.dataPlane"]).expect(0, "a list");
    let want: Vec<&str> = subnets.iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(ids.stdout, format!("{}\n", want.join(",")));
    let one = sim(&cli, &["output", "vpc.workload.id", "--output", "json"]).expect(0, "json one");
    assert_eq!(json(&one), outputs["vpc.workload.id"]);

    // A typo: exit 3, nothing on stdout, the names it may have meant.
    let typo = sim(&cli, &["output", "cluster.apps.endpont"]).expect(3, "unknown name");
    assert!(typo.stdout.is_empty(), "{}", typo.stdout);
    assert!(typo.stderr.contains("no output named cluster.apps.endpont"), "{}", typo.stderr);
    assert!(typo.stderr.contains("did you mean cluster.apps.endpoint"), "{}", typo.stderr);
}

#[test]
fn show_addr_shows_one_resource() {
    let cli = applied("show");
    let vpc_id = sim(&cli, &["output", "vpc.workload.id"]).expect(0, "vpc id").stdout;
    let doc = json(&sim(&cli, &["show", "vpc/workload", "--output", "json"]).expect(0, "show"));
    assert_eq!(doc["id"], "vpc/workload");
    assert_eq!(doc["kind"], "vpc");
    assert_eq!(doc["scope"]["account"], "333333333333");
    assert_eq!(doc["scope"]["region"], "eu-central-1");
    assert_eq!(doc["declared"], true);
    assert_eq!(doc["physical_id"], vpc_id.trim_end());
    assert_eq!(doc["desired"]["cidr"], "10.10.0.0/16");
    assert_eq!(doc["observed"]["cidr"], "10.10.0.0/16");
    assert_eq!(doc["outputs"]["id"], vpc_id.trim_end());

    let text = sim(&cli, &["show", "cluster/apps"]).expect(0, "show text").stdout;
    assert!(text.starts_with("cluster/apps (eks-cluster)\n"), "{text}");
    for part in
        ["\nDesired\n", "\nObserved\n", "\nOutputs\n", "plan         none", "= \"hub-spoke-apps\""]
    {
        assert!(text.contains(part), "{part}:\n{text}");
    }

    let typo = sim(&cli, &["show", "vpc/workloads"]).expect(3, "unknown address");
    assert!(typo.stderr.contains("no resource vpc/workloads"), "{}", typo.stderr);
    assert!(typo.stderr.contains("did you mean vpc/workload"), "{}", typo.stderr);
    // Without an address, the list as before.
    let all = sim(&cli, &["show"]).expect(0, "show all").stdout;
    assert!(all.starts_with("Environment demo: "), "{all}");
}

/// The kubeconfig's one cluster, user and context, checked against the cluster's outputs.
fn check_kubeconfig(k: &Value, endpoint: &str, ca: &str, role: Option<&str>) {
    assert_eq!(k["apiVersion"], "v1");
    assert_eq!(k["kind"], "Config");
    let cluster = &k["clusters"][0];
    assert_eq!(cluster["name"], "hub-spoke-apps.eu-central-1.eksctl.io");
    assert_eq!(cluster["cluster"]["server"], endpoint);
    assert_eq!(cluster["cluster"]["certificate-authority-data"], ca);
    let context = &k["contexts"][0];
    assert_eq!(k["current-context"], context["name"]);
    assert_eq!(context["context"]["cluster"], cluster["name"]);
    assert_eq!(context["context"]["user"], k["users"][0]["name"]);
    assert!(
        context["name"].as_str().unwrap().ends_with("@hub-spoke-apps.eu-central-1.eksctl.io"),
        "{context}"
    );
    let exec = &k["users"][0]["user"]["exec"];
    assert_eq!(exec["apiVersion"], "client.authentication.k8s.io/v1beta1");
    assert_eq!(exec["command"], "aws");
    let args: Vec<&str> =
        exec["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    let mut want = vec![
        "eks",
        "get-token",
        "--output",
        "json",
        "--cluster-name",
        "hub-spoke-apps",
        "--region",
        "eu-central-1",
    ];
    want.extend(role.map(|r| ["--role-arn", r]).into_iter().flatten());
    assert_eq!(args, want);
    assert_eq!(exec["env"][0]["name"], "AWS_STS_REGIONAL_ENDPOINTS");
    assert_eq!(exec["env"][0]["value"], "regional");
}

#[test]
fn kubeconfig_is_printed_written_and_merged() {
    let cli = cli("kubeconfig");
    let missing = sim(&cli, &["kubeconfig", "--cluster", "apps"]).expect(1, "before apply");
    assert!(missing.stderr.contains("does not exist"), "{}", missing.stderr);
    sim(&cli, &["apply", "--auto-approve"]).expect(0, "apply");
    let endpoint = sim(&cli, &["output", "cluster.apps.endpoint"]).expect(0, "endpoint").stdout;
    let ca = sim(&cli, &["output", "cluster.apps.ca"]).expect(0, "ca").stdout;
    let (endpoint, ca) = (endpoint.trim_end(), ca.trim_end());

    // To stdout, as YAML; the only cluster needs no --cluster.
    let printed = sim(&cli, &["kubeconfig"]).expect(0, "kubeconfig").stdout;
    check_kubeconfig(&yaml(&printed), endpoint, ca, None);
    let role = "arn:aws:iam::333333333333:role/platform-admin";
    let with_role =
        sim(&cli, &["kubeconfig", "--cluster", "apps", "--role", role]).expect(0, "role");
    check_kubeconfig(&yaml(&with_role.stdout), endpoint, ca, Some(role));
    let as_json = sim(&cli, &["kubeconfig", "--output", "json"]).expect(0, "json");
    check_kubeconfig(&json(&as_json), endpoint, ca, None);

    // --write: a file of its own, for its owner alone.
    sim(&cli, &["kubeconfig", "--cluster", "apps", "--write", "apps.kubeconfig"])
        .expect(0, "write");
    let path = cli.dir().join("apps.kubeconfig");
    check_kubeconfig(&yaml(&std::fs::read_to_string(&path).unwrap()), endpoint, ca, None);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }

    // --merge into $KUBECONFIG, which knows another cluster: that one stays, ours is added
    // and current; merging again replaces ours rather than adding it twice.
    let other = "apiVersion: v1\nkind: Config\ncurrent-context: other\npreferences: {}\n\
                 clusters:\n- name: other\n  cluster:\n    server: https://other.example:6443\n\
                 contexts:\n- name: other\n  context: {cluster: other, user: other}\n\
                 users:\n- name: other\n  user: {token: secret-token}\n";
    cli.write("merged", other);
    let kubeconfig = cli.dir().join("merged");
    let env = [("KUBECONFIG", kubeconfig.to_str().unwrap())];
    for round in ["merge", "merge again"] {
        let run =
            sim_env(&cli, &["kubeconfig", "--cluster", "apps", "--merge"], &env).expect(0, round);
        assert!(run.stdout.contains("Merged the kubeconfig of cluster apps"), "{}", run.stdout);
        let k = yaml(&std::fs::read_to_string(&kubeconfig).unwrap());
        let names = |key: &str| -> Vec<String> {
            k[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            names("clusters"),
            ["other", "hub-spoke-apps.eu-central-1.eksctl.io"],
            "{round}"
        );
        assert_eq!(names("contexts").len(), 2, "{round}");
        assert_eq!(names("users").len(), 2, "{round}");
        assert_eq!(k["users"][0]["user"]["token"], "secret-token", "{round}");
        assert_eq!(k["clusters"][0]["cluster"]["server"], "https://other.example:6443");
        assert_eq!(k["current-context"], k["contexts"][1]["name"], "{round}");
        let ours = serde_json::json!({
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [k["clusters"][1]], "contexts": [k["contexts"][1]],
            "users": [k["users"][1]], "current-context": k["current-context"],
        });
        check_kubeconfig(&ours, endpoint, ca, None);
    }

    // A kubeconfig that is a link (to a dotfiles checkout) stays one; its target is merged.
    #[cfg(unix)]
    {
        let link = cli.dir().join("linked");
        std::os::unix::fs::symlink(&kubeconfig, &link).unwrap();
        let env = [("KUBECONFIG", link.to_str().unwrap())];
        sim_env(&cli, &["kubeconfig", "--merge"], &env).expect(0, "merge through a link");
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        let k = yaml(&std::fs::read_to_string(&kubeconfig).unwrap());
        assert_eq!(k["clusters"].as_array().unwrap().len(), 2, "{k}");
    }

    // Without KUBECONFIG: ~/.kube/config, made with its directory.
    let home = cli.dir().join("home");
    let env = [("HOME", home.to_str().unwrap())];
    sim_env(&cli, &["kubeconfig", "--merge"], &env).expect(0, "merge into ~/.kube/config");
    let made = std::fs::read_to_string(home.join(".kube/config")).unwrap();
    check_kubeconfig(&yaml(&made), endpoint, ca, None);

    // What is not a kubeconfig is left alone: exit 3.
    cli.write("broken", "clusters: [unclosed\n");
    let broken = cli.dir().join("broken");
    let env = [("KUBECONFIG", broken.to_str().unwrap())];
    let run = sim_env(&cli, &["kubeconfig", "--merge"], &env).expect(3, "broken kubeconfig");
    assert!(run.stderr.contains("cannot merge into"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), "clusters: [unclosed\n");

    // A cluster the blueprint does not declare: exit 3, naming those it does.
    let run = sim(&cli, &["kubeconfig", "--cluster", "app"]).expect(3, "unknown cluster");
    assert!(run.stderr.contains("declares no cluster app"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean apps"), "{}", run.stderr);
}
