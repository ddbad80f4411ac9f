"""EKS: clusters, nodegroups, addons, access entries, updates and the time model."""

import json

import pytest
from botocore.exceptions import ClientError
from conftest import make_network, wait_for

ROLE = "arn:aws:iam::{}:role/eks"


def code(exc):
    return exc.value.response["Error"]["Code"]


TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["eks.amazonaws.com", "ec2.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def role(account, name="eks", trust=TRUST):
    """A role EKS (and EC2, for nodes) can assume, as an account would have it."""
    iam = account.client("iam")
    try:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    except ClientError as e:
        if e.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
    return f"arn:aws:iam::{account.id}:role/{name}"


def cluster(account, name="c1", **kw):
    role(account)
    vpc, subnets = make_network(account.client("ec2"))
    eks = account.client("eks")
    args = dict(
        name=name,
        version="1.30",
        roleArn=ROLE.format(account.id),
        resourcesVpcConfig={
            "subnetIds": subnets,
            "endpointPublicAccess": False,
            "endpointPrivateAccess": True,
        },
        accessConfig={"authenticationMode": "API"},
    )
    args.update(kw)
    return eks, eks.create_cluster(**args)["cluster"], subnets


def test_cluster_nodegroup_addon(account):
    eks, c, subnets = cluster(account)
    assert c["status"] == "CREATING"
    vc = eks.describe_cluster(name="c1")["cluster"]
    assert vc["status"] == "ACTIVE"
    cfg = vc["resourcesVpcConfig"]
    assert cfg["endpointPublicAccess"] is False and cfg["endpointPrivateAccess"] is True
    assert cfg["subnetIds"] == subnets and cfg["vpcId"].startswith("vpc-")
    assert eks.list_clusters()["clusters"] == ["c1"]
    eks.get_waiter("cluster_active").wait(name="c1", WaiterConfig={"Delay": 1})

    with pytest.raises(ClientError) as e:
        cluster(account)
    assert code(e) == "ResourceInUseException"

    ng = eks.create_nodegroup(
        clusterName="c1",
        nodegroupName="ng",
        nodeRole=ROLE.format(account.id),
        subnets=subnets,
        scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 2},
    )["nodegroup"]
    assert ng["status"] == "CREATING"
    eks.get_waiter("nodegroup_active").wait(
        clusterName="c1", nodegroupName="ng", WaiterConfig={"Delay": 1}
    )
    ad = eks.create_addon(clusterName="c1", addonName="vpc-cni")["addon"]
    assert ad["status"] == "CREATING"
    eks.get_waiter("addon_active").wait(
        clusterName="c1", addonName="vpc-cni", WaiterConfig={"Delay": 1}
    )
    assert eks.list_addons(clusterName="c1")["addons"] == ["vpc-cni"]
    with pytest.raises(ClientError) as e:
        eks.create_addon(clusterName="c1", addonName="no-such-addon")
    assert code(e) == "InvalidParameterException"

    # nodegroups block cluster deletion
    with pytest.raises(ClientError) as e:
        eks.delete_cluster(name="c1")
    assert code(e) == "ResourceInUseException"
    eks.delete_addon(clusterName="c1", addonName="vpc-cni")
    eks.delete_nodegroup(clusterName="c1", nodegroupName="ng")
    eks.get_waiter("nodegroup_deleted").wait(
        clusterName="c1", nodegroupName="ng", WaiterConfig={"Delay": 1}
    )
    assert eks.delete_cluster(name="c1")["cluster"]["status"] == "DELETING"
    with pytest.raises(ClientError) as e:
        eks.describe_cluster(name="c1")
    assert code(e) == "ResourceNotFoundException"


