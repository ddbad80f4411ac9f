//! Private EKS against LocalStack: the real binary applies a single-account blueprint
//! with a cluster (time scale 0.01, so every wait on CREATING/UPDATING/DELETING is
//! exercised), then SDK calls check what was built; a version bump and a scaling change
//! plan and apply in place; a blueprint whose VPC lacks ecr.dkr is refused before any
//! AWS call; destroy leaves nothing tagged. Each test uses a fresh account.

use airgap_testkit::cli::{Cli, Run};
use airgap_testkit::{Account, LocalStack};

type TestResult = Result<(), Box<dyn std::error::Error>>;
type Error = Box<dyn std::error::Error>;

const ENV: &str = "eks";
const CLUSTER: &str = "eks-apps";
const SCALE: &str = "0.01";
const ADMIN_POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
const ALL_ENDPOINTS: &str = "[ecr.api, ecr.dkr, sts, ec2, logs, eks-auth]";
/// The scaling of a node group that is not what a test is about.
const ONE_NODE: &str = "{ min: 1, desired: 1, max: 2 }";

fn blueprint(account: &str, version: &str, scaling: &str, interface: &str) -> String {
    format!(
        r#"apiVersion: airgapctl.dev/v1alpha1
kind: Environment
metadata:
  name: {ENV}
  region: eu-central-1
accounts:
  main: {{ id: "{account}", role: airgap-deployer }}
availabilityZones: 2
hub:
  account: main
  inspectionVpc: {{ cidr: 100.64.0.0/22 }}
vpcs:
  - name: workload
    account: main
    cidr: 10.10.0.0/16
    subnets: {{ controlPlane: 28, dataPlane: 20, endpoints: 24, transit: 28 }}
    endpoints:
      gateway: [s3]
      interface: {interface}
clusters:
  - name: apps
    vpc: workload
    version: "{version}"
    apiAccessCidrs: [10.200.0.0/16]
    secretsEncryption: true
    logging: [api, audit]
    admins: [arn:aws:iam::{account}:role/platform-admin]
    addons: [vpc-cni, kube-proxy, coredns, eks-pod-identity-agent]
    nodegroups:
      - name: general
        instanceTypes: [m6i.large]
        scaling: {scaling}
        amiType: AL2023_x86_64_STANDARD
        labels: {{ tier: general }}
        taints: [{{ key: dedicated, value: general, effect: NO_SCHEDULE }}]
"#
    )
}

/// The real binary in a scratch directory of this file's tests, talking to `endpoint`. Apply's plan-time
/// verification is off: these blueprints are minimal on purpose (no firewall, no endpoint
/// policies), and the air gap is not what they test.
fn cli(name: &str, endpoint: &str) -> Cli {
    Cli::new(env!("CARGO_BIN_EXE_airgapctl"), &format!("eks-{name}"), endpoint)
        .env("AIRGAP_SKIP_VERIFY", "1")
}

fn apply_args(file: &str) -> Vec<&str> {
    vec!["apply", "-f", file, "--time-scale", SCALE, "--auto-approve"]
}

/// LocalStack, a fresh account at this file's time scale, its SDK configuration, and
/// the binary in the scratch directory of the test `name`.
async fn fixture(name: &str) -> Result<(LocalStack, Account, aws_types::SdkConfig, Cli), Error> {
    let ls = LocalStack::connect().await?;
    let account = ls.account().await?;
    ls.set_time_scale(&account, 0.01).await?;
    let conf = ls.sdk_config(&account).await?;
    let cli = cli(name, ls.endpoint());
    Ok((ls, account, conf, cli))
}

/// Writes `text` as bp.yaml and applies it, which must succeed.
fn apply(cli: &Cli, text: &str) -> Run {
    cli.write("bp.yaml", text);
    cli.run(&apply_args("bp.yaml")).expect(0, "airgapctl")
}

/// A plan of bp.yaml has nothing to do: what was applied converged.
fn converged(cli: &Cli) {
    cli.run(&["plan", "-f", "bp.yaml", "--detailed-exitcode"]).expect(0, "airgapctl");
}

/// The environment's cluster, as EKS describes it.
async fn cluster(eks: &aws_sdk_eks::Client) -> Result<aws_sdk_eks::types::Cluster, Error> {
    Ok(eks.describe_cluster().name(CLUSTER).send().await?.cluster.ok_or("no cluster")?)
}

/// The cluster's node group `general`, as EKS describes it.
async fn general(eks: &aws_sdk_eks::Client) -> Result<aws_sdk_eks::types::Nodegroup, Error> {
    let ng = eks.describe_nodegroup().cluster_name(CLUSTER).nodegroup_name("general");
    Ok(ng.send().await?.nodegroup.ok_or("no node group")?)
}

/// The cluster's add-on `name`, as EKS describes it.
async fn the_addon(
    eks: &aws_sdk_eks::Client,
    name: &str,
) -> Result<aws_sdk_eks::types::Addon, Error> {
    let ad = eks.describe_addon().cluster_name(CLUSTER).addon_name(name);
    Ok(ad.send().await?.addon.ok_or("no add-on")?)
}

fn tag_filter(key: &str, value: &str) -> aws_sdk_ec2::types::Filter {
    aws_sdk_ec2::types::Filter::builder().name(format!("tag:{key}")).values(value).build()
}

