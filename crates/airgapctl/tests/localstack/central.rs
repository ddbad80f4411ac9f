//! Issue 16's central endpoints against LocalStack: plans/hub-spoke.yaml with
//! `endpoints.mode: central` in three accounts. The tooling VPC (shared account) holds one
//! interface endpoint per service both VPCs list, private DNS off; a private hosted zone per service in
//! the shared account answers the service's name with an alias to that endpoint; the
//! workload VPC (another account) is associated with the zone of every service it lists,
//! through the owner's authorization, which is gone afterwards. A re-plan is empty;
//! destroy removes the associations and the zones.

use std::collections::BTreeSet;

use airgap_testkit::cli::Cli;
use airgap_testkit::LocalStack;
use aws_sdk_ec2::types::Filter;

const BIN: &str = env!("CARGO_BIN_EXE_airgapctl");

/// The interface services both VPCs of plans/hub-spoke.yaml list: central by default.
const SHARED: [&str; 4] = ["ecr.api", "ecr.dkr", "sts", "logs"];

fn tagged(key: &str, value: &str) -> Filter {
    Filter::builder().name(format!("tag:{key}")).values(value).build()
}

async fn vpc_id(ec2: &aws_sdk_ec2::Client, env: &str, id: &str) -> String {
    let out = ec2
        .describe_vpcs()
        .filters(tagged("airgap:env", env))
        .filters(tagged("airgap:id", id))
        .send()
        .await
        .unwrap();
    out.vpcs()[0].vpc_id().unwrap().to_string()
}

/// The environment's private zones in an account: id -> name.
async fn zones(r53: &aws_sdk_route53::Client, env: &str) -> Vec<(String, String)> {
    let out = r53.list_hosted_zones().send().await.unwrap();
    out.hosted_zones()
        .iter()
        .filter(|z| z.caller_reference().starts_with(&format!("airgap/{env}/")))
        .map(|z| {
            (
                z.id().trim_start_matches("/hostedzone/").to_string(),
                z.name().trim_end_matches('.').to_string(),
            )
        })
        .collect()
}

/// An account's zone names by zone ID.
async fn zone_map(ls: &LocalStack, a: &airgap_testkit::Account) -> Vec<(String, String)> {
    let ec2 = aws_sdk_ec2::Client::new(&ls.sdk_config(a).await.unwrap());
    let out = ec2.describe_availability_zones().send().await.unwrap();
    let mut m: Vec<(String, String)> = out
        .availability_zones()
        .iter()
        .map(|z| (z.zone_id().unwrap().to_string(), z.zone_name().unwrap().to_string()))
        .collect();
    m.sort();
    m
}