def test_updates(account):
    eks, _, subnets = cluster(account)
    # A node group at the cluster's version (the only one CreateNodegroup takes).
    eks.create_nodegroup(
        clusterName="c1",
        nodegroupName="ng",
        nodeRole=ROLE.format(account.id),
        subnets=subnets,
        version="1.30",
    )
    u = eks.update_cluster_version(name="c1", version="1.31")["update"]
    assert u["type"] == "VersionUpdate"
    got = eks.describe_update(name="c1", updateId=u["id"])["update"]
    assert got["status"] == "Successful"
    assert eks.describe_cluster(name="c1")["cluster"]["version"] == "1.31"
    with pytest.raises(ClientError) as e:
        eks.update_cluster_version(name="c1", version="1.33")
    assert code(e) == "InvalidParameterException"

    u = eks.update_cluster_config(
        name="c1",
        resourcesVpcConfig={
            "endpointPublicAccess": True,
            "endpointPrivateAccess": True,
            "publicAccessCidrs": ["203.0.113.0/24"],
        },
    )["update"]
    assert u["type"] == "EndpointAccessUpdate"
    cfg = eks.describe_cluster(name="c1")["cluster"]["resourcesVpcConfig"]
    assert cfg["endpointPublicAccess"] is True and cfg["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert len(eks.list_updates(name="c1")["updateIds"]) == 2

    u = eks.update_nodegroup_version(clusterName="c1", nodegroupName="ng")["update"]
    assert (
        eks.describe_update(name="c1", nodegroupName="ng", updateId=u["id"])["update"]["status"]
        == "Successful"
    )
    assert (
        eks.describe_nodegroup(clusterName="c1", nodegroupName="ng")["nodegroup"]["version"]
        == "1.31"
    )
    eks.update_nodegroup_config(
        clusterName="c1",
        nodegroupName="ng",
        scalingConfig={"minSize": 2, "maxSize": 5, "desiredSize": 3},
        labels={"addOrUpdateLabels": {"role": "system"}},
    )
    ng = eks.describe_nodegroup(clusterName="c1", nodegroupName="ng")["nodegroup"]
    assert ng["scalingConfig"] == {"minSize": 2, "maxSize": 5, "desiredSize": 3}
    assert ng["labels"] == {"role": "system"}


def test_update_in_progress(account, time_scale):
    eks, _, _ = cluster(account)  # scale 0: ACTIVE at once
    time_scale(account, 0.01)  # the 600 s update now takes 6 s
    u = eks.update_cluster_version(name="c1", version="1.31")["update"]
    assert eks.describe_cluster(name="c1")["cluster"]["status"] == "UPDATING"
    with pytest.raises(ClientError) as e:
        eks.update_cluster_version(name="c1", version="1.31")
    assert code(e) == "ResourceInUseException"
    with pytest.raises(ClientError) as e:
        eks.update_cluster_config(
            name="c1", logging={"clusterLogging": [{"types": ["api"], "enabled": True}]}
        )
    assert code(e) == "ResourceInUseException"
    wait_for(
        lambda: (
            eks.describe_update(name="c1", updateId=u["id"])["update"]["status"] == "Successful"
        ),
        15,
    )
    assert eks.describe_cluster(name="c1")["cluster"]["status"] == "ACTIVE"


def test_cluster_time_model(account, time_scale):
    time_scale(account, 0.01)  # 600 s -> 6 s
    eks, c, subnets = cluster(account)
    assert eks.describe_cluster(name="c1")["cluster"]["status"] == "CREATING"
    with pytest.raises(ClientError) as e:
        eks.create_nodegroup(
            clusterName="c1", nodegroupName="ng", nodeRole=ROLE.format(account.id), subnets=subnets
        )
    assert code(e) == "InvalidRequestException"
    # botocore eks InvalidRequestException: "The request is invalid given the state of the
    # cluster" (HTTP 400); CreateAddon lists it as CreateNodegroup does
    with pytest.raises(ClientError) as e:
        eks.create_addon(clusterName="c1", addonName="vpc-cni")
    assert code(e) == "InvalidRequestException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    eks.get_waiter("cluster_active").wait(name="c1", WaiterConfig={"Delay": 1, "MaxAttempts": 30})


def test_a_create_repeated_with_its_token_is_the_first_create(account):
    """EKS API reference, CreateNodegroup, CreateAddon, CreateAccessEntry clientRequestToken:
    "A unique, case-sensitive identifier that you provide to ensure the idempotency of the
    request": a retry after a lost answer is answered with what the first call made; another
    token for the same name is still ResourceInUseException. CreateCluster's the same."""
    eks, c, subnets = cluster(account, clientRequestToken="c-1")
    again = dict(name="c1", version="1.30", roleArn=ROLE.format(account.id))
    again["resourcesVpcConfig"] = {
        "subnetIds": subnets,
        "endpointPublicAccess": False,
        "endpointPrivateAccess": True,
    }
    again["accessConfig"] = {"authenticationMode": "API"}
    repeat = eks.create_cluster(**again, clientRequestToken="c-1")["cluster"]
    assert repeat["arn"] == c["arn"] and repeat["createdAt"] == c["createdAt"]
    eks.get_waiter("cluster_active").wait(name="c1", WaiterConfig={"Delay": 1})
    ng = dict(
        clusterName="c1",
        nodegroupName="ng",
        nodeRole=ROLE.format(account.id),
        subnets=subnets,
        scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 2},
        clientRequestToken="ng-1",
    )
    made = eks.create_nodegroup(**ng)["nodegroup"]["nodegroupArn"]
    assert eks.create_nodegroup(**ng)["nodegroup"]["nodegroupArn"] == made
    assert eks.list_nodegroups(clusterName="c1")["nodegroups"] == ["ng"]
    addon = dict(clusterName="c1", addonName="vpc-cni", clientRequestToken="addon-1")
    made = eks.create_addon(**addon)["addon"]["addonArn"]
    assert eks.create_addon(**addon)["addon"]["addonArn"] == made
    principal = f"arn:aws:iam::{account.id}:role/admin"
    entry = dict(clusterName="c1", principalArn=principal, clientRequestToken="entry-1")
    made = eks.create_access_entry(**entry)["accessEntry"]["accessEntryArn"]
    assert eks.create_access_entry(**entry)["accessEntry"]["accessEntryArn"] == made
    for create, req in [
        (eks.create_nodegroup, ng),
        (eks.create_addon, addon),
        (eks.create_access_entry, entry),
    ]:
        with pytest.raises(ClientError) as e:
            create(**{**req, "clientRequestToken": "other"})
        assert code(e) == "ResourceInUseException"


def test_access_entries(account):
    eks, _, _ = cluster(account)
    principal = f"arn:aws:iam::{account.id}:role/admin"
    e = eks.create_access_entry(clusterName="c1", principalArn=principal, kubernetesGroups=["ops"])
    assert e["accessEntry"]["principalArn"] == principal
    with pytest.raises(ClientError) as ex:
        eks.create_access_entry(clusterName="c1", principalArn=principal)
    assert code(ex) == "ResourceInUseException"
    pol = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    eks.associate_access_policy(
        clusterName="c1", principalArn=principal, policyArn=pol, accessScope={"type": "cluster"}
    )
    got = eks.list_associated_access_policies(clusterName="c1", principalArn=principal)
    assert [p["policyArn"] for p in got["associatedAccessPolicies"]] == [pol]
    root = f"arn:aws:iam::{account.id}:root"  # creator's entry (bootstrapClusterCreatorAdmin...)
    assert eks.list_access_entries(clusterName="c1")["accessEntries"] == sorted([principal, root])
    assert eks.list_access_entries(clusterName="c1", associatedPolicyArn=pol)[
        "accessEntries"
    ] == sorted([principal, root])
    eks.disassociate_access_policy(clusterName="c1", principalArn=principal, policyArn=pol)
    eks.delete_access_entry(clusterName="c1", principalArn=principal)
    assert eks.list_access_entries(clusterName="c1")["accessEntries"] == [root]

    # CONFIG_MAP clusters reject access entries: 400 InvalidRequestException, "The cluster's
    # authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this
    # operation." (CreateAccessEntry: alphagov/govuk-infrastructure#1917; DescribeAccessEntry:
    # upbound/configuration-aws-eks#122)
    eks2, _, _ = cluster(account, name="c2", accessConfig={"authenticationMode": "CONFIG_MAP"})
    for call in (
        lambda: eks2.create_access_entry(clusterName="c2", principalArn=principal),
        lambda: eks2.describe_access_entry(clusterName="c2", principalArn=principal),
        lambda: eks2.list_access_entries(clusterName="c2"),
    ):
        with pytest.raises(ClientError) as ex:
            call()
        assert code(ex) == "InvalidRequestException"
        assert "must be set to one of [API, API_AND_CONFIG_MAP]" in ex.value.response["Error"][
            "Message"
        ]


