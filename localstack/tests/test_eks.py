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
    eks.get_waiter("cluster_active").wait(name="c1", WaiterConfig={"Delay": 1, "MaxAttempts": 30})


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

    # CONFIG_MAP clusters reject access entries
    eks2, _, _ = cluster(account, name="c2", accessConfig={"authenticationMode": "CONFIG_MAP"})
    with pytest.raises(ClientError) as ex:
        eks2.create_access_entry(clusterName="c2", principalArn=principal)
    assert code(ex) == "InvalidRequestException"


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


def test_addon_default_versions_follow_kubernetes_where_aws_does(account):
    eks, _, _ = cluster(account)
    out = eks.describe_addon_versions(addonName="kube-proxy", kubernetesVersion="1.31")["addons"]
    [info] = out[0]["addonVersions"]
    assert info["addonVersion"] == "v1.31.0-eksbuild.1"
    assert info["compatibilities"] == [
        {"clusterVersion": "1.31", "platformVersions": ["*"], "defaultVersion": True}
    ]
    every = eks.describe_addon_versions(addonName="kube-proxy")["addons"][0]["addonVersions"]
    assert len(every) == len({v["addonVersion"] for v in every}) > 1
    # vpc-cni: one version, the default on every Kubernetes version
    [cni] = eks.describe_addon_versions(addonName="vpc-cni")["addons"][0]["addonVersions"]
    assert len(cni["compatibilities"]) > 1
    # a new add-on gets the default of its cluster's version (c1 is 1.30)
    ad = eks.create_addon(clusterName="c1", addonName="kube-proxy")["addon"]
    assert ad["addonVersion"] == "v1.30.0-eksbuild.1"


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