/// The EC2 ids of the subnets whose node ids start with `prefix`, sorted.
async fn subnets(ec2: &aws_sdk_ec2::Client, prefix: &str) -> Result<Vec<String>, Error> {
    let out = ec2.describe_subnets().filters(tag_filter("airgap:env", ENV)).send().await?;
    let mut ids: Vec<String> = out
        .subnets()
        .iter()
        .filter(|s| {
            s.tags().iter().any(|t| {
                t.key() == Some("airgap:id") && t.value().is_some_and(|v| v.starts_with(prefix))
            })
        })
        .filter_map(|s| s.subnet_id().map(str::to_string))
        .collect();
    ids.sort();
    Ok(ids)
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// The version EKS installs by default for `addon` on Kubernetes `k8s`, as
/// DescribeAddonVersions publishes it (the `defaultVersion` compatibility): what an add-on
/// declared without a version must run.
async fn default_addon_version(
    eks: &aws_sdk_eks::Client,
    addon: &str,
    k8s: &str,
) -> Result<String, Error> {
    let out =
        eks.describe_addon_versions().addon_name(addon).kubernetes_version(k8s).send().await?;
    let default = out
        .addons()
        .iter()
        .flat_map(|a| a.addon_versions())
        .find(|v| {
            v.compatibilities()
                .iter()
                .any(|c| c.default_version() && c.cluster_version() == Some(k8s))
        })
        .and_then(|v| v.addon_version())
        .ok_or_else(|| format!("no default version of {addon} for {k8s}"))?;
    Ok(default.to_string())
}

/// (created at, type) of every update of a cluster, node group or add-on.
async fn updates(
    eks: &aws_sdk_eks::Client,
    nodegroup: Option<&str>,
    addon: Option<&str>,
) -> Result<Vec<(f64, String)>, Error> {
    let ids = eks
        .list_updates()
        .name(CLUSTER)
        .set_nodegroup_name(nodegroup.map(str::to_string))
        .set_addon_name(addon.map(str::to_string))
        .send()
        .await?;
    let mut out = Vec::new();
    for id in ids.update_ids() {
        let u = eks
            .describe_update()
            .name(CLUSTER)
            .update_id(id)
            .set_nodegroup_name(nodegroup.map(str::to_string))
            .set_addon_name(addon.map(str::to_string))
            .send()
            .await?
            .update
            .ok_or("no update")?;
        out.push((
            u.created_at().ok_or("no createdAt")?.as_secs_f64(),
            u.r#type().map_or("", |t| t.as_str()).to_string(),
        ));
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(out)
}

/// What was built, checked with SDK calls.
async fn check_built(conf: &aws_types::SdkConfig, account: &str) -> TestResult {
    let eks = aws_sdk_eks::Client::new(conf);
    let ec2 = aws_sdk_ec2::Client::new(conf);
    let iam = aws_sdk_iam::Client::new(conf);
    let kms = aws_sdk_kms::Client::new(conf);

    let cl = cluster(&eks).await?;
    assert_eq!(cl.status().map(|s| s.as_str()), Some("ACTIVE"));
    assert_eq!(cl.version(), Some("1.31"));
    let tags = cl.tags().ok_or("cluster without tags")?;
    assert_eq!(tags.get("airgap:env").map(String::as_str), Some(ENV));
    assert_eq!(tags.get("airgap:id").map(String::as_str), Some("cluster/apps"));

    // Endpoint: private only, in the control-plane subnets, behind the API group.
    let vpc = cl.resources_vpc_config().ok_or("no VPC config")?;
    assert!(vpc.endpoint_private_access(), "private endpoint off");
    assert!(!vpc.endpoint_public_access(), "public endpoint on");
    let cp = subnets(&ec2, "vpc/workload/subnet/controlPlane/").await?;
    assert_eq!(cp.len(), 2);
    assert_eq!(sorted(vpc.subnet_ids()), cp);
    let [sg] = vpc.security_group_ids() else {
        panic!("one security group expected: {:?}", vpc.security_group_ids());
    };
    let groups = ec2.describe_security_groups().group_ids(sg).send().await?;
    let group = &groups.security_groups()[0];
    assert!(group
        .tags()
        .iter()
        .any(|t| t.key() == Some("airgap:id") && t.value() == Some("cluster/apps/sg")));
    let rules: Vec<(String, i32, i32, Vec<String>)> = group
        .ip_permissions()
        .iter()
        .map(|p| {
            (
                p.ip_protocol().unwrap_or_default().to_string(),
                p.from_port().unwrap_or(-1),
                p.to_port().unwrap_or(-1),
                p.ip_ranges().iter().filter_map(|r| r.cidr_ip().map(str::to_string)).collect(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [("tcp".to_string(), 443, 443, vec!["10.200.0.0/16".to_string()])],
        "the API group allows 443 from apiAccessCidrs only"
    );

    // Logging, authentication, secrets encryption with the env's key.
    let mut logs: Vec<&str> = cl
        .logging()
        .ok_or("no logging")?
        .cluster_logging()
        .iter()
        .filter(|s| s.enabled() == Some(true))
        .flat_map(|s| s.types().iter().map(|t| t.as_str()))
        .collect();
    logs.sort();
    assert_eq!(logs, ["api", "audit"]);
    assert_eq!(
        cl.access_config().and_then(|a| a.authentication_mode()).map(|m| m.as_str()),
        Some("API")
    );
    let key_arn = cl.encryption_config()[0]
        .provider()
        .and_then(|p| p.key_arn())
        .ok_or("no secrets key")?
        .to_string();
    let key = kms.describe_key().key_id(&key_arn).send().await?.key_metadata.ok_or("no key")?;
    assert_eq!(key.key_state().map(|s| s.as_str()), Some("Enabled"));
    let key_tags = kms.list_resource_tags().key_id(&key_arn).send().await?;
    assert!(key_tags
        .tags()
        .iter()
        .any(|t| t.tag_key() == "airgap:id" && t.tag_value() == "cluster/apps/kms"));
    assert!(kms.get_key_rotation_status().key_id(&key_arn).send().await?.key_rotation_enabled);
    let aliases = kms.list_aliases().key_id(key.key_id()).send().await?;
    let names: Vec<&str> = aliases.aliases().iter().filter_map(|a| a.alias_name()).collect();
    assert_eq!(names, [format!("alias/airgap/{ENV}/apps")]);

    // Roles: under the env's path, trusted by their service, with their policies.
    let role_of = |name: &str| format!("arn:aws:iam::{account}:role/airgap/{ENV}/{name}");
    assert_eq!(cl.role_arn(), Some(role_of("airgap-eks-apps-cluster").as_str()));
    for (role, service, policies) in [
        ("airgap-eks-apps-cluster", "eks.amazonaws.com", vec!["AmazonEKSClusterPolicy"]),
        (
            "airgap-eks-apps-node",
            "ec2.amazonaws.com",
            vec![
                "AmazonEC2ContainerRegistryReadOnly",
                "AmazonEKSWorkerNodePolicy",
                "AmazonEKS_CNI_Policy",
            ],
        ),
    ] {
        let r = iam.get_role().role_name(role).send().await?.role.ok_or("no role")?;
        assert_eq!(r.path(), format!("/airgap/{ENV}/"));
        assert!(
            r.assume_role_policy_document().unwrap_or_default().contains(service),
            "{role} trusts {service}"
        );
        assert!(r.tags().iter().any(|t| t.key() == "airgap:env" && t.value() == ENV));
        let attached = iam.list_attached_role_policies().role_name(role).send().await?;
        let mut names: Vec<&str> =
            attached.attached_policies().iter().filter_map(|p| p.policy_name()).collect();
        names.sort();
        assert_eq!(names, policies, "{role}");
    }

    // The node group: in the data-plane subnets, with the node role, ACTIVE.
    let ng = general(&eks).await?;
    assert_eq!(ng.status().map(|s| s.as_str()), Some("ACTIVE"));
    let dp = subnets(&ec2, "vpc/workload/subnet/dataPlane/").await?;
    assert_eq!(dp.len(), 2);
    assert_eq!(sorted(ng.subnets()), dp);
    assert_eq!(ng.node_role(), Some(role_of("airgap-eks-apps-node").as_str()));
    assert_eq!(ng.instance_types(), ["m6i.large"]);
    assert_eq!(ng.ami_type().map(|t| t.as_str()), Some("AL2023_x86_64_STANDARD"));
    let sc = ng.scaling_config().ok_or("no scaling")?;
    assert_eq!((sc.min_size(), sc.desired_size(), sc.max_size()), (Some(1), Some(2), Some(3)));
    assert_eq!(ng.labels().and_then(|l| l.get("tier")).map(String::as_str), Some("general"));
    let taint = &ng.taints()[0];
    assert_eq!(
        (taint.key(), taint.value(), taint.effect().map(|e| e.as_str())),
        (Some("dedicated"), Some("general"), Some("NO_SCHEDULE"))
    );

    // Add-ons, ACTIVE, tagged with the Kubernetes version they were installed for.
    let mut addons = eks.list_addons().cluster_name(CLUSTER).send().await?.addons().to_vec();
    addons.sort();
    assert_eq!(addons, ["coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"]);
    for a in &addons {
        let ad = the_addon(&eks, a).await?;
        assert_eq!(ad.status().map(|s| s.as_str()), Some("ACTIVE"), "{a}");
        if a == "kube-proxy" {
            let default = default_addon_version(&eks, a, "1.31").await?;
            assert_eq!(ad.addon_version(), Some(default.as_str()));
        }
        let t = ad.tags().ok_or("add-on without tags")?;
        assert_eq!(t.get("airgap:kubernetes-version").map(String::as_str), Some("1.31"));
    }

    // The admin's access entry and its cluster-wide admin policy.
    let admin = format!("arn:aws:iam::{account}:role/platform-admin");
    let entry = eks
        .describe_access_entry()
        .cluster_name(CLUSTER)
        .principal_arn(&admin)
        .send()
        .await?
        .access_entry
        .ok_or("no access entry")?;
    assert_eq!(
        entry.tags().and_then(|t| t.get("airgap:id")).map(String::as_str),
        Some("cluster/apps/access/0")
    );
    let pols = eks
        .list_associated_access_policies()
        .cluster_name(CLUSTER)
        .principal_arn(&admin)
        .send()
        .await?;
    let [p] = pols.associated_access_policies() else {
        panic!("one policy expected: {pols:?}");
    };
    assert_eq!(p.policy_arn(), Some(ADMIN_POLICY));
    assert_eq!(p.access_scope().and_then(|s| s.r#type()).map(|t| t.as_str()), Some("cluster"));
    Ok(())
}

/// Nothing of the env is left: no cluster, role, alias, or EC2 resource that carries
/// the env tag (DescribeTags is no help: LocalStack keeps tags of deleted resources),
/// and its KMS key is pending deletion (KMS waits at least 7 days).
async fn check_swept(conf: &aws_types::SdkConfig) -> TestResult {
    let eks = aws_sdk_eks::Client::new(conf);
    let ec2 = aws_sdk_ec2::Client::new(conf);
    let iam = aws_sdk_iam::Client::new(conf);
    let kms = aws_sdk_kms::Client::new(conf);
    assert_eq!(eks.list_clusters().send().await?.clusters(), [] as [String; 0]);
    let roles = iam.list_roles().send().await?;
    let left: Vec<&str> = roles
        .roles()
        .iter()
        .filter(|r| r.path().starts_with("/airgap/") || r.role_name().contains(ENV))
        .map(|r| r.role_name())
        .collect();
    assert!(left.is_empty(), "roles left: {left:?}");
    for k in kms.list_keys().send().await?.keys() {
        let id = k.key_id().ok_or("no key id")?;
        let t = kms.list_resource_tags().key_id(id).send().await?;
        if t.tags().iter().any(|t| t.tag_key() == "airgap:env") {
            let m = kms.describe_key().key_id(id).send().await?.key_metadata;
            let st = m.as_ref().and_then(|m| m.key_state()).map(|s| s.as_str());
            assert_eq!(st, Some("PendingDeletion"), "key {id}");
        }
    }
    let aliases = kms.list_aliases().send().await?;
    assert!(
        !aliases
            .aliases()
            .iter()
            .any(|a| a.alias_name().is_some_and(|n| n.starts_with("alias/airgap/"))),
        "aliases left: {aliases:?}"
    );
    let left = crate::support::census::ec2_left(&ec2, ENV).await?;
    assert!(left.is_empty(), "EC2 resources left: {left:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_cluster_is_built_upgraded_scaled_and_destroyed() -> TestResult {
    let (_ls, account, conf, cli) = fixture("lifecycle").await?;
    let id = account.id();
    let scaling = "{ min: 1, desired: 2, max: 3 }";

    let create = apply(&cli, &blueprint(id, "1.31", scaling, ALL_ENDPOINTS));
    create.timing("apply (create)");
    let out = create.stdout.clone();
    // The time model made the engine wait, and the order held: cluster, early add-ons,
    // node group, coredns.
    assert!(out.contains("+ cluster/apps: waiting (CREATING)"), "{out}");
    assert!(out.contains("+ cluster/apps/nodegroup/general: waiting (CREATING)"), "{out}");
    assert!(
        create.line("+ cluster/apps: done") < create.line("+ cluster/apps/addon/vpc-cni: creating")
    );
    assert!(
        create.line("+ cluster/apps/addon/kube-proxy: done")
            < create.line("+ cluster/apps/nodegroup/general: creating")
    );
    assert!(
        create.line("+ cluster/apps/nodegroup/general: done")
            < create.line("+ cluster/apps/addon/coredns: creating")
    );
    check_built(&conf, id).await?;
    // Converged: a second plan has nothing to do.
    converged(&cli);

    // A version bump: in place, control plane first, then add-ons, then node groups.
    cli.write("bp.yaml", &blueprint(id, "1.32", scaling, ALL_ENDPOINTS));
    let plan = cli
        .run(&["plan", "-f", "bp.yaml", "--detailed-exitcode"])
        .expect(2, "airgapctl")
        .stdout
        .clone();
    assert!(plan.contains("Plan: 0 to add, 6 to change, 0 to replace, 0 to destroy."), "{plan}");
    assert!(plan.contains("~ cluster/apps (eks-cluster"), "{plan}");
    assert!(plan.contains("version: \"1.31\" -> \"1.32\""), "{plan}");
    assert!(plan.contains("~ cluster/apps/nodegroup/general (eks-nodegroup"), "{plan}");
    assert!(plan.contains("kubernetesVersion: \"1.31\" -> \"1.32\""), "{plan}");
    let upgrade = cli.run(&apply_args("bp.yaml")).expect(0, "airgapctl");
    upgrade.timing("apply (1.31 -> 1.32)");
    for addon in ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"] {
        assert!(
            upgrade.line("~ cluster/apps: done")
                < upgrade.line(&format!("~ cluster/apps/addon/{addon}: updating"))
        );
        assert!(
            upgrade.line(&format!("~ cluster/apps/addon/{addon}: done"))
                < upgrade.line("~ cluster/apps/nodegroup/general: updating")
        );
    }
    assert!(
        upgrade.line("~ cluster/apps/nodegroup/general: done")
            < upgrade.line("~ cluster/apps/addon/coredns: updating")
    );
    // The same order as EKS saw it: each update started once the previous had finished
    // (at this scale a control plane update takes 6 s, an add-on update 0.6 s). kube-proxy's
    // version follows Kubernetes; an add-on whose default is the same for both versions
    // keeps it (only its record moves to 1.32), one whose default differs is updated to it.
    let eks = aws_sdk_eks::Client::new(&conf);
    let cluster_u = updates(&eks, None, None).await?;
    assert_eq!(cluster_u.len(), 1, "{cluster_u:?}");
    assert_eq!(cluster_u[0].1, "VersionUpdate");
    let proxy = updates(&eks, None, Some("kube-proxy")).await?;
    let ng_u = updates(&eks, Some("general"), None).await?;
    assert_eq!((proxy.len(), ng_u.len()), (1, 1), "{proxy:?} {ng_u:?}");
    assert_eq!(proxy[0].1, "AddonUpdate");
    assert_eq!(ng_u[0].1, "VersionUpdate");
    assert!(proxy[0].0 - cluster_u[0].0 >= 5.0, "{cluster_u:?} {proxy:?}");
    assert!(ng_u[0].0 - proxy[0].0 >= 0.5, "{proxy:?} {ng_u:?}");
    for addon in ["vpc-cni", "eks-pod-identity-agent", "coredns"] {
        let moved = default_addon_version(&eks, addon, "1.31").await?
            != default_addon_version(&eks, addon, "1.32").await?;
        let u = updates(&eks, None, Some(addon)).await?;
        assert_eq!(u.len(), usize::from(moved), "{addon}: {u:?}");
        if moved {
            assert!(u[0].0 - cluster_u[0].0 >= 5.0, "{addon} before the control plane: {u:?}");
        }
    }
    let cl = cluster(&eks).await?;
    assert_eq!(cl.version(), Some("1.32"));
    let ng = general(&eks).await?;
    assert_eq!(ng.version(), Some("1.32"));
    let arn_before = ng.nodegroup_arn().map(str::to_string);
    for addon in ["kube-proxy", "vpc-cni", "coredns"] {
        let version = default_addon_version(&eks, addon, "1.32").await?;
        let version = version.as_str();
        let ad = the_addon(&eks, addon).await?;
        assert_eq!(ad.addon_version(), Some(version), "{addon}");
        assert_eq!(
            ad.tags().and_then(|t| t.get("airgap:kubernetes-version")).map(String::as_str),
            Some("1.32"),
            "{addon}"
        );
    }
    converged(&cli);

    // Scaling: in place (UpdateNodegroupConfig), the same node group; an update
    // configuration given at the same time goes with it in the one call.
    let scale = apply(
        &cli,
        &blueprint(
            id,
            "1.32",
            "{ min: 2, desired: 3, max: 5 }\n        updateConfig: { maxUnavailablePercentage: 50 }",
            ALL_ENDPOINTS,
        ),
    );
    scale.timing("apply (scaling)");
    let out = scale.stdout.clone();
    assert!(out.contains("Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy."), "{out}");
    assert!(out.contains("min: 1 -> 2"), "{out}");
    assert!(out.contains("~ cluster/apps/nodegroup/general: waiting (UPDATING)"), "{out}");
    let ng = general(&eks).await?;
    let sc = ng.scaling_config().ok_or("no scaling")?;
    assert_eq!((sc.min_size(), sc.desired_size(), sc.max_size()), (Some(2), Some(3), Some(5)));
    assert_eq!(ng.update_config().and_then(|u| u.max_unavailable_percentage()), Some(50));
    assert_eq!(ng.nodegroup_arn().map(str::to_string), arn_before);
    let ng_u = updates(&eks, Some("general"), None).await?;
    assert_eq!(
        ng_u.iter().map(|u| u.1.as_str()).collect::<Vec<_>>(),
        ["VersionUpdate", "ConfigUpdate"]
    );
    converged(&cli);

    let destroy = cli
        .run(&["destroy", "-f", "bp.yaml", "--time-scale", SCALE, "--auto-approve"])
        .expect(0, "airgapctl");
    destroy.timing("destroy");
    let out = destroy.stdout.clone();
    assert!(out.contains("- cluster/apps: waiting (DELETING)"), "{out}");
    assert!(
        destroy.line("- cluster/apps/nodegroup/general: done")
            < destroy.line("- cluster/apps: deleting")
    );
    assert!(destroy.line("- cluster/apps: done") < destroy.line("- cluster/apps/role: deleting"));
    check_swept(&conf).await?;
    cli.run(&["plan", "-f", "bp.yaml", "--destroy", "--detailed-exitcode"]).expect(0, "airgapctl");
    Ok(())
}

/// An upgrade over two minors: EKS takes one at a time, and the next only once the node
/// groups run the cluster's version (botocore UpdateClusterVersion). One apply does
/// both steps, each round the control plane, then the add-ons, then the node group.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_over_two_minors_steps_each_with_the_node_groups_following() -> TestResult {
    let (_ls, account, conf, cli) = fixture("two-minors").await?;
    let id = account.id();
    apply(&cli, &blueprint(id, "1.30", ONE_NODE, ALL_ENDPOINTS));

    let upgrade = apply(&cli, &blueprint(id, "1.32", ONE_NODE, ALL_ENDPOINTS));
    upgrade.timing("apply (1.30 -> 1.32)");
    let out = upgrade.stdout.clone();
    assert!(out.contains("Round 2: planning again for cluster/apps: version 1.32"), "{out}");
    assert!(!out.contains("Round 3"), "{out}");

    let eks = aws_sdk_eks::Client::new(&conf);
    let cl = cluster(&eks).await?;
    assert_eq!(cl.version(), Some("1.32"));
    assert_eq!(general(&eks).await?.version(), Some("1.32"));
    // Interleaved as EKS requires: 1.31 for the cluster, then its node group, then 1.32.
    let (cluster_u, ng_u) =
        (updates(&eks, None, None).await?, updates(&eks, Some("general"), None).await?);
    let kinds = |u: &[(f64, String)]| u.iter().map(|u| u.1.clone()).collect::<Vec<_>>();
    assert_eq!(kinds(&cluster_u), ["VersionUpdate", "VersionUpdate"]);
    assert_eq!(kinds(&ng_u), ["VersionUpdate", "VersionUpdate"]);
    assert!(cluster_u[0].0 < ng_u[0].0 && ng_u[0].0 < cluster_u[1].0 && cluster_u[1].0 < ng_u[1].0);
    // kube-proxy follows each minor; its record names the last.
    let proxy = updates(&eks, None, Some("kube-proxy")).await?;
    assert_eq!(kinds(&proxy), ["AddonUpdate", "AddonUpdate"]);
    let ad = the_addon(&eks, "kube-proxy").await?;
    assert_eq!(
        ad.addon_version(),
        Some(default_addon_version(&eks, "kube-proxy", "1.32").await?.as_str())
    );
    assert_eq!(
        ad.tags().and_then(|t| t.get("airgap:kubernetes-version")).map(String::as_str),
        Some("1.32")
    );
    converged(&cli);

    // EKS never downgrades: the plan says so and apply refuses before any change.
    cli.write("bp.yaml", &blueprint(id, "1.31", ONE_NODE, ALL_ENDPOINTS));
    let plan = cli.run(&["plan", "-f", "bp.yaml"]).expect(0, "airgapctl").stdout.clone();
    assert!(
        plan.contains("Refused: cluster/apps: EKS cannot downgrade a cluster (from 1.32 to 1.31)"),
        "{plan}"
    );
    let refused = cli.run(&apply_args("bp.yaml")).expect(3, "airgapctl");
    assert!(refused.stderr.contains("the plan asks for what AWS cannot do"), "{}", refused.stderr);
    assert_eq!(updates(&eks, None, None).await?.len(), 2, "no update was started");
    Ok(())
}

/// `output` and `kubeconfig` give what EKS and EC2 report of the applied cluster: its
/// endpoint, certificate authority and ARN, the subnet ids of a tier, and a kubeconfig
/// that reaches that endpoint with a token for that cluster.
async fn check_outputs(
    cli: &Cli,
    cl: &aws_sdk_eks::types::Cluster,
    conf: &aws_types::SdkConfig,
) -> TestResult {
    let endpoint = cl.endpoint().ok_or("no endpoint")?;
    let ca = cl.certificate_authority().and_then(|c| c.data()).ok_or("no CA")?;
    assert!(endpoint.starts_with("https://"), "{endpoint}");
    let one = |name: &str| {
        cli.run(&["output", name, "-f", "bp.yaml"]).expect(0, "airgapctl output").stdout
    };
    assert_eq!(one("cluster.apps.endpoint"), format!("{endpoint}\n"));
    assert_eq!(one("cluster.apps.ca"), format!("{ca}\n"));
    assert_eq!(one("cluster.apps.arn"), format!("{}\n", cl.arn().ok_or("no arn")?));
    assert_eq!(one("cluster.apps.name"), format!("{CLUSTER}\n"));
    let ec2 = aws_sdk_ec2::Client::new(conf);
    let data_plane = subnets(&ec2, "vpc/workload/subnet/dataPlane/").await?;
    let listed: Vec<String> =
        one("vpc.workload.subnets.dataPlane").trim_end().split(',').map(str::to_string).collect();
    assert_eq!(sorted(&listed), data_plane);
    let all = cli.run(&["output", "-f", "bp.yaml", "--output", "json"]).expect(0, "airgapctl");
    let doc: serde_json::Value = serde_json::from_str(&all.stdout)?;
    assert_eq!(doc["outputs"]["cluster.apps.endpoint"], endpoint);
    assert!(doc["outputs"]["vpc.workload.id"].as_str().is_some_and(|v| v.starts_with("vpc-")));

    let k = cli.run(&["kubeconfig", "--cluster", "apps", "-f", "bp.yaml"]).expect(0, "airgapctl");
    let k = airgap_blueprint::yaml_to_json(&k.stdout)?.ok_or("an empty kubeconfig")?;
    assert_eq!(k["clusters"][0]["cluster"]["server"], endpoint);
    assert_eq!(k["clusters"][0]["cluster"]["certificate-authority-data"], ca);
    let args = k["users"][0]["user"]["exec"]["args"].as_array().ok_or("no exec args")?;
    let args: Vec<&str> = args.iter().filter_map(serde_json::Value::as_str).collect();
    let region = "eu-central-1";
    let want =
        ["eks", "get-token", "--output", "json", "--cluster-name", CLUSTER, "--region", region];
    assert_eq!(args, want);
    // eksctl's names: the user is the session airgapctl assumed the account's role with.
    let context = k["current-context"].as_str().ok_or("no current context")?;
    assert_eq!(context, format!("airgapctl-{ENV}@{CLUSTER}.eu-central-1.eksctl.io"));
    Ok(())
}

/// Secrets encryption turned on for a cluster made without it: a KMS key of its own, then
/// AssociateEncryptionConfig, in place (EKS cannot change or remove it afterwards).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_encryption_is_added_to_a_running_cluster_in_place() -> TestResult {
    let (_ls, account, conf, cli) = fixture("encrypt").await?;
    let id = account.id();
    let plain = blueprint(id, "1.32", ONE_NODE, ALL_ENDPOINTS)
        .replace("secretsEncryption: true", "secretsEncryption: false");
    apply(&cli, &plain);
    let eks = aws_sdk_eks::Client::new(&conf);
    let cl = cluster(&eks).await?;
    assert!(cl.encryption_config().is_empty());
    let arn_before = cl.arn().map(str::to_string);
    check_outputs(&cli, &cl, &conf).await?;

    let run = apply(&cli, &blueprint(id, "1.32", ONE_NODE, ALL_ENDPOINTS));
    let out = run.stdout.clone();
    assert!(out.contains("Plan: 2 to add, 1 to change, 0 to replace, 0 to destroy."), "{out}");
    let cl = cluster(&eks).await?;
    assert_eq!(cl.arn().map(str::to_string), arn_before, "the same cluster");
    let ec = cl.encryption_config();
    assert_eq!(ec.len(), 1);
    let key = ec[0].provider().and_then(|p| p.key_arn()).ok_or("no key")?;
    assert!(key.starts_with(&format!("arn:aws:kms:eu-central-1:{id}:key/")), "{key}");
    let u = updates(&eks, None, None).await?;
    assert_eq!(u.iter().map(|u| u.1.as_str()).collect::<Vec<_>>(), ["AssociateEncryptionConfig"]);
    converged(&cli);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_without_ecr_dkr_is_refused_before_any_aws_call() -> TestResult {
    let (_ls, account, conf, cli) = fixture("refused").await?;
    let text = blueprint(
        account.id(),
        "1.31",
        "{ min: 1, desired: 2, max: 3 }",
        "[ecr.api, sts, ec2, logs, eks-auth]",
    );
    let offset = text.find("  - name: apps").ok_or("no cluster")? + "  - name: ".len();
    let line = text[..offset].lines().count();
    let col = offset - text[..offset].rfind('\n').ok_or("no newline")?;
    cli.write("bp.yaml", &text);
    for args in [vec!["plan", "-f", "bp.yaml"], apply_args("bp.yaml")] {
        let err = cli.run(&args).expect(3, "airgapctl").stderr.clone();
        assert!(err.contains("blueprint::private_cluster"), "{err}");
        assert!(err.contains(&format!("bp.yaml:{line}:{col}")), "{err}");
        assert!(err.contains("interface endpoint `ecr.dkr`"), "{err}");
        assert!(err.contains("interface: [ecr.api, sts, ec2, logs, eks-auth, ecr.dkr]"), "{err}");
    }
    // Refused before connecting: an endpoint where nothing listens gives the same answer.
    let offline =
        Cli::new(env!("CARGO_BIN_EXE_airgapctl"), "eks-refused-offline", "http://127.0.0.1:9");
    offline.write("bp.yaml", &text);
    let err = offline.run(&["plan", "-f", "bp.yaml"]).expect(3, "airgapctl").stderr.clone();
    assert!(err.contains("blueprint::private_cluster"), "{err}");
    // And nothing was made in the account.
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    assert!(ec2
        .describe_vpcs()
        .filters(tag_filter("airgap:env", ENV))
        .send()
        .await?
        .vpcs()
        .is_empty());
    let eks = aws_sdk_eks::Client::new(&conf);
    assert!(eks.list_clusters().send().await?.clusters().is_empty());
    Ok(())
}

/// The controller tag every leftover below carries, naming the environment's cluster.
fn cluster_tag() -> aws_sdk_ec2::types::Tag {
    aws_sdk_ec2::types::Tag::builder().key("elbv2.k8s.aws/cluster").value(CLUSTER).build()
}

fn ec2_tags(
    rt: aws_sdk_ec2::types::ResourceType,
    tags: &[(&str, &str)],
) -> aws_sdk_ec2::types::TagSpecification {
    let mut s = aws_sdk_ec2::types::TagSpecification::builder().resource_type(rt);
    for (k, v) in tags {
        s = s.tags(aws_sdk_ec2::types::Tag::builder().key(*k).value(*v).build());
    }
    s.build()
}

async fn eni_exists(ec2: &aws_sdk_ec2::Client, id: &str) -> Result<bool, Error> {
    let out = ec2
        .describe_network_interfaces()
        .filters(
            aws_sdk_ec2::types::Filter::builder().name("network-interface-id").values(id).build(),
        )
        .send()
        .await?;
    Ok(!out.network_interfaces().is_empty())
}

/// The id of the interface a CreateNetworkInterface request makes.
async fn interface_made(
    req: aws_sdk_ec2::operation::create_network_interface::builders::CreateNetworkInterfaceFluentBuilder,
) -> Result<String, Box<dyn std::error::Error>> {
    let made = req.send().await?.network_interface.and_then(|n| n.network_interface_id);
    Ok(made.ok_or("no interface")?)
}

/// What in-cluster controllers leave in the VPC (a VPC CNI interface holding a subnet
/// and one of the environment's groups, a load balancer with its security group and
/// target group) is deleted by destroy; a hand-made interface and a load balancer of
/// another team's (live, untagged) cluster are reported by name and left alone, and
/// destroy completes once they are gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_clears_what_controllers_left_and_names_what_it_must_not_touch() -> TestResult {
    use aws_sdk_ec2::types::ResourceType;
    let (ls, account, conf, cli) = fixture("blockers").await?;
    let id = account.id();
    apply(&cli, &blueprint(id, "1.31", ONE_NODE, ALL_ENDPOINTS));

    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&conf);
    let dp = subnets(&ec2, "vpc/workload/subnet/dataPlane/").await?;
    let ep = subnets(&ec2, "vpc/workload/subnet/endpoints/").await?;
    let vpc = ec2.describe_subnets().subnet_ids(&dp[0]).send().await?.subnets()[0]
        .vpc_id()
        .ok_or("no vpc")?
        .to_string();
    let env_group = ec2
        .describe_security_groups()
        .filters(tag_filter("airgap:env", ENV))
        .send()
        .await?
        .security_groups()
        .first()
        .and_then(|g| g.group_id())
        .ok_or("no group of the environment")?
        .to_string();

    // The VPC CNI's interface of a node that is gone: detached, in a node subnet.
    let cni = ec2
        .create_network_interface()
        .subnet_id(&dp[0])
        .groups(&env_group)
        .description("aws-K8S-i-0a1b2c3d4e5f60718")
        .tag_specifications(ec2_tags(
            ResourceType::NetworkInterface,
            &[
                ("cluster.k8s.amazonaws.com/name", CLUSTER),
                ("node.k8s.amazonaws.com/instance_id", "i-0a1b2c3d4e5f60718"),
            ],
        ));
    let cni = interface_made(cni).await?;
    // The load balancer controller's Service of type LoadBalancer.
    let lb_group = ec2
        .create_security_group()
        .group_name("k8s-default-web-1a2b3c4d5e")
        .description("[k8s] Managed SecurityGroup for LoadBalancer")
        .vpc_id(&vpc)
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(ResourceType::SecurityGroup)
                .tags(cluster_tag())
                .build(),
        )
        .send()
        .await?
        .group_id
        .ok_or("no group")?;
    let elb_tag = aws_sdk_elasticloadbalancingv2::types::Tag::builder()
        .key("elbv2.k8s.aws/cluster")
        .value(CLUSTER)
        .build();
    let lb = elb
        .create_load_balancer()
        .name("k8s-default-web-1a2b3c4d5e")
        .scheme(aws_sdk_elasticloadbalancingv2::types::LoadBalancerSchemeEnum::Internal)
        .set_subnets(Some(dp.clone()))
        .security_groups(&lb_group)
        // A Service annotation can hand it one of the environment's groups too.
        .security_groups(&env_group)
        .tags(elb_tag.clone())
        .send()
        .await?;
    assert_eq!(lb.load_balancers().len(), 1);
    let tg = elb
        .create_target_group()
        .name("k8s-default-web-9f8e7d6c5b")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(&vpc)
        .tags(elb_tag)
        .send()
        .await?;
    let tg_arn = tg.target_groups()[0].target_group_arn().ok_or("no target group arn")?.to_string();
    // Someone's debugging interface: not the environment's to delete.
    let foreign = ec2
        .create_network_interface()
        .subnet_id(&ep[0])
        .description("hand-made debugging interface");
    let foreign = interface_made(foreign).await?;
    // A load balancer of another team's cluster, which still exists and is not the
    // environment's: named, left alone, although it carries a controller tag.
    let other_vpc = ec2
        .create_vpc()
        .cidr_block("10.99.0.0/16")
        .send()
        .await?
        .vpc
        .and_then(|v| v.vpc_id)
        .ok_or("no vpc")?;
    let mut other_subnets = Vec::new();
    for (cidr, az) in [("10.99.0.0/24", "eu-central-1a"), ("10.99.1.0/24", "eu-central-1b")] {
        other_subnets.push(
            ec2.create_subnet()
                .vpc_id(&other_vpc)
                .cidr_block(cidr)
                .availability_zone(az)
                .send()
                .await?
                .subnet
                .and_then(|s| s.subnet_id)
                .ok_or("no subnet")?,
        );
    }
    // The other team's cluster role, as that team would have made it: EKS assumes it.
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let other_role = aws_sdk_iam::Client::new(&conf)
        .create_role()
        .role_name("other-team-cluster")
        .assume_role_policy_document(trust)
        .send()
        .await?;
    aws_sdk_eks::Client::new(&conf)
        .create_cluster()
        .name("other-team")
        .role_arn(other_role.role.ok_or("no role")?.arn)
        .resources_vpc_config(
            aws_sdk_eks::types::VpcConfigRequest::builder()
                .set_subnet_ids(Some(other_subnets))
                .endpoint_private_access(true)
                .endpoint_public_access(false)
                .build(),
        )
        .send()
        .await?;
    let other_lb = elb
        .create_load_balancer()
        .name("k8s-other-team-api")
        .r#type(aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum::Network)
        .scheme(aws_sdk_elasticloadbalancingv2::types::LoadBalancerSchemeEnum::Internal)
        .subnets(&ep[0])
        .tags(
            aws_sdk_elasticloadbalancingv2::types::Tag::builder()
                .key("elbv2.k8s.aws/cluster")
                .value("other-team")
                .build(),
        )
        .send()
        .await?
        .load_balancers()[0]
        .load_balancer_arn()
        .ok_or("no arn")?
        .to_string();

    let destroy = ["destroy", "-f", "bp.yaml", "--time-scale", SCALE, "--auto-approve"];
    let first = cli.run(&destroy).expect(1, "airgapctl");
    first.timing("destroy held by a foreign interface");
    let said = format!("{}{}", first.stdout.clone(), first.stderr.clone());
    assert!(said.contains(&foreign), "the blocker is not named:\n{said}");
    assert!(said.contains("must not touch"), "{said}");
    assert!(
        said.contains(&format!(
            "load balancer k8s-other-team-api of cluster other-team, which is not environment {ENV}'s"
        )),
        "{said}"
    );
    let still = elb.describe_load_balancers().load_balancer_arns(&other_lb).send().await?;
    assert_eq!(still.load_balancers().len(), 1, "the other team's load balancer was deleted");
    assert!(eni_exists(&ec2, &foreign).await?, "the foreign interface was deleted");
    assert!(!eni_exists(&ec2, &cni).await?, "the CNI interface is still there");
    let lbs = elb.describe_load_balancers().send().await?;
    assert!(
        lbs.load_balancers()
            .iter()
            .all(|l| l.load_balancer_name() != Some("k8s-default-web-1a2b3c4d5e")),
        "the controller's load balancer is still there: {lbs:?}"
    );
    // Only the subnet the interface holds (and what depends on it) is left.
    assert_eq!(subnets(&ec2, "vpc/workload/subnet/").await?, vec![ep[0].clone()]);

    ec2.delete_network_interface().network_interface_id(&foreign).send().await?;
    elb.delete_load_balancer().load_balancer_arn(&other_lb).send().await?;
    cli.run(&destroy).expect(0, "airgapctl").timing("destroy after the blocker went");
    // The other team's cluster, which destroy left alone, goes too (at once at scale 0).
    ls.set_time_scale(&account, 0.0).await?;
    aws_sdk_eks::Client::new(&conf).delete_cluster().name("other-team").send().await?;
    check_swept(&conf).await?;
    let groups = ec2
        .describe_security_groups()
        .filters(aws_sdk_ec2::types::Filter::builder().name("group-id").values(&lb_group).build())
        .send()
        .await?;
    assert!(
        groups.security_groups().is_empty(),
        "the controller's group is still there: {groups:?}"
    );
    let tgs = elb.describe_target_groups().send().await?;
    assert!(
        tgs.target_groups().iter().all(|g| g.target_group_arn() != Some(tg_arn.as_str())),
        "the controller's target group is still there"
    );
    Ok(())
}

/// One blueprint, two environments in the same account (`--env`, as CI does per pull
/// request): both apply side by side with clusters, roles and keys of their own, and
/// destroying one leaves the other untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_environments_of_one_blueprint_share_an_account() -> TestResult {
    let (_ls, account, conf, cli) = fixture("two-envs").await?;
    let id = account.id();
    // Distinct CIDRs: the two environments' VPCs live in one account.
    let bp = blueprint(id, "1.31", ONE_NODE, ALL_ENDPOINTS);
    cli.write("bp.yaml", &bp);
    let envs = ["pr-101", "pr-102"];
    for env in envs {
        let mut args = apply_args("bp.yaml");
        args.extend(["--env", env]);
        cli.run(&args).expect(0, "airgapctl").timing(&format!("apply --env {env}"));
    }
    let eks = aws_sdk_eks::Client::new(&conf);
    let mut clusters = eks.list_clusters().send().await?.clusters().to_vec();
    clusters.sort();
    assert_eq!(clusters, ["pr-101-apps", "pr-102-apps"]);
    for env in envs {
        let c = eks
            .describe_cluster()
            .name(format!("{env}-apps"))
            .send()
            .await?
            .cluster
            .ok_or("no cluster")?;
        assert_eq!(c.tags().and_then(|t| t.get("airgap:env")).map(String::as_str), Some(env));
        let mut plan = vec!["plan", "-f", "bp.yaml", "--detailed-exitcode"];
        plan.extend(["--env", env]);
        cli.run(&plan).expect(0, "airgapctl");
    }

    let destroy = |env: &'static str| {
        vec!["destroy", "-f", "bp.yaml", "--time-scale", SCALE, "--auto-approve", "--env", env]
    };
    cli.run(&destroy("pr-101")).expect(0, "airgapctl");
    assert_eq!(eks.list_clusters().send().await?.clusters(), ["pr-102-apps".to_string()]);
    let mut plan = vec!["plan", "-f", "bp.yaml", "--detailed-exitcode"];
    plan.extend(["--env", "pr-102"]);
    cli.run(&plan).expect(0, "airgapctl");
    cli.run(&destroy("pr-102")).expect(0, "airgapctl");
    assert!(eks.list_clusters().send().await?.clusters().is_empty());
    Ok(())
}

/// (launch template id, latest version, that version's image, its user data decoded).
async fn launch_template(
    ec2: &aws_sdk_ec2::Client,
    name: &str,
) -> Result<(String, i64, String, String), Error> {
    let lt = ec2
        .describe_launch_templates()
        .launch_template_names(name)
        .send()
        .await?
        .launch_templates()
        .first()
        .cloned()
        .ok_or("no launch template")?;
    let id = lt.launch_template_id().ok_or("no id")?.to_string();
    let latest = lt.latest_version_number().ok_or("no version")?;
    let v = ec2
        .describe_launch_template_versions()
        .launch_template_id(&id)
        .versions(latest.to_string())
        .send()
        .await?
        .launch_template_versions()
        .first()
        .cloned()
        .ok_or("no version data")?;
    let data = v.launch_template_data().ok_or("no data")?;
    assert_eq!(
        data.metadata_options().and_then(|m| m.http_tokens()).map(|t| t.as_str()),
        Some("required"),
        "IMDSv2 only"
    );
    let user = aws_smithy_types::base64::decode(data.user_data().unwrap_or_default())?;
    Ok((id, latest, data.image_id().unwrap_or_default().to_string(), String::from_utf8(user)?))
}

/// A node group with a custom AMI (`amiId`): airgapctl makes the launch template that
/// joins its nodes (nodeadm NodeConfig with the cluster's endpoint, CA and service
/// CIDR, IMDSv2); a new AMI is a new template version the node group rolls to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_ami_gets_a_launch_template_that_joins_the_cluster() -> TestResult {
    let (_ls, account, conf, cli) = fixture("ami").await?;
    let id = account.id();
    let with_ami = |ami: &str| {
        blueprint(id, "1.31", ONE_NODE, ALL_ENDPOINTS)
            .replace("amiType: AL2023_x86_64_STANDARD", &format!("amiId: {ami}"))
    };
    let (ami1, ami2) = ("ami-0123456789abcdef0", "ami-0fedcba9876543210");
    apply(&cli, &with_ami(ami1)).timing("apply (custom AMI)");

    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let eks = aws_sdk_eks::Client::new(&conf);
    let cl = cluster(&eks).await?;
    let name = format!("airgap-{ENV}-apps-general");
    let (lt, v1, image, user) = launch_template(&ec2, &name).await?;
    assert_eq!((v1, image.as_str()), (1, ami1));
    for want in [
        format!("name: {CLUSTER}"),
        format!("apiServerEndpoint: {}", cl.endpoint().ok_or("no endpoint")?),
        format!(
            "certificateAuthority: {}",
            cl.certificate_authority().and_then(|c| c.data()).ok_or("no CA")?
        ),
        format!(
            "cidr: {}",
            cl.kubernetes_network_config()
                .and_then(|k| k.service_ipv4_cidr())
                .ok_or("no service CIDR")?
        ),
    ] {
        assert!(user.contains(&want), "user data lacks `{want}`:\n{user}");
    }
    let got = general(&eks).await?;
    let spec = got.launch_template().ok_or("no launch template")?;
    assert_eq!((spec.id(), spec.version()), (Some(lt.as_str()), Some("1")));
    assert_eq!(got.ami_type().map(|t| t.as_str()), Some("CUSTOM"));
    converged(&cli);

    // A new AMI: a second template version, and the node group rolls to it.
    cli.write("bp.yaml", &with_ami(ami2));
    let plan = cli.run(&["plan", "-f", "bp.yaml", "--detailed-exitcode"]).expect(2, "airgapctl");
    let out = plan.stdout.clone();
    assert!(
        out.contains("~ cluster/apps/nodegroup/general/launch-template")
            && out.contains(&format!("imageId: \"{ami1}\" -> \"{ami2}\""))
            && out.contains("~ cluster/apps/nodegroup/general (eks-nodegroup"),
        "{out}"
    );
    cli.run(&apply_args("bp.yaml")).expect(0, "airgapctl").timing("apply (new AMI)");
    let (lt2, v2, image, _) = launch_template(&ec2, &name).await?;
    assert_eq!((lt2.as_str(), v2, image.as_str()), (lt.as_str(), 2, ami2));
    let got = general(&eks).await?;
    assert_eq!(got.launch_template().and_then(|l| l.version()), Some("2"));
    converged(&cli);

    cli.run(&["destroy", "-f", "bp.yaml", "--time-scale", SCALE, "--auto-approve"])
        .expect(0, "airgapctl");
    let left =
        ec2.describe_launch_templates().filters(tag_filter("airgap:env", ENV)).send().await?;
    assert!(left.launch_templates().is_empty(), "{left:?}");
    check_swept(&conf).await?;
    Ok(())
}