def test_cluster_validation(account):
    vpc, subnets = make_network(account.client("ec2"), azs=("us-east-1a",))
    eks = account.client("eks")
    with pytest.raises(ClientError) as e:
        eks.create_cluster(
            name="x", roleArn=ROLE.format(account.id), resourcesVpcConfig={"subnetIds": subnets}
        )
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        eks.describe_cluster(name="nope")
    assert code(e) == "ResourceNotFoundException"


def test_delete_time_model(account, time_scale):
    eks, _, subnets = cluster(account)
    eks.create_nodegroup(
        clusterName="c1", nodegroupName="ng", nodeRole=ROLE.format(account.id), subnets=subnets
    )
    time_scale(account, 0.01)  # nodegroup delete 300 s -> 3 s, cluster delete 900 s -> 9 s
    eks.delete_nodegroup(clusterName="c1", nodegroupName="ng")
    ng = eks.describe_nodegroup(clusterName="c1", nodegroupName="ng")["nodegroup"]
    assert ng["status"] == "DELETING"
    eks.get_waiter("nodegroup_deleted").wait(
        clusterName="c1", nodegroupName="ng", WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    eks.delete_cluster(name="c1")
    assert eks.describe_cluster(name="c1")["cluster"]["status"] == "DELETING"
    eks.get_waiter("cluster_deleted").wait(name="c1", WaiterConfig={"Delay": 1, "MaxAttempts": 40})


def test_addon_versions_follow_the_table_per_kubernetes_version(account):
    """DescribeAddonVersions per add-on and Kubernetes minor, as the EKS user guide's version
    tables list them (eks.py ADDON_TABLE); with kubernetesVersion, each version's
    compatibilities hold that minor only, one of them the default."""
    eks, _, _ = cluster(account)  # 1.30
    out = eks.describe_addon_versions(addonName="kube-proxy", kubernetesVersion="1.31")["addons"]
    [info] = out
    assert info["type"] == "networking"
    assert [v["addonVersion"] for v in info["addonVersions"]] == [
        "v1.31.14-eksbuild.9",
        "v1.31.13-eksbuild.2",
    ]
    assert info["addonVersions"][0]["compatibilities"] == [
        {"clusterVersion": "1.31", "platformVersions": ["*"], "defaultVersion": True}
    ]
    assert info["addonVersions"][1]["compatibilities"][0]["defaultVersion"] is False
    # without kubernetesVersion: one entry per add-on version, each with every minor it serves
    every = eks.describe_addon_versions(addonName="vpc-cni")["addons"][0]["addonVersions"]
    names = [v["addonVersion"] for v in every]
    assert len(names) == len(set(names))
    [v120] = [v for v in every if v["addonVersion"] == "v1.20.1-eksbuild.3"]
    assert {c["clusterVersion"] for c in v120["compatibilities"]} == {
        "1.28", "1.29", "1.30", "1.31", "1.32", "1.33"
    }
    for name in ("vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent"):
        for minor in ("1.28", "1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35"):
            [a] = eks.describe_addon_versions(addonName=name, kubernetesVersion=minor)["addons"]
            flags = [c["defaultVersion"] for v in a["addonVersions"] for c in v["compatibilities"]]
            assert flags.count(True) == 1, (name, minor)
    # a new add-on gets the default of its cluster's version (c1 is 1.30)
    ad = eks.create_addon(clusterName="c1", addonName="kube-proxy")["addon"]
    assert ad["addonVersion"] == "v1.30.14-eksbuild.28"
    ad = eks.create_addon(clusterName="c1", addonName="coredns")["addon"]
    assert ad["addonVersion"] == "v1.11.4-eksbuild.33"


def test_describe_addon_versions_pages_the_add_ons(account):
    eks = account.client("eks")
    first = eks.describe_addon_versions(kubernetesVersion="1.32", maxResults=2)
    assert len(first["addons"]) == 2 and first["nextToken"]
    names = [a["addonName"] for a in first["addons"]]
    token = first["nextToken"]
    while token:
        page = eks.describe_addon_versions(kubernetesVersion="1.32", maxResults=2, nextToken=token)
        names += [a["addonName"] for a in page["addons"]]
        token = page.get("nextToken")
    assert len(names) == len(set(names))
    assert {"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent"} <= set(names)


def test_an_addon_version_not_offered_for_the_cluster_version_is_refused(account):
    """hashicorp/terraform-provider-aws#20559, #32238, aws/aws-sdk-go-v2#2554: HTTP 400,
    InvalidParameterException, "Addon version specified is not supported"."""
    eks, _, _ = cluster(account)  # 1.30
    with pytest.raises(ClientError) as e:
        eks.create_addon(clusterName="c1", addonName="kube-proxy", addonVersion="v1.35.3-eksbuild.2")
    assert code(e) == "InvalidParameterException"
    assert e.value.response["Error"]["Message"] == "Addon version specified is not supported"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    ad = eks.create_addon(
        clusterName="c1", addonName="kube-proxy", addonVersion="v1.30.14-eksbuild.8"
    )["addon"]
    assert ad["addonVersion"] == "v1.30.14-eksbuild.8"
    eks.get_waiter("addon_active").wait(
        clusterName="c1", addonName="kube-proxy", WaiterConfig={"Delay": 1}
    )
    with pytest.raises(ClientError) as e:
        eks.update_addon(clusterName="c1", addonName="kube-proxy", addonVersion="v9.9.9-eksbuild.1")
    assert code(e) == "InvalidParameterException"
    u = eks.update_addon(
        clusterName="c1", addonName="kube-proxy", addonVersion="v1.30.14-eksbuild.28"
    )["update"]
    assert u["type"] == "AddonUpdate"


def test_the_cluster_security_group_and_interfaces_are_ec2_objects(account):
    """EKS user guide: the cluster security group eks-cluster-sg-<name>-<id>, tagged
    aws:eks:cluster-name and kubernetes.io/cluster/<name>=owned; requester-managed network
    interfaces described "Amazon EKS <name>" in the subnets given, which hold them."""
    eks, c, subnets = cluster(account)
    ec2 = account.client("ec2")
    sg_id = c["resourcesVpcConfig"]["clusterSecurityGroupId"]
    [sg] = ec2.describe_security_groups(GroupIds=[sg_id])["SecurityGroups"]
    assert sg["GroupName"].startswith("eks-cluster-sg-c1-")
    assert sg["VpcId"] == c["resourcesVpcConfig"]["vpcId"]
    tags = {t["Key"]: t["Value"] for t in sg.get("Tags", [])}
    assert tags == {"aws:eks:cluster-name": "c1", "kubernetes.io/cluster/c1": "owned"}
    enis = ec2.describe_network_interfaces(
        Filters=[{"Name": "description", "Values": ["Amazon EKS c1"]}]
    )["NetworkInterfaces"]
    assert 2 <= len(enis) <= 4
    assert {e["SubnetId"] for e in enis} <= set(subnets)
    assert all(e["RequesterManaged"] for e in enis)
    assert all(sg_id in [g["GroupId"] for g in e["Groups"]] for e in enis)
    held = enis[0]["SubnetId"]
    with pytest.raises(ClientError) as e:
        ec2.delete_subnet(SubnetId=held)
    assert code(e) == "DependencyViolation"
    with pytest.raises(ClientError) as e:
        ec2.delete_security_group(GroupId=sg_id)
    assert code(e) == "DependencyViolation"
    # an update keeps the group
    eks.update_cluster_config(name="c1", logging={"clusterLogging": [{"types": ["api"], "enabled": True}]})
    cfg = eks.describe_cluster(name="c1")["cluster"]["resourcesVpcConfig"]
    assert cfg["clusterSecurityGroupId"] == sg_id
    # gone with the cluster: the subnets and the VPC can be deleted
    eks.delete_cluster(name="c1")
    eks.get_waiter("cluster_deleted").wait(name="c1", WaiterConfig={"Delay": 1})
    assert not ec2.describe_network_interfaces(
        Filters=[{"Name": "description", "Values": ["Amazon EKS c1"]}]
    )["NetworkInterfaces"]
    with pytest.raises(ClientError) as e:
        ec2.describe_security_groups(GroupIds=[sg_id])
    assert code(e) == "InvalidGroup.NotFound"
    for sid in subnets:
        ec2.delete_subnet(SubnetId=sid)
    ec2.delete_vpc(VpcId=c["resourcesVpcConfig"]["vpcId"])


def test_the_cluster_network_is_released_while_deleting_even_if_its_vpc_went(
    account, time_scale
):
    """What EKS made goes when the cluster does, whatever of it is gone already."""
    eks, c, subnets = cluster(account)
    time_scale(account, 0.01)  # cluster delete 900 s -> 9 s
    eks.delete_cluster(name="c1")
    # the network interfaces stay while the cluster is DELETING
    ec2 = account.client("ec2")
    filt = [{"Name": "description", "Values": ["Amazon EKS c1"]}]
    assert ec2.describe_network_interfaces(Filters=filt)["NetworkInterfaces"]
    with pytest.raises(ClientError) as e:
        ec2.delete_subnet(SubnetId=subnets[0])
    assert code(e) == "DependencyViolation"
    # someone removes one interface meanwhile (as a manual cleanup would)
    eni = ec2.describe_network_interfaces(Filters=filt)["NetworkInterfaces"][0]["NetworkInterfaceId"]
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    eks.get_waiter("cluster_deleted").wait(name="c1", WaiterConfig={"Delay": 1, "MaxAttempts": 40})
    assert not ec2.describe_network_interfaces(Filters=filt)["NetworkInterfaces"]
    for sid in subnets:
        ec2.delete_subnet(SubnetId=sid)


def test_a_disabled_secrets_key_is_a_cluster_health_issue(account):
    """API reference ClusterIssue codes KmsKeyDisabled, KmsKeyMarkedForDeletion,
    KmsKeyNotFound: reported in the cluster's health while the key is in that state. The
    calls themselves are not refused (no recorded AWS refusal)."""
    kms = account.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    kms.disable_key(KeyId=key)
    enc = [{"resources": ["secrets"], "provider": {"keyArn": key}}]
    eks, c, _ = cluster(account, encryptionConfig=enc)
    assert eks.describe_cluster(name="c1")["cluster"]["health"]["issues"] == [
        {
            "code": "KmsKeyDisabled",
            "message": f"The KMS key {key} used for envelope encryption is disabled.",
            "resourceIds": [key],
        }
    ]
    kms.enable_key(KeyId=key)
    assert eks.describe_cluster(name="c1")["cluster"]["health"]["issues"] == []
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    [issue] = eks.describe_cluster(name="c1")["cluster"]["health"]["issues"]
    assert issue["code"] == "KmsKeyMarkedForDeletion"
    # AssociateEncryptionConfig with a disabled key: accepted, then the issue shows
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=other)
    eks.create_cluster(
        name="c2",
        roleArn=ROLE.format(account.id),
        resourcesVpcConfig={"subnetIds": c["resourcesVpcConfig"]["subnetIds"]},
    )
    eks.associate_encryption_config(
        clusterName="c2", encryptionConfig=[{"provider": {"keyArn": other}}]
    )
    [issue] = eks.describe_cluster(name="c2")["cluster"]["health"]["issues"]
    assert issue["code"] == "KmsKeyDisabled"
    missing = f"arn:aws:kms:us-east-1:{account.id}:key/00000000-0000-0000-0000-000000000000"
    eks.create_cluster(
        name="c3",
        roleArn=ROLE.format(account.id),
        resourcesVpcConfig={"subnetIds": c["resourcesVpcConfig"]["subnetIds"]},
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": missing}}],
    )
    [issue] = eks.describe_cluster(name="c3")["cluster"]["health"]["issues"]
    assert issue["code"] == "KmsKeyNotFound"


