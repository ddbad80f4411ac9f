"""ECR through moto (the free LocalStack edition has no ECR provider)."""

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
