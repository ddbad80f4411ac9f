"""ECR through moto (the free LocalStack edition has no ECR provider)."""

import json

import pytest
from botocore.exceptions import ClientError


def test_repositories_and_images(account):
    ecr = account.client("ecr")
    repo = ecr.create_repository(repositoryName="mirror/pause")["repository"]
    assert repo["repositoryUri"].endswith("/mirror/pause")
    assert repo["registryId"] == account.id
    manifest = '{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000"}, "layers": []}'
    ecr.put_image(repositoryName="mirror/pause", imageManifest=manifest, imageTag="3.9")
    tags = [i["imageTag"] for i in ecr.list_images(repositoryName="mirror/pause")["imageIds"]]
    assert tags == ["3.9"]
    assert ecr.get_authorization_token()["authorizationData"]
    with pytest.raises(ClientError) as e:
        ecr.create_repository(repositoryName="mirror/pause")
    assert e.value.response["Error"]["Code"] == "RepositoryAlreadyExistsException"


PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]


def pull_policy(*principals):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "pull",
                    "Effect": "Allow",
                    "Principal": {"AWS": list(principals)},
                    "Action": PULL,
                }
            ],
        }
    )


def test_repository_policy_needs_existing_principals(account, other_account):
    """AWS refuses a repository policy naming an IAM role that does not exist (400
    InvalidParameterException ... 'Principal not found', recorded in
    hashicorp/terraform-provider-aws#39064); an existing role of another account is fine."""
    ecr = account.client("ecr")
    ecr.create_repository(repositoryName="mirror/app")
    # no policy yet: ECR API reference, GetRepositoryPolicy errors
    with pytest.raises(ClientError) as e:
        ecr.get_repository_policy(repositoryName="mirror/app")
    assert e.value.response["Error"]["Code"] == "RepositoryPolicyNotFoundException"

    missing = f"arn:aws:iam::{other_account.id}:role/not-there"
    with pytest.raises(ClientError) as e:
        ecr.set_repository_policy(repositoryName="mirror/app", policyText=pull_policy(missing))
    err = e.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Error"]["Code"] == "InvalidParameterException"
    assert err["Error"]["Message"] == (
        "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Principal not found'"
    )
    with pytest.raises(ClientError):
        ecr.get_repository_policy(repositoryName="mirror/app")

    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    role = other_account.client("iam").create_role(
        RoleName="node", AssumeRolePolicyDocument=trust
    )["Role"]["Arn"]
    # one missing principal among existing ones is refused as well
    with pytest.raises(ClientError) as e:
        ecr.set_repository_policy(
            repositoryName="mirror/app", policyText=pull_policy(role, missing)
        )
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    text = pull_policy(role)
    ecr.set_repository_policy(repositoryName="mirror/app", policyText=text)
    got = ecr.get_repository_policy(repositoryName="mirror/app")["policyText"]
    assert json.loads(got) == json.loads(text)
    ecr.delete_repository_policy(repositoryName="mirror/app")
    with pytest.raises(ClientError) as e:
        ecr.get_repository_policy(repositoryName="mirror/app")
    assert e.value.response["Error"]["Code"] == "RepositoryPolicyNotFoundException"


def test_repository_policy_comes_back_in_aws_format(account, other_account):
    """GetRepositoryPolicy returns the policy reformatted, as in the example of the ECR API
    reference (GetRepositoryPolicy): two-space indent, ' : ', lists on one line."""
    role = (
        other_account.client("iam")
        .create_role(
            RoleName="CodeDeployDemo",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ec2.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
    )
    ecr = account.client("ecr")
    ecr.create_repository(repositoryName="ubuntu")
    doc = {
        "Version": "2008-10-17",
        "Statement": [
            {
                "Sid": "new statement",
                "Effect": "Allow",
                "Principal": {"AWS": role},
                "Action": [
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                    "ecr:BatchCheckLayerAvailability",
                ],
            }
        ],
    }
    ecr.set_repository_policy(repositoryName="ubuntu", policyText=json.dumps(doc))
    got = ecr.get_repository_policy(repositoryName="ubuntu")["policyText"]
    assert got == (
        "{\n"
        '  "Version" : "2008-10-17",\n'
        '  "Statement" : [ {\n'
        '    "Sid" : "new statement",\n'
        '    "Effect" : "Allow",\n'
        '    "Principal" : {\n'
        f'      "AWS" : "{role}"\n'
        "    },\n"
        '    "Action" : [ "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", '
        '"ecr:BatchCheckLayerAvailability" ]\n'
        "  } ]\n"
        "}"
    )


def _lifecycle(*rules):
    return json.dumps({"rules": list(rules)})


def test_lifecycle_policies_are_validated_as_aws_does(account):
    """AWS refuses a lifecycle policy that breaks the user guide's "Lifecycle policy
    properties" with 400 InvalidParameterException "Invalid parameter at
    'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation
    failure: ..." (recorded in cloudposse/terraform-aws-ecr#132 for a countUnit of null);
    moto stored anything. A valid one reads back; deleting it twice is
    LifecyclePolicyNotFoundException (ECR API reference, DeleteLifecyclePolicy)."""
    ecr = account.client("ecr")
    ecr.create_repository(repositoryName="mirror/lc")
    expire = {"type": "expire"}
    good = {
        "rulePriority": 1,
        "selection": {"tagStatus": "tagged", "tagPatternList": ["v*"],
                      "countType": "imageCountMoreThan", "countNumber": 50},
        "action": expire,
    }
    bad = [
        # the recorded case: countUnit null with imageCountMoreThan
        {**good, "selection": {**good["selection"], "countUnit": None}},
        # an age rule without its unit
        {**good, "selection": {**good["selection"], "countType": "sinceImagePushed"}},
        # tagged without a tag list
        {**good, "selection": {"tagStatus": "tagged", "countType": "imageCountMoreThan", "countNumber": 5}},
        # countNumber 0
        {**good, "selection": {**good["selection"], "countNumber": 0}},
    ]
    for rule in bad:
        with pytest.raises(ClientError) as e:
            ecr.put_lifecycle_policy(repositoryName="mirror/lc", lifecyclePolicyText=_lifecycle(rule))
        err = e.value.response
        assert err["ResponseMetadata"]["HTTPStatusCode"] == 400, rule
        assert err["Error"]["Code"] == "InvalidParameterException", rule
        assert err["Error"]["Message"].startswith(
            "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
            "'Lifecycle policy validation failure: "
        ), err["Error"]["Message"]
    # `any` below another rule's priority
    anyrule = {"rulePriority": 1, "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 9}, "action": expire}
    with pytest.raises(ClientError):
        ecr.put_lifecycle_policy(repositoryName="mirror/lc", lifecyclePolicyText=_lifecycle(anyrule, {**good, "rulePriority": 2}))
    text = _lifecycle(good, {**anyrule, "rulePriority": 9})
    ecr.put_lifecycle_policy(repositoryName="mirror/lc", lifecyclePolicyText=text)
    got = ecr.get_lifecycle_policy(repositoryName="mirror/lc")
    assert json.loads(got["lifecyclePolicyText"]) == json.loads(text)
    ecr.delete_lifecycle_policy(repositoryName="mirror/lc")
    with pytest.raises(ClientError) as e:
        ecr.delete_lifecycle_policy(repositoryName="mirror/lc")
    assert e.value.response["Error"]["Code"] == "LifecyclePolicyNotFoundException"