def test_nodegroup_with_a_custom_ami_launch_template(account):
    eks, _, subnets = cluster(account)
    ec2 = account.client("ec2")
    lt = ec2.create_launch_template(
        LaunchTemplateName="nodes", LaunchTemplateData={"ImageId": "ami-0123456789abcdef0"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    args = dict(
        clusterName="c1",
        nodeRole=ROLE.format(account.id),
        subnets=subnets,
        scalingConfig={"minSize": 1, "maxSize": 2, "desiredSize": 1},
    )
    with pytest.raises(ClientError) as e:
        eks.create_nodegroup(
            nodegroupName="nope", launchTemplate={"id": "lt-0000000000000000a"}, **args
        )
    assert code(e) == "InvalidParameterException"
    ng = eks.create_nodegroup(
        nodegroupName="custom", launchTemplate={"id": lt, "version": "1"}, **args
    )["nodegroup"]
    assert ng["amiType"] == "CUSTOM"
    assert ng["launchTemplate"] == {"id": lt, "name": "nodes", "version": "1"}
    eks.get_waiter("nodegroup_active").wait(
        clusterName="c1", nodegroupName="custom", WaiterConfig={"Delay": 1}
    )
    ec2.create_launch_template_version(
        LaunchTemplateId=lt, LaunchTemplateData={"ImageId": "ami-0fedcba9876543210"}
    )
    u = eks.update_nodegroup_version(
        clusterName="c1", nodegroupName="custom", launchTemplate={"id": lt, "version": "2"}
    )["update"]
    assert u["type"] == "VersionUpdate"
    eks.get_waiter("nodegroup_active").wait(
        clusterName="c1", nodegroupName="custom", WaiterConfig={"Delay": 1}
    )
    got = eks.describe_nodegroup(clusterName="c1", nodegroupName="custom")["nodegroup"]
    assert got["launchTemplate"]["version"] == "2"


def test_cluster_upgrade_waits_for_node_groups_on_its_version(account):
    """botocore UpdateClusterVersion: "all of your node groups' Kubernetes versions must
    match the cluster's Kubernetes version in order to update the cluster to a new
    Kubernetes version"."""
    eks, _, subnets = cluster(account)  # 1.30
    eks.create_nodegroup(
        clusterName="c1", nodegroupName="ng", nodeRole=ROLE.format(account.id), subnets=subnets
    )
    eks.update_cluster_version(name="c1", version="1.31")
    with pytest.raises(ClientError) as e:
        eks.update_cluster_version(name="c1", version="1.32")
    assert code(e) == "InvalidParameterException"
    assert "ng" in e.value.response["Error"]["Message"]
    eks.update_nodegroup_version(clusterName="c1", nodegroupName="ng")
    u = eks.update_cluster_version(name="c1", version="1.32")["update"]
    assert u["type"] == "VersionUpdate"
    assert eks.describe_cluster(name="c1")["cluster"]["version"] == "1.32"


def test_associate_encryption_config_enables_secrets_encryption_once(account):
    """botocore AssociateEncryptionConfig: enables encryption on a cluster that does not
    have it, as an update followed with DescribeUpdate."""
    eks, _, _ = cluster(account)
    key = account.client("kms").create_key()["KeyMetadata"]["Arn"]
    config = [{"resources": ["secrets"], "provider": {"keyArn": key}}]
    with pytest.raises(ClientError) as e:
        eks.associate_encryption_config(
            clusterName="c1",
            encryptionConfig=[{"resources": ["configmaps"], "provider": {"keyArn": key}}],
        )
    assert code(e) == "InvalidParameterException"
    u = eks.associate_encryption_config(clusterName="c1", encryptionConfig=config)["update"]
    assert u["type"] == "AssociateEncryptionConfig"
    got = eks.describe_update(name="c1", updateId=u["id"])["update"]
    assert got["status"] == "Successful"
    assert eks.describe_cluster(name="c1")["cluster"]["encryptionConfig"] == config
    with pytest.raises(ClientError) as e:
        eks.associate_encryption_config(clusterName="c1", encryptionConfig=config)
    assert code(e) == "InvalidRequestException"


def test_roles_eks_cannot_assume_are_refused(account):
    """The cluster role must trust eks.amazonaws.com, the node role ec2.amazonaws.com."""
    vpc, subnets = make_network(account.client("ec2"))
    eks = account.client("eks")
    args = dict(name="c2", resourcesVpcConfig={"subnetIds": subnets})
    with pytest.raises(ClientError) as e:
        eks.create_cluster(roleArn=f"arn:aws:iam::{account.id}:role/missing", **args)
    assert code(e) == "InvalidParameterException"
    assert "could not be assumed" in e.value.response["Error"]["Message"]
    ec2_only = TRUST.replace('"eks.amazonaws.com", ', "")
    with pytest.raises(ClientError) as e:
        eks.create_cluster(roleArn=role(account, "nodes-only", ec2_only), **args)
    assert code(e) == "InvalidParameterException"
    eks.create_cluster(roleArn=role(account), **args)
    eks_only = TRUST.replace(', "ec2.amazonaws.com"', "")
    with pytest.raises(ClientError) as e:
        eks.create_nodegroup(
            clusterName="c2",
            nodegroupName="ng",
            nodeRole=role(account, "control-plane-only", eks_only),
            subnets=subnets,
        )
    assert code(e) == "InvalidParameterException"


def test_node_group_versions_eks_refuses(account):
    """botocore CreateNodegroupRequest.version: the cluster's version is "the only
    accepted specified value", and none beside a launch template with a custom AMI."""
    eks, _, subnets = cluster(account)  # 1.30
    args = dict(clusterName="c1", nodeRole=role(account), subnets=subnets)
    with pytest.raises(ClientError) as e:
        eks.create_nodegroup(nodegroupName="ahead", version="1.31", **args)
    assert code(e) == "InvalidParameterException"
    ec2 = account.client("ec2")
    lt = ec2.create_launch_template(
        LaunchTemplateName="custom", LaunchTemplateData={"ImageId": "ami-0123456789abcdef0"}
    )["LaunchTemplate"]["LaunchTemplateId"]
    with pytest.raises(ClientError) as e:
        eks.create_nodegroup(
            nodegroupName="custom", version="1.30", launchTemplate={"id": lt}, **args
        )
    assert code(e) == "InvalidParameterException"
    eks.create_nodegroup(nodegroupName="custom", launchTemplate={"id": lt}, **args)
    eks.get_waiter("nodegroup_active").wait(
        clusterName="c1", nodegroupName="custom", WaiterConfig={"Delay": 1}
    )
    with pytest.raises(ClientError) as e:
        eks.update_nodegroup_version(clusterName="c1", nodegroupName="custom", version="1.30")
    assert code(e) == "InvalidParameterException"


def test_a_cluster_update_that_changes_nothing_is_refused(account):
    """AWS refuses an UpdateClusterConfig that changes nothing (400 InvalidParameterException):
    "Cluster is already at the desired configuration with endpointPrivateAccess: ..."
    (eksctl-io/eksctl#4043), "No changes needed for the logging config provided"
    (aws-quickstart/quickstart-amazon-eks-cluster-resource-provider#38); two kinds of change
    in one call: "Only one type of update can be allowed." (crossplane provider-aws#642)."""
    eks, _, subnets = cluster(account)  # private only
    with pytest.raises(ClientError) as e:
        eks.update_cluster_config(
            name="c1",
            resourcesVpcConfig={"endpointPublicAccess": False, "endpointPrivateAccess": True},
        )
    assert code(e) == "InvalidParameterException"
    assert e.value.response["Error"]["Message"].startswith(
        "Cluster is already at the desired configuration with endpointPrivateAccess: true , "
        "endpointPublicAccess: false"
    )
    with pytest.raises(ClientError) as e:
        eks.update_cluster_config(name="c1", resourcesVpcConfig={"subnetIds": subnets[::-1]})
    assert code(e) == "InvalidParameterException"
    # neither endpoint: rancher/rancher#28158 (400)
    with pytest.raises(ClientError) as e:
        eks.update_cluster_config(
            name="c1",
            resourcesVpcConfig={"endpointPublicAccess": False, "endpointPrivateAccess": False},
        )
    assert e.value.response["Error"]["Message"] == (
        "Both private and public endpoint access cannot be false"
    )

    # logging: all types off at creation; turning them off again is no change
    off = {"clusterLogging": [{"types": ["api", "audit"], "enabled": False}]}
    with pytest.raises(ClientError) as e:
        eks.update_cluster_config(name="c1", logging=off)
    assert code(e) == "InvalidParameterException"
    assert e.value.response["Error"]["Message"] == (
        "No changes needed for the logging config provided"
    )
    on = {"clusterLogging": [{"types": ["api", "audit"], "enabled": True}]}
    assert eks.update_cluster_config(name="c1", logging=on)["update"]["type"] == "LoggingUpdate"
    # the types the request leaves out keep their state; DescribeCluster groups them
    assert eks.describe_cluster(name="c1")["cluster"]["logging"] == {
        "clusterLogging": [
            {"types": ["api", "audit"], "enabled": True},
            {"types": ["authenticator", "controllerManager", "scheduler"], "enabled": False},
        ]
    }
    with pytest.raises(ClientError) as e:
        eks.update_cluster_config(
            name="c1", logging={"clusterLogging": [{"types": ["api"], "enabled": True}]}
        )
    assert code(e) == "InvalidParameterException"

    with pytest.raises(ClientError) as e:
        eks.update_cluster_config(
            name="c1",
            logging=off,
            resourcesVpcConfig={"endpointPublicAccess": True, "endpointPrivateAccess": True},
        )
    assert code(e) == "InvalidParameterException"
    assert e.value.response["Error"]["Message"] == "Only one type of update can be allowed."


def test_cluster_subnets_update_in_two_zones(account):
    """botocore UpdateClusterConfig: "You must specify at least two subnets that are in
    different Availability Zones"; a change of subnets only is a VpcConfigUpdate (UpdateType),
    with Subnets and SecurityGroups parameters (UpdateParamType)."""
    eks, _, subnets = cluster(account)
    ec2 = account.client("ec2")
    vpc = eks.describe_cluster(name="c1")["cluster"]["resourcesVpcConfig"]["vpcId"]
    third = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.9.0/24", AvailabilityZone="us-east-1a")
    third = third["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as e:
        eks.update_cluster_config(name="c1", resourcesVpcConfig={"subnetIds": [subnets[0], third]})
    assert code(e) == "InvalidParameterException"
    u = eks.update_cluster_config(
        name="c1", resourcesVpcConfig={"subnetIds": [third, subnets[1]]}
    )["update"]
    assert u["type"] == "VpcConfigUpdate"
    assert {p["type"] for p in u["params"]} == {"Subnets", "SecurityGroups"}
    cfg = eks.describe_cluster(name="c1")["cluster"]["resourcesVpcConfig"]
    assert cfg["subnetIds"] == [third, subnets[1]]


def test_busy_clusters_answer_as_aws_does(account, time_scale):
    """While an update runs: 409 ResourceInUseException, "Cannot <type> because cluster <name>
    currently has update <id> in progress" (aws-controllers-k8s/community#1192,
    aws/aws-cdk#33452); DeleteCluster: "Cannot delete because cluster <name> currently has an
    update in progress" (aws/containers-roadmap#1511); with node groups: "Cluster has
    nodegroups attached" (gruntwork-io/cloud-nuke#148)."""
    eks, _, subnets = cluster(account)
    eks.create_nodegroup(
        clusterName="c1", nodegroupName="ng", nodeRole=ROLE.format(account.id), subnets=subnets
    )
    with pytest.raises(ClientError) as e:
        eks.delete_cluster(name="c1")
    assert code(e) == "ResourceInUseException"
    assert e.value.response["Error"]["Message"] == "Cluster has nodegroups attached"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    eks.delete_nodegroup(clusterName="c1", nodegroupName="ng")

    time_scale(account, 0.01)
    u = eks.update_cluster_config(
        name="c1", resourcesVpcConfig={"endpointPublicAccess": True, "endpointPrivateAccess": True}
    )["update"]
    with pytest.raises(ClientError) as e:
        eks.update_cluster_config(
            name="c1", logging={"clusterLogging": [{"types": ["api"], "enabled": True}]}
        )
    assert code(e) == "ResourceInUseException"
    assert e.value.response["Error"]["Message"] == (
        f"Cannot LoggingUpdate because cluster c1 currently has update {u['id']} in progress"
    )
    with pytest.raises(ClientError) as e:
        eks.update_cluster_version(name="c1", version="1.31")
    assert code(e) == "ResourceInUseException"
    assert e.value.response["Error"]["Message"].startswith("Cannot VersionUpdate because")
    with pytest.raises(ClientError) as e:
        eks.delete_cluster(name="c1")
    assert code(e) == "ResourceInUseException"
    assert e.value.response["Error"]["Message"] == (
        "Cannot delete because cluster c1 currently has an update in progress"
    )


def test_node_group_sizes_are_checked(account):
    """AWS's answers (400 InvalidParameterException): "Minimum capacity 8 can't be greater than
    desired size 4" (terraform-aws-modules/terraform-aws-eks#3306), "desiredSize can't be
    greater than maxSize" (ministryofjustice/cloud-platform-infrastructure#4595),
    "max-unavailable must be within the range 1 and max size of the node group"
    (hashicorp/terraform-provider-aws#26551, CreateNodegroup)."""
    eks, _, subnets = cluster(account)
    base = dict(clusterName="c1", nodeRole=ROLE.format(account.id), subnets=subnets)
    with pytest.raises(ClientError) as e:
        eks.create_nodegroup(
            nodegroupName="a",
            scalingConfig={"minSize": 1, "maxSize": 2, "desiredSize": 2},
            updateConfig={"maxUnavailable": 3},
            **base,
        )
    assert code(e) == "InvalidParameterException"
    assert "max-unavailable must be within the range 1" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        eks.create_nodegroup(
            nodegroupName="a", scalingConfig={"minSize": 1, "maxSize": 2, "desiredSize": 3}, **base
        )
    assert e.value.response["Error"]["Message"] == "desiredSize can't be greater than maxSize"
    eks.create_nodegroup(
        nodegroupName="a", scalingConfig={"minSize": 4, "maxSize": 8, "desiredSize": 4}, **base
    )
    with pytest.raises(ClientError) as e:
        eks.update_nodegroup_config(
            clusterName="c1",
            nodegroupName="a",
            scalingConfig={"minSize": 8, "maxSize": 16},
        )
    assert code(e) == "InvalidParameterException"
    assert e.value.response["Error"]["Message"] == (
        "Minimum capacity 8 can't be greater than desired size 4"
    )
    eks.update_nodegroup_config(
        clusterName="c1",
        nodegroupName="a",
        scalingConfig={"minSize": 8, "maxSize": 16, "desiredSize": 8},
    )


def test_access_entry_types_and_groups(account):
    """botocore CreateAccessEntryRequest.type: STANDARD by default; "If you set the value to
    EC2_LINUX or EC2_WINDOWS, you can't specify values for kubernetesGroups, or associate an
    AccessPolicy". AWS's answers: "The kubernetes group name system:nodes is invalid, it cannot
    start with system" (eksctl-io/eksctl#7446, aws/karpenter-provider-aws#7558 on
    UpdateAccessEntry); 'This operation can only be performed on Access Entries with a type of
    "STANDARD".' (aws-controllers-k8s/community#2144), both 400 InvalidParameterException."""
    eks, _, _ = cluster(account)
    std = f"arn:aws:iam::{account.id}:role/std"
    node = f"arn:aws:iam::{account.id}:role/node"
    pol = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
    with pytest.raises(ClientError) as e:
        eks.create_access_entry(clusterName="c1", principalArn=std, kubernetesGroups=["system:x"])
    assert code(e) == "InvalidParameterException"
    assert "cannot start with system:" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        eks.create_access_entry(clusterName="c1", principalArn=std, type="NODE")
    assert code(e) == "InvalidParameterException"
    entry = eks.create_access_entry(
        clusterName="c1", principalArn=std, kubernetesGroups=["ops"], tags={"env": "t"}
    )["accessEntry"]
    assert entry["type"] == "STANDARD" and entry["tags"] == {"env": "t"}
    with pytest.raises(ClientError) as e:
        eks.update_access_entry(clusterName="c1", principalArn=std, kubernetesGroups=["system:y"])
    assert code(e) == "InvalidParameterException"

    with pytest.raises(ClientError) as e:
        eks.create_access_entry(
            clusterName="c1", principalArn=node, type="EC2_LINUX", kubernetesGroups=["ops"]
        )
    assert code(e) == "InvalidParameterException"
    eks.create_access_entry(clusterName="c1", principalArn=node, type="EC2_LINUX")
    with pytest.raises(ClientError) as e:
        eks.associate_access_policy(
            clusterName="c1", principalArn=node, policyArn=pol, accessScope={"type": "cluster"}
        )
    assert code(e) == "InvalidParameterException"
    assert e.value.response["Error"]["Message"] == (
        'This operation can only be performed on Access Entries with a type of "STANDARD".'
    )

    # ListAccessEntries pages with maxResults/nextToken (botocore eks ListAccessEntries)
    page = eks.list_access_entries(clusterName="c1", maxResults=2)
    rest = eks.list_access_entries(clusterName="c1", nextToken=page["nextToken"])
    root = f"arn:aws:iam::{account.id}:root"
    assert page["accessEntries"] + rest["accessEntries"] == sorted([std, node, root])
    assert "nextToken" not in rest


def test_an_addon_that_exists_is_not_created_again(account):
    """CreateAddon of an add-on that exists: HTTP 409 ResourceInUseException, "Addon already
    exists." (aws/eks-hybrid#316, eksctl-io/eksctl#5444, wandb/terraform-aws-wandb#230).
    CreateAddon takes resolveConflicts PRESERVE (botocore CreateAddonRequest.resolveConflicts
    documents it for create)."""
    eks, _, _ = cluster(account)
    eks.create_addon(clusterName="c1", addonName="vpc-cni", resolveConflicts="PRESERVE")
    with pytest.raises(ClientError) as e:
        eks.create_addon(clusterName="c1", addonName="vpc-cni")
    assert code(e) == "ResourceInUseException"
    assert e.value.response["Error"]["Message"] == "Addon already exists."
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_addon_updates_wait_for_the_addon_and_deletes_do_not(account, time_scale):
    """UpdateAddon while the add-on is CREATING or UPDATING: HTTP 409 ResourceInUseException,
    "Addon vpc-cni cannot be updated as it is currently in CREATING state"
    (eksctl-io/eksctl#8091; UPDATING: awslabs/cdk-eks-blueprints#447). An UpdateAddon that
    changes nothing starts an update (eksctl-io/eksctl#5803, aws/aws-sdk-go-v2#2554).
    DeleteAddon has no ResourceInUseException (botocore eks DeleteAddon errors): taken while
    UPDATING; the add-on is DELETING, then gone (waiter AddonDeleted)."""
    eks, _, _ = cluster(account)  # scale 0: ACTIVE at once
    time_scale(account, 0.05)  # add-on create and update 90 s -> 4.5 s, delete 60 s -> 3 s
    eks.create_addon(clusterName="c1", addonName="vpc-cni")
    with pytest.raises(ClientError) as e:
        eks.update_addon(clusterName="c1", addonName="vpc-cni", resolveConflicts="OVERWRITE")
    assert code(e) == "ResourceInUseException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert e.value.response["Error"]["Message"] == (
        "Addon vpc-cni cannot be updated as it is currently in CREATING state"
    )
    eks.get_waiter("addon_active").wait(
        clusterName="c1", addonName="vpc-cni", WaiterConfig={"Delay": 1, "MaxAttempts": 20}
    )

    # nothing to change: still an update
    u = eks.update_addon(clusterName="c1", addonName="vpc-cni", resolveConflicts="PRESERVE")
    assert u["update"]["type"] == "AddonUpdate" and u["update"]["status"] == "InProgress"
    assert eks.describe_addon(clusterName="c1", addonName="vpc-cni")["addon"]["status"] == (
        "UPDATING"
    )
    with pytest.raises(ClientError) as e:
        eks.update_addon(clusterName="c1", addonName="vpc-cni", resolveConflicts="OVERWRITE")
    assert code(e) == "ResourceInUseException"
    assert e.value.response["Error"]["Message"] == (
        "Addon vpc-cni cannot be updated as it is currently in UPDATING state"
    )

    assert eks.delete_addon(clusterName="c1", addonName="vpc-cni")["addon"]["status"] == (
        "DELETING"
    )
    got = eks.describe_addon(clusterName="c1", addonName="vpc-cni")["addon"]
    assert got["status"] == "DELETING"
    eks.get_waiter("addon_deleted").wait(
        clusterName="c1", addonName="vpc-cni", WaiterConfig={"Delay": 1, "MaxAttempts": 20}
    )
    with pytest.raises(ClientError) as e:
        eks.describe_addon(clusterName="c1", addonName="vpc-cni")
    assert code(e) == "ResourceNotFoundException"