async fn subnet_zone(ec2: &aws_sdk_ec2::Client, env: &str, id: &str) -> (String, String) {
    let out = ec2
        .describe_subnets()
        .filters(tagged("airgap:env", env))
        .filters(tagged("airgap:id", id))
        .send()
        .await
        .unwrap();
    let s = &out.subnets()[0];
    (s.availability_zone().unwrap().to_string(), s.availability_zone_id().unwrap().to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn central_endpoints_are_one_set_reached_through_private_zones_across_accounts() {
    let ls = LocalStack::connect().await.expect("LocalStack");
    // Accounts whose zone names differ (each account maps names to physical zones its
    // own way): the workload's `a` must still be the network account's `a`.
    let [net, shared] = ls.account_set().await.expect("accounts");
    let net_zones = zone_map(&ls, &net).await;
    let mut work = ls.account().await.expect("an account");
    for _ in 0..20 {
        if zone_map(&ls, &work).await != net_zones {
            break;
        }
        work = ls.account().await.expect("an account");
    }
    assert_ne!(zone_map(&ls, &work).await, net_zones, "two accounts naming zones alike 20 times");
    for a in [&net, &shared, &work] {
        ls.set_time_scale(a, 0.01).await.unwrap();
    }
    let env = format!("central-{}", &net.id()[..6]);
    let cli = Cli::new(BIN, "central", ls.endpoint()).env("AIRGAP_TIME_SCALE", "0.01");
    let mut text = crate::support::hub_spoke(&env, [net.id(), shared.id(), work.id()]);
    text.push_str("endpoints:\n  mode: central\n  vpc: tooling\n");
    cli.write("bp.yaml", &text);

    // apply runs verify first: the plan passes with central endpoints (the cluster's VPC
    // reaches ec2, ecr.api, ecr.dkr and sts through zones).
    cli.run_async(&["apply", "-f", "bp.yaml", "--auto-approve"]).await.expect(0, "apply");

    let shared_conf = ls.sdk_config(&shared).await.unwrap();
    let work_conf = ls.sdk_config(&work).await.unwrap();
    let (shared_ec2, work_ec2) =
        (aws_sdk_ec2::Client::new(&shared_conf), aws_sdk_ec2::Client::new(&work_conf));
    let (shared_r53, work_r53) =
        (aws_sdk_route53::Client::new(&shared_conf), aws_sdk_route53::Client::new(&work_conf));
    let tooling = vpc_id(&shared_ec2, &env, "vpc/tooling").await;
    // Zone `a` of every account is the hub's physical zone `a`: the same zone ID, whatever
    // each account calls it.
    let net_ec2 = aws_sdk_ec2::Client::new(&ls.sdk_config(&net).await.unwrap());
    for az in ["a", "b"] {
        let (hub_name, hub_id) =
            subnet_zone(&net_ec2, &env, &format!("vpc/inspection/subnet/firewall/{az}")).await;
        assert!(hub_name.ends_with(az), "{hub_name}");
        let (_, work_id) =
            subnet_zone(&work_ec2, &env, &format!("vpc/workload/subnet/transit/{az}")).await;
        let (_, tool_id) =
            subnet_zone(&shared_ec2, &env, &format!("vpc/tooling/subnet/transit/{az}")).await;
        assert_eq!((&work_id, &tool_id), (&hub_id, &hub_id), "zone {az}");
    }
    let workload = vpc_id(&work_ec2, &env, "vpc/workload").await;

    // The workload VPC keeps the endpoints only it uses (private DNS on) and has none of
    // the shared services; the tooling VPC has the central ones, private DNS off.
    let eps = |c: &aws_sdk_ec2::Client, vpc: String| {
        let c = c.clone();
        async move {
            let out = c
                .describe_vpc_endpoints()
                .filters(Filter::builder().name("vpc-id").values(vpc).build())
                .send()
                .await
                .unwrap();
            out.vpc_endpoints().to_vec()
        }
    };
    let service = |e: &aws_sdk_ec2::types::VpcEndpoint| {
        e.service_name()
            .unwrap_or_default()
            .trim_start_matches("com.amazonaws.eu-central-1.")
            .to_string()
    };
    let is_interface = |e: &&aws_sdk_ec2::types::VpcEndpoint| {
        e.vpc_endpoint_type().map(|t| t.as_str()) == Some("Interface")
    };
    let work_eps = eps(&work_ec2, workload.clone()).await;
    let own: BTreeSet<String> = work_eps.iter().filter(is_interface).map(service).collect();
    assert_eq!(
        own,
        ["ec2", "eks", "eks-auth", "elasticloadbalancing", "autoscaling"].map(String::from).into(),
        "the workload VPC's own interface endpoints"
    );
    assert!(work_eps.iter().filter(is_interface).all(|e| e.private_dns_enabled() == Some(true)));
    let central = eps(&shared_ec2, tooling.clone()).await;
    let interface: Vec<_> = central.iter().filter(is_interface).collect();
    assert_eq!(interface.len(), 7, "the tooling VPC's seven interface services");
    for e in &interface {
        let central = SHARED.contains(&service(e).as_str());
        assert_eq!(e.private_dns_enabled(), Some(!central), "{}", service(e));
    }

    // A zone per central service in the shared account, each record an alias to that
    // service's endpoint.
    let zs = zones(&shared_r53, &env).await;
    assert_eq!(zs.len(), 4, "{zs:?}");
    for (zid, name) in &zs {
        let sets = shared_r53.list_resource_record_sets().hosted_zone_id(zid).send().await.unwrap();
        let aliases: Vec<_> =
            sets.resource_record_sets().iter().filter_map(|r| r.alias_target()).collect();
        assert!(!aliases.is_empty(), "{name}: alias records");
        let service = airgap_catalog::dns::service_of_zone(name, "eu-central-1").expect(name);
        let ep = interface
            .iter()
            .find(|e| e.service_name() == Some(&format!("com.amazonaws.eu-central-1.{service}")))
            .expect("the service's central endpoint");
        let dns: BTreeSet<String> = ep
            .dns_entries()
            .iter()
            .filter_map(|d| d.dns_name())
            .map(|d| d.to_ascii_lowercase())
            .collect();
        for a in aliases {
            assert!(
                dns.contains(a.dns_name().trim_end_matches('.')),
                "{name} -> {}: {dns:?}",
                a.dns_name()
            );
        }
        if service == "ecr.dkr" {
            let names: Vec<_> = sets.resource_record_sets().iter().map(|r| r.name()).collect();
            assert!(
                names.iter().any(|n| n.starts_with("\\052.") || n.starts_with("*.")),
                "{names:?}"
            );
        }
        // No authorization is left behind.
        let auth = shared_r53
            .list_vpc_association_authorizations()
            .hosted_zone_id(zid)
            .send()
            .await
            .unwrap();
        assert!(auth.vpcs().is_empty(), "{name}: {:?}", auth.vpcs());
    }

    // The workload VPC is associated with exactly the zones of the services it lists,
    // owned by the shared account; the tooling VPC with all of them.
    let by_vpc = |c: &aws_sdk_route53::Client, vpc: &str| {
        let req = c
            .list_hosted_zones_by_vpc()
            .vpc_id(vpc)
            .vpc_region(aws_sdk_route53::types::VpcRegion::EuCentral1);
        async move { req.send().await.unwrap().hosted_zone_summaries().to_vec() }
    };
    let work_zones = by_vpc(&work_r53, &workload).await;
    let names: BTreeSet<&str> = work_zones.iter().map(|z| z.name().trim_end_matches('.')).collect();
    let want: BTreeSet<String> =
        SHARED.iter().map(|s| airgap_catalog::dns::zone_name(s, "eu-central-1").unwrap()).collect();
    assert_eq!(names, want.iter().map(String::as_str).collect());
    assert!(work_zones
        .iter()
        .all(|z| z.owner().and_then(|o| o.owning_account()) == Some(shared.id())));
    assert_eq!(by_vpc(&shared_r53, &tooling).await.len(), 4);

    // verify --live reads the zones: the cluster's VPC reaches ec2 on its own endpoint and
    // ecr.api, ecr.dkr and sts through the central ones.
    let live = |what: &'static str| {
        let cli = &cli;
        async move {
            let run =
                cli.run_async(&["verify", "-f", "bp.yaml", "--live", "--output", "json"]).await;
            let doc: serde_json::Value = serde_json::from_str(&run.stdout)
                .unwrap_or_else(|e| panic!("{what}: {e}\n{}", run.report()));
            let check = doc["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == "eks.node-endpoints")
                .cloned()
                .unwrap();
            (run.code, check)
        }
    };
    let (code, check) = live("as applied").await;
    assert_eq!(code, 0, "{check}");
    assert!(check["evidence"].to_string().contains("sts via vpc/tooling/endpoint/sts"), "{check}");
    // Out of band, the workload VPC leaves the sts zone: its nodes could not reach STS.
    let sts_zone = zs.iter().find(|(_, n)| n.starts_with("sts.")).unwrap().0.clone();
    work_r53
        .disassociate_vpc_from_hosted_zone()
        .hosted_zone_id(&sts_zone)
        .vpc(
            aws_sdk_route53::types::Vpc::builder()
                .vpc_id(&workload)
                .vpc_region(aws_sdk_route53::types::VpcRegion::EuCentral1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (code, check) = live("sts zone left").await;
    assert_eq!(code, 5, "{check}");
    let found = check["findings"].to_string();
    assert!(
        found.contains("vpc/workload") && found.contains("no sts interface endpoint"),
        "{found}"
    );
    // apply puts the association back (authorized again by the zone's owner).
    let again =
        cli.run_async(&["apply", "-f", "bp.yaml", "--auto-approve"]).await.expect(0, "repair");
    assert!(again.stdout.contains("dns/sts/workload"), "{}", again.report());
    assert_eq!(live("repaired").await.0, 0);

    let plan = cli.run_async(&["plan", "-f", "bp.yaml"]).await.expect(0, "re-plan");
    assert!(
        plan.stdout.contains("No changes"),
        "a re-plan after apply is empty:\n{}",
        plan.report()
    );

    cli.run_async(&["destroy", "-f", "bp.yaml", "--auto-approve"]).await.expect(0, "destroy");
    assert!(zones(&shared_r53, &env).await.is_empty(), "zones left after destroy");
}
