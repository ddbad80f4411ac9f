"""ECR's registry (airgap_ext/ecr_registry.py): the OCI distribution API with ECR's rules,
its images in the control plane (moto's ECR), authorization tokens and basic scans (sources
in docs/emulator-fidelity.md, "ECR: the registry"). Plain HTTP for the registry, boto3 for
the API; a tiny two-platform image index of random blobs."""

import base64
import datetime
import hashlib
import json
import os
import urllib.parse

import pytest
import requests
from botocore.exceptions import ClientError
from conftest import ENDPOINT, REGION, airgap, wait_for

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _code(e):
    return e.value.response["Error"]["Code"]


class Registry:
    """A client of one account's registry, by path: <endpoint>/_airgap/ecr/<account>/<region>."""

    def __init__(self, account, owner=None, region=REGION):
        self.account = account
        self.owner = owner or account.id
        self.region = region
        self.base = f"{ENDPOINT}/_airgap/ecr/{self.owner}/{region}/v2"
        data = account.client("ecr", region).get_authorization_token()["authorizationData"][0]
        self.token = data["authorizationToken"]
        self.expires = data["expiresAt"]
        self.http = requests.Session()
        self.http.headers["Authorization"] = "Basic " + self.token

    def req(self, method, path, **kw):
        url = path if path.startswith("http") else f"{self.base}/{path}"
        return self.http.request(method, url, timeout=10, **kw)

    def upload(self, name, data: bytes) -> str:
        """POST then PUT (the spec's monolithic upload)."""
        r = self.req("POST", f"{name}/blobs/uploads/")
        assert r.status_code == 202, r.text
        digest = sha(data)
        r = self.req("PUT", r.headers["Location"], params={"digest": digest}, data=data)
        assert r.status_code == 201, r.text
        assert r.headers["Docker-Content-Digest"] == digest
        return digest

    def put_manifest(self, name, ref, body: bytes, media_type=OCI_MANIFEST):
        return self.req(
            "PUT", f"{name}/manifests/{ref}", data=body, headers={"Content-Type": media_type}
        )


def image(reg, name, arch="amd64", layers=2, config_type=OCI_CONFIG):
    """Blobs and an image manifest (not pushed): (manifest bytes, digest, layer sizes)."""
    config = json.dumps({"architecture": arch, "os": "linux", "n": os.urandom(4).hex()}).encode()
    blobs = [os.urandom(64 + 32 * i) for i in range(layers)]
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": config_type,
            "digest": reg.upload(name, config),
            "size": len(config),
        },
        "layers": [
            {"mediaType": LAYER, "digest": reg.upload(name, b), "size": len(b)} for b in blobs
        ],
    }
    body = json.dumps(doc, indent=1).encode()
    return body, sha(body), sum(len(b) for b in blobs)


def index_of(*children):
    doc = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            {
                "mediaType": OCI_MANIFEST,
                "digest": d,
                "size": len(b),
                "platform": {"architecture": arch, "os": "linux"},
            }
            for b, d, arch in children
        ],
    }
    body = json.dumps(doc).encode()
    return body, sha(body)


def test_base_endpoint_and_tokens(account):
    ecr = account.client("ecr")
    reg = Registry(account)
    url = f"{reg.base}/"
    # no credentials: 401 with ECR's Basic challenge
    r = requests.get(url, timeout=10)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"] == (
        f'Basic realm="https://{account.id}.dkr.ecr.{REGION}.amazonaws.com/",'
        'service="ecr.amazonaws.com"'
    )
    assert r.text == "Not Authorized\n"
    assert r.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    r = reg.req("GET", "")
    assert r.status_code == 200
    assert r.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    # the token: AWS:<password>, valid 12 hours, proxyEndpoint AWS's
    data = ecr.get_authorization_token()["authorizationData"][0]
    user, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    assert user == "AWS"
    left = data["expiresAt"] - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(hours=11, minutes=59) < left <= datetime.timedelta(hours=12)
    assert data["proxyEndpoint"] == f"https://{account.id}.dkr.ecr.{REGION}.amazonaws.com"
    # a password that is not a token, another user: 401
    for u, p in (("AWS", password[:-2] + "xx"), ("admin", password), ("AWS", "secret")):
        r = requests.get(url, auth=(u, p), timeout=10)
        assert r.status_code == 401, (u, r.status_code)
    # 12 hours later: 403 DENIED "Your authorization token has expired..."
    assert (
        airgap(
            "POST", "/_airgap/ecr/clock", {"account": account.id, "offset_seconds": 11.9 * 3600}
        )[0]
        == 200
    )
    assert requests.get(url, auth=("AWS", password), timeout=10).status_code == 200
    airgap("POST", "/_airgap/ecr/clock", {"account": account.id, "offset_seconds": 12 * 3600 + 1})
    r = requests.get(url, auth=("AWS", password), timeout=10)
    assert r.status_code == 403
    assert r.json()["errors"][0]["code"] == "DENIED"
    assert r.json()["errors"][0]["message"] == (
        "Your authorization token has expired. Reauthenticate and try again."
    )
    # a new token works again
    fresh = Registry(account)
    assert fresh.req("GET", "").status_code == 200
    airgap("POST", "/_airgap/ecr/clock", {"account": account.id, "offset_seconds": 0})


def test_push_a_multi_platform_index_and_read_it_from_the_api(account):
    ecr = account.client("ecr")
    ecr.create_repository(repositoryName="mirror/app")
    reg = Registry(account)
    amd, amd_digest, amd_size = image(reg, "mirror/app", "amd64")
    arm, arm_digest, arm_size = image(reg, "mirror/app", "arm64", layers=3)
    for body, digest in ((amd, amd_digest), (arm, arm_digest)):
        r = reg.put_manifest("mirror/app", digest, body)  # children by digest, untagged
        assert r.status_code == 201, r.text
        assert r.headers["Docker-Content-Digest"] == digest
        assert r.headers["Location"].endswith(f"/mirror/app/manifests/{digest}")
    idx, idx_digest = index_of((amd, amd_digest, "amd64"), (arm, arm_digest, "arm64"))
    r = reg.put_manifest("mirror/app", "1.0", idx, OCI_INDEX)
    assert r.status_code == 201, r.text
    assert r.headers["Docker-Content-Digest"] == idx_digest

    # pull: by tag and by digest, the bytes as pushed, the media type, the digest
    for ref in ("1.0", idx_digest):
        r = reg.req("GET", f"mirror/app/manifests/{ref}", headers={"Accept": OCI_INDEX})
        assert r.status_code == 200
        assert r.content == idx
        assert r.headers["Content-Type"] == OCI_INDEX
        assert r.headers["Docker-Content-Digest"] == idx_digest
    r = reg.req("HEAD", f"mirror/app/manifests/{amd_digest}")
    assert r.status_code == 200
    assert r.headers["Content-Length"] == str(len(amd))
    assert r.headers["Content-Type"] == OCI_MANIFEST
    layer = json.loads(arm)["layers"][2]
    r = reg.req("GET", f"mirror/app/blobs/{layer['digest']}")
    assert r.status_code == 200 and sha(r.content) == layer["digest"]
    r = reg.req("GET", f"mirror/app/blobs/{layer['digest']}", headers={"Range": "bytes=0-9"})
    assert r.status_code == 206 and len(r.content) == 10
    assert reg.req("HEAD", f"mirror/app/blobs/{layer['digest']}").headers["Content-Length"] == str(
        layer["size"]
    )
    assert reg.req("GET", "mirror/app/tags/list").json() == {"name": "mirror/app", "tags": ["1.0"]}
    assert reg.req("GET", "_catalog").json() == {"repositories": ["mirror/app"]}

    # the control plane sees the three images: digests, tags, sizes, push times
    details = {
        d["imageDigest"]: d
        for d in ecr.describe_images(repositoryName="mirror/app")["imageDetails"]
    }
    assert set(details) == {amd_digest, arm_digest, idx_digest}
    assert details[idx_digest]["imageTags"] == ["1.0"]
    assert "imageTags" not in details[amd_digest]
    assert details[amd_digest]["imageSizeInBytes"] == amd_size
    assert details[idx_digest]["imageSizeInBytes"] == max(amd_size, arm_size)
    assert details[idx_digest]["imageManifestMediaType"] == OCI_INDEX
    assert details[amd_digest]["artifactMediaType"] == OCI_CONFIG
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - details[idx_digest]["imagePushedAt"]).total_seconds()) < 60
    got = ecr.batch_get_image(repositoryName="mirror/app", imageIds=[{"imageTag": "1.0"}])
    assert got["images"][0]["imageManifest"] == idx.decode()
    assert got["images"][0]["imageId"]["imageDigest"] == idx_digest
    ids = ecr.list_images(repositoryName="mirror/app")["imageIds"]
    assert {"imageDigest": idx_digest, "imageTag": "1.0"} in ids

    # BatchDeleteImage through the API: gone from the registry
    ecr.batch_delete_image(repositoryName="mirror/app", imageIds=[{"imageTag": "1.0"}])
    r = reg.req("GET", "mirror/app/manifests/1.0")
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    # DELETE by digest: 202, then 404
    assert reg.req("DELETE", f"mirror/app/manifests/{amd_digest}").status_code == 202
    assert reg.req("GET", f"mirror/app/manifests/{amd_digest}").status_code == 404
    left = {
        d["imageDigest"] for d in ecr.describe_images(repositoryName="mirror/app")["imageDetails"]
    }
    assert left == {arm_digest}


def test_the_registry_by_host_name(account):
    """/v2/ on a <account>.dkr.ecr.<region>.* host: the client resolves the name itself."""
    account.client("ecr").create_repository(repositoryName="charts/app")
    reg = Registry(account)
    body, _, _ = image(reg, "charts/app")
    assert reg.put_manifest("charts/app", "v1", body).status_code == 201
    port = urllib.parse.urlsplit(ENDPOINT).port
    host = f"{account.id}.dkr.ecr.{REGION}.localhost.localstack.cloud:{port}"
    r = requests.get(
        f"{ENDPOINT}/v2/charts/app/manifests/v1",
        headers={"Host": host, "Authorization": "Basic " + reg.token},
        timeout=10,
    )
    assert r.status_code == 200 and r.content == body
    r = requests.post(
        f"{ENDPOINT}/v2/charts/app/blobs/uploads/",
        headers={"Host": host, "Authorization": "Basic " + reg.token},
        timeout=10,
    )
    assert r.status_code == 202
    assert r.headers["Location"].startswith(f"http://{host}/v2/charts/app/blobs/uploads/")


def test_what_a_push_must_have(account):
    ecr = account.client("ecr")
    reg = Registry(account)
    # no push-to-create: NAME_UNKNOWN, ECR's message
    r = reg.req("POST", "mirror/missing/blobs/uploads/")
    assert r.status_code == 404
    assert r.json()["errors"][0] == {
        "code": "NAME_UNKNOWN",
        "message": f"The repository with name 'mirror/missing' does not exist in the registry "
        f"with id '{account.id}'",
        "detail": None,
    }
    assert (
        reg.req("GET", "mirror/missing/manifests/v1").json()["errors"][0]["code"] == "NAME_UNKNOWN"
    )
    ecr.create_repository(repositoryName="mirror/a")
    ecr.create_repository(repositoryName="mirror/b")
    body, digest, _ = image(reg, "mirror/a")
    doc = json.loads(body)
    # every referenced blob must be in this repository: MANIFEST_BLOB_UNKNOWN per missing one
    r = reg.put_manifest("mirror/b", "v1", body)
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert {e["code"] for e in errors} == {"MANIFEST_BLOB_UNKNOWN"}
    assert {e["detail"] for e in errors} == {doc["config"]["digest"]} | {
        layer["digest"] for layer in doc["layers"]
    }
    assert reg.req("HEAD", f"mirror/b/blobs/{doc['layers'][0]['digest']}").status_code == 404
    # an index whose child manifest is not in the repository
    idx, _ = index_of((body, digest, "amd64"))
    r = reg.put_manifest("mirror/a", "v1", idx, OCI_INDEX)
    assert r.status_code == 400 and r.json()["errors"][0] == {
        "code": "MANIFEST_BLOB_UNKNOWN",
        "message": "blob unknown to registry",
        "detail": digest,
    }
    # a reference that is a digest must be the body's
    r = reg.put_manifest("mirror/a", "sha256:" + "0" * 64, body)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "DIGEST_INVALID"
    assert reg.put_manifest("mirror/a", digest, body).status_code == 201
    assert reg.put_manifest("mirror/a", "v1", idx, OCI_INDEX).status_code == 201
    # not a manifest ECR stores
    r = reg.put_manifest("mirror/a", "v2", b'{"schemaVersion": 2}', "application/json")
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "MANIFEST_INVALID"
    # a tag the spec does not allow
    assert reg.req("HEAD", "mirror/a/manifests/1.0+build").status_code == 400
    # over ECR's 4 MiB: 413
    big = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "pad": "x" * 4194304})
    assert reg.put_manifest("mirror/a", "big", big.encode()).status_code == 413
    # no blob delete
    assert reg.req("DELETE", f"mirror/a/blobs/{doc['layers'][0]['digest']}").status_code == 405


def test_tags_pages_and_tag_delete(account):
    account.client("ecr").create_repository(repositoryName="paged")
    reg = Registry(account)
    body, digest, _ = image(reg, "paged", layers=1)
    for tag in ("b", "a", "C", "d"):
        assert reg.put_manifest("paged", tag, body).status_code == 201
    r = reg.req("GET", "paged/tags/list", params={"n": 2})
    assert r.json()["tags"] == ["a", "b"]
    assert r.headers["Link"].endswith('/paged/tags/list?n=2&last=b>; rel="next"')
    r = reg.req("GET", "paged/tags/list", params={"n": 2, "last": "b"})
    assert r.json()["tags"] == ["C", "d"]
    r = reg.req("GET", "paged/tags/list", params={"n": 0})
    assert r.json()["tags"] == [] and "Link" not in r.headers
    # DELETE of a tag: the tag goes, the manifest stays
    assert reg.req("DELETE", "paged/manifests/C").status_code == 202
    assert reg.req("GET", "paged/manifests/C").status_code == 404
    assert reg.req("HEAD", f"paged/manifests/{digest}").status_code == 200
    assert reg.req("GET", "paged/tags/list").json()["tags"] == ["a", "b", "d"]


def test_blob_uploads(account):
    account.client("ecr").create_repository(repositoryName="mirror/blobs")
    reg = Registry(account)
    data = os.urandom(300)
    digest = sha(data)
    # a digest that is not the content's: DIGEST_INVALID
    loc = reg.req("POST", "mirror/blobs/blobs/uploads/").headers["Location"]
    r = reg.req("PUT", loc, params={"digest": "sha256:" + "1" * 64}, data=data)
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "DIGEST_INVALID"
    # an upload without any part: ECR's BLOB_UPLOAD_INVALID
    loc = reg.req("POST", "mirror/blobs/blobs/uploads/").headers["Location"]
    upload_id = loc.rsplit("/", 1)[1]
    r = reg.req("PUT", loc, params={"digest": sha(b"")})
    assert r.status_code == 400
    assert r.json()["errors"][0] == {
        "code": "BLOB_UPLOAD_INVALID",
        "message": f"The upload with id '{upload_id}' in the repository with name 'mirror/blobs' "
        f"in registry with id '{account.id}' cannot be completed because it does not have any "
        "parts.",
        "detail": None,
    }
    # chunks: ECR answers each PATCH 201; in order, or 416; GET tells the offset
    loc = reg.req("POST", "mirror/blobs/blobs/uploads/").headers["Location"]
    r = reg.req("PATCH", loc, data=data[:100], headers={"Content-Range": "0-99"})
    assert r.status_code == 201 and r.headers["Range"] == "0-99"
    r = reg.req(
        "PATCH", r.headers["Location"], data=data[150:200], headers={"Content-Range": "150-199"}
    )
    assert r.status_code == 416
    r = reg.req("GET", loc)
    assert r.status_code == 204 and r.headers["Range"] == "0-99"
    r = reg.req("PATCH", loc, data=data[100:250], headers={"Content-Range": "100-249"})
    assert r.status_code == 201 and r.headers["Range"] == "0-249"
    r = reg.req("PUT", loc, params={"digest": digest}, data=data[250:])
    assert r.status_code == 201
    assert reg.req("GET", f"mirror/blobs/blobs/{digest}").content == data
    # the session is closed
    assert reg.req("PATCH", loc, data=b"x").json()["errors"][0]["code"] == "BLOB_UPLOAD_UNKNOWN"
    # a single POST with ?digest=: 202, the client goes on with a PUT
    other = os.urandom(50)
    r = reg.req("POST", "mirror/blobs/blobs/uploads/", params={"digest": sha(other)}, data=other)
    assert r.status_code == 202
    assert reg.req("HEAD", f"mirror/blobs/blobs/{sha(other)}").status_code == 404
    assert (
        reg.req("PUT", r.headers["Location"], params={"digest": sha(other)}, data=other).status_code
        == 201
    )


def test_mounting_needs_the_registry_setting_and_a_referenced_blob(account):
    ecr = account.client("ecr")
    for name in ("src", "dst"):
        ecr.create_repository(repositoryName=name)
    reg = Registry(account)
    body, _, _ = image(reg, "src", layers=1)
    layer = json.loads(body)["layers"][0]["digest"]
    loose = reg.upload("src", os.urandom(40))  # in src, no manifest references it

    def mount(blob):
        return reg.req("POST", "dst/blobs/uploads/", params={"mount": blob, "from": "src"})

    assert ecr.get_account_setting(name="BLOB_MOUNTING")["value"] == "DISABLED"
    assert mount(layer).status_code == 202  # not mounted: an upload session
    assert reg.put_manifest("src", "v1", body).status_code == 201
    assert mount(layer).status_code == 202
    ecr.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")
    assert ecr.get_account_setting(name="BLOB_MOUNTING")["value"] == "ENABLED"
    r = mount(layer)
    assert r.status_code == 201 and r.headers["Docker-Content-Digest"] == layer
    assert reg.req("HEAD", f"dst/blobs/{layer}").status_code == 200
    assert mount(loose).status_code == 202
    with pytest.raises(ClientError) as e:
        ecr.put_account_setting(name="BLOB_MOUNTING", value="ON")
    assert _code(e) == "InvalidParameterException"


def test_immutable_tags(account):
    ecr = account.client("ecr")
    ecr.create_repository(repositoryName="pinned", imageTagMutability="IMMUTABLE")
    ecr.create_repository(repositoryName="moving")
    reg = Registry(account)
    one, _, _ = image(reg, "pinned")
    two, two_digest, _ = image(reg, "pinned")
    assert reg.put_manifest("pinned", "1.0", one).status_code == 201
    message = (
        "The image tag '1.0' already exists in the 'pinned' repository and cannot be "
        "overwritten because the repository is immutable."
    )
    for body in (two, one):  # another manifest, or the same one again
        r = reg.put_manifest("pinned", "1.0", body)
        assert r.status_code == 400
        assert r.json()["errors"][0] == {"code": "TAG_INVALID", "message": message, "detail": None}
    assert reg.put_manifest("pinned", two_digest, two).status_code == 201  # by digest: fine
    assert reg.put_manifest("pinned", "1.1", two).status_code == 201  # a new tag: fine
    # a mutable repository moves the tag; the old image stays, untagged
    a, a_digest, _ = image(reg, "moving")
    b, b_digest, _ = image(reg, "moving")
    assert reg.put_manifest("moving", "latest", a).status_code == 201
    assert reg.put_manifest("moving", "latest", b).status_code == 201
    details = {
        d["imageDigest"]: d for d in ecr.describe_images(repositoryName="moving")["imageDetails"]
    }
    assert details[b_digest]["imageTags"] == ["latest"]
    assert "imageTags" not in details[a_digest]
    # IMMUTABLE_WITH_EXCLUSION: tags matching a filter move, the others do not
    ecr.put_image_tag_mutability(
        repositoryName="moving",
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[{"filterType": "WILDCARD", "filter": "latest*"}],
    )
    assert reg.put_manifest("moving", "latest", a).status_code == 201
    assert reg.put_manifest("moving", "2.0", a).status_code == 201
    assert reg.put_manifest("moving", "2.0", b).json()["errors"][0]["code"] == "TAG_INVALID"


def test_another_accounts_token_needs_the_repository_policy(account, other_account):
    ecr = account.client("ecr")
    ecr.create_repository(repositoryName="shared/app")
    owner = Registry(account)
    body, _, _ = image(owner, "shared/app")
    assert owner.put_manifest("shared/app", "v1", body).status_code == 201
    guest = Registry(other_account, owner=account.id)
    assert guest.req("GET", "").status_code == 200  # the login itself works
    r = guest.req("GET", "shared/app/manifests/v1")
    assert r.status_code == 403
    arn = f"arn:aws:ecr:{REGION}:{account.id}:repository/shared/app"
    assert r.json()["errors"][0]["message"] == (
        f"User: arn:aws:iam::{other_account.id}:root is not authorized to perform: "
        f"ecr:BatchGetImage on resource: {arn} because no resource-based policy allows the "
        "ecr:BatchGetImage action"
    )
    # another account's repository that does not exist: denied as well
    assert guest.req("GET", "shared/none/manifests/v1").status_code == 403
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "pull",
                "Effect": "Allow",
                "Principal": {"AWS": other_account.id},
                "Action": [
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchCheckLayerAvailability",
                ],
            }
        ],
    }
    ecr.set_repository_policy(repositoryName="shared/app", policyText=json.dumps(policy))
    r = guest.req("GET", "shared/app/manifests/v1")
    assert r.status_code == 200 and r.content == body
    layer = json.loads(body)["layers"][0]["digest"]
    assert guest.req("GET", f"shared/app/blobs/{layer}").status_code == 200
    # pull only: a push is denied
    r = guest.req("POST", "shared/app/blobs/uploads/")
    assert r.status_code == 403 and "ecr:InitiateLayerUpload" in r.json()["errors"][0]["message"]
    assert guest.req("GET", "_catalog").status_code == 403


def test_scan_on_push_with_findings(account, time_scale):
    ecr = account.client("ecr")
    ecr.create_repository(repositoryName="scanned", imageScanningConfiguration={"scanOnPush": True})
    ecr.create_repository(repositoryName="plain")
    reg = Registry(account)
    body, digest, _ = image(reg, "scanned")
    finding = {
        "name": "CVE-2019-5188",
        "uri": "http://people.ubuntu.com/~ubuntu-security/cve/CVE-2019-5188",
        "severity": "MEDIUM",
        "attributes": [{"key": "package_name", "value": "e2fsprogs"}],
    }
    high = dict(finding, name="CVE-2024-0001", severity="HIGH")
    status, _ = airgap(
        "POST",
        "/_airgap/ecr/findings",
        {"digest": digest, "findings": [finding, high, dict(high, name="CVE-2024-0002")]},
    )
    assert status == 200
    time_scale(account, 0.01)  # the scan: 60 s -> 0.6 s
    assert reg.put_manifest("scanned", "v1", body).status_code == 201
    image_id = {"imageDigest": digest}
    out = ecr.describe_image_scan_findings(repositoryName="scanned", imageId=image_id)
    assert out["imageScanStatus"] == {"status": "IN_PROGRESS"}
    assert "imageScanFindings" not in out

    def done():
        o = ecr.describe_image_scan_findings(repositoryName="scanned", imageId=image_id)
        return o if o["imageScanStatus"]["status"] == "COMPLETE" else None

    out = wait_for(done, timeout=10)
    assert out["imageScanStatus"]["description"] == "The scan was completed successfully."
    assert out["imageId"] == image_id
    found = out["imageScanFindings"]
    assert found["findingSeverityCounts"] == {"MEDIUM": 1, "HIGH": 2}
    assert [f["name"] for f in found["findings"]] == [
        "CVE-2019-5188",
        "CVE-2024-0001",
        "CVE-2024-0002",
    ]
    assert "imageScanCompletedAt" in found
    page = ecr.describe_image_scan_findings(
        repositoryName="scanned", imageId=image_id, maxResults=2
    )
    assert len(page["imageScanFindings"]["findings"]) == 2 and page["nextToken"]
    # once per 24 hours, the scan on push included
    with pytest.raises(ClientError) as e:
        ecr.start_image_scan(repositoryName="scanned", imageId={"imageTag": "v1"})
    assert _code(e) == "LimitExceededException"
    airgap("POST", "/_airgap/ecr/clock", {"account": account.id, "offset_seconds": 24 * 3600 + 1})
    try:
        out = ecr.start_image_scan(repositoryName="scanned", imageId={"imageTag": "v1"})
    finally:
        airgap("POST", "/_airgap/ecr/clock", {"account": account.id, "offset_seconds": 0})
    assert out["imageScanStatus"] == {"status": "IN_PROGRESS"}
    assert out["imageId"] == {"imageDigest": digest, "imageTag": "v1"}
    # DescribeImages: the scan's state, and the last completed scan's summary while the
    # rescan runs (botocore ImageDetail)
    detail = ecr.describe_images(repositoryName="scanned")["imageDetails"][0]
    assert detail["imageScanStatus"]["status"] == "IN_PROGRESS"
    assert detail["imageScanFindingsSummary"]["findingSeverityCounts"] == {"MEDIUM": 1, "HIGH": 2}

    # no scan on push in a plain repository: never scanned, ScanNotFoundException
    time_scale(account, 0)
    other, other_digest, _ = image(reg, "plain")
    assert reg.put_manifest("plain", "v1", other).status_code == 201
    plain = ecr.describe_images(repositoryName="plain")["imageDetails"][0]
    assert "imageScanStatus" not in plain and "imageScanFindingsSummary" not in plain
    with pytest.raises(ClientError) as e:
        ecr.describe_image_scan_findings(repositoryName="plain", imageId={"imageTag": "v1"})
    assert _code(e) == "ScanNotFoundException"
    # a manual scan of an image without findings: COMPLETE, nothing found
    ecr.start_image_scan(repositoryName="plain", imageId={"imageTag": "v1"})
    out = ecr.describe_image_scan_findings(repositoryName="plain", imageId={"imageTag": "v1"})
    assert out["imageScanStatus"]["status"] == "COMPLETE"
    assert out["imageScanFindings"]["findings"] == []
    assert out["imageScanFindings"].get("findingSeverityCounts", {}) == {}
    # an index is not an image to scan
    idx, _ = index_of((other, other_digest, "amd64"))
    assert reg.put_manifest("plain", "multi", idx, OCI_INDEX).status_code == 201
    with pytest.raises(ClientError) as e:
        ecr.start_image_scan(repositoryName="plain", imageId={"imageTag": "multi"})
    assert _code(e) == "UnsupportedImageTypeException"


def test_registry_scanning_rules_and_artifacts(account):
    ecr = account.client("ecr")
    ecr.create_repository(repositoryName="charts/ingress")
    ecr.create_repository(repositoryName="images/app")
    ecr.put_registry_scanning_configuration(
        scanType="BASIC",
        rules=[
            {
                "scanFrequency": "SCAN_ON_PUSH",
                "repositoryFilters": [{"filter": "charts/*", "filterType": "WILDCARD"}],
            }
        ],
    )
    reg = Registry(account)
    chart, _, _ = image(reg, "charts/ingress", layers=1, config_type=HELM_CONFIG)
    assert reg.put_manifest("charts/ingress", "4.0.0", chart).status_code == 201
    out = ecr.describe_image_scan_findings(
        repositoryName="charts/ingress", imageId={"imageTag": "4.0.0"}
    )
    assert out["imageScanStatus"] == {
        "status": "UNSUPPORTED_IMAGE",
        "description": "The operating system and/or package manager are not supported.",
    }
    details = ecr.describe_images(repositoryName="charts/ingress")["imageDetails"][0]
    assert details["artifactMediaType"] == HELM_CONFIG
    # the rule's filter does not match images/app: no scan
    body, _, _ = image(reg, "images/app")
    assert reg.put_manifest("images/app", "v1", body).status_code == 201
    with pytest.raises(ClientError) as e:
        ecr.describe_image_scan_findings(repositoryName="images/app", imageId={"imageTag": "v1"})
    assert _code(e) == "ScanNotFoundException"


def test_registry_scanning_configuration_is_validated_as_botocore_bounds_it(account):
    """PutRegistryScanningConfiguration (botocore): scan frequencies by scan type
    (RegistryScanningRule.scanFrequency), at most 2 rules, at most 100 filters, the filter
    pattern; ValidationException otherwise. What passes reads back."""
    ecr = account.client("ecr")

    def rule(frequency, *filters):
        return {
            "scanFrequency": frequency,
            "repositoryFilters": [{"filter": f, "filterType": "WILDCARD"} for f in filters],
        }

    bad = [
        ("ENHANCED", [rule("MANUAL", "a")]),
        ("BASIC", [rule("CONTINUOUS_SCAN", "a")]),
        ("ENHANCED", [rule("SCAN_ON_PUSH", "a"), rule("CONTINUOUS_SCAN", "b"), rule("SCAN_ON_PUSH", "c")]),
        ("ENHANCED", [rule("CONTINUOUS_SCAN", *[f"r{i}" for i in range(101)])]),
        ("ENHANCED", [rule("CONTINUOUS_SCAN", "Upper")]),
    ]
    for scan_type, rules in bad:
        with pytest.raises(ClientError) as e:
            ecr.put_registry_scanning_configuration(scanType=scan_type, rules=rules)
        assert _code(e) == "ValidationException", (scan_type, rules)
    good = [rule("SCAN_ON_PUSH", "team/*"), rule("CONTINUOUS_SCAN", "mirror/nginx")]
    ecr.put_registry_scanning_configuration(scanType="ENHANCED", rules=good)
    got = ecr.get_registry_scanning_configuration()["scanningConfiguration"]
    assert got["scanType"] == "ENHANCED"
    assert got["rules"] == good
    ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[])


def test_enhanced_scanning_lists_enhanced_findings(account, time_scale):
    """An ENHANCED registry: a repository matched by a CONTINUOUS_SCAN filter is PENDING,
    then ACTIVE ("Continuous scan is selected for image.", aws/aws-cli#6759) with its
    findings as enhancedFindings and no findingSeverityCounts; a filter without a wildcard
    matches names that contain it (ECR user guide, "Filter wildcards"); an unmatched
    repository is not scanned, its own scanOnPush notwithstanding ("scanning disabled");
    DescribeImages summarizes no enhanced scan (aws/containers-roadmap#1662)."""
    ecr = account.client("ecr")
    ecr.create_repository(repositoryName="mirror/nginx-main")
    ecr.create_repository(repositoryName="other", imageScanningConfiguration={"scanOnPush": True})
    ecr.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[
            {
                "scanFrequency": "CONTINUOUS_SCAN",
                "repositoryFilters": [{"filter": "mirror/nginx", "filterType": "WILDCARD"}],
            }
        ],
    )
    try:
        reg = Registry(account)
        body, digest, _ = image(reg, "mirror/nginx-main")
        high = {"name": "CVE-2024-0001", "severity": "HIGH"}
        status, _ = airgap(
            "POST",
            "/_airgap/ecr/findings",
            {"digest": digest, "findings": [high, dict(high, name="CVE-2024-0002", severity="UNDEFINED")]},
        )
        assert status == 200
        time_scale(account, 0.01)
        assert reg.put_manifest("mirror/nginx-main", "v1", body).status_code == 201
        image_id = {"imageDigest": digest}
        out = ecr.describe_image_scan_findings(repositoryName="mirror/nginx-main", imageId=image_id)
        assert out["imageScanStatus"]["status"] == "PENDING"

        def done():
            o = ecr.describe_image_scan_findings(repositoryName="mirror/nginx-main", imageId=image_id)
            return o if o["imageScanStatus"]["status"] == "ACTIVE" else None

        out = wait_for(done, timeout=10)
        assert out["imageScanStatus"]["description"] == "Continuous scan is selected for image."
        found = out["imageScanFindings"]
        assert "findingSeverityCounts" not in found
        assert [(f["title"], f["severity"]) for f in found["enhancedFindings"]] == [
            ("CVE-2024-0001", "HIGH"),
            ("CVE-2024-0002", "UNTRIAGED"),
        ]
        detail = ecr.describe_images(repositoryName="mirror/nginx-main")["imageDetails"][0]
        assert "imageScanStatus" not in detail and "imageScanFindingsSummary" not in detail
        other, _, _ = image(reg, "other")
        assert reg.put_manifest("other", "v1", other).status_code == 201
        with pytest.raises(ClientError) as e:
            ecr.describe_image_scan_findings(repositoryName="other", imageId={"imageTag": "v1"})
        assert _code(e) == "ScanNotFoundException"
    finally:
        ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[])


def test_put_image_digest_is_the_manifests(account):
    ecr = account.client("ecr")
    ecr.create_repository(repositoryName="api")
    reg = Registry(account)
    body, digest, _ = image(reg, "api")
    with pytest.raises(ClientError) as e:
        ecr.put_image(
            repositoryName="api",
            imageManifest=body.decode(),
            imageTag="v1",
            imageDigest="sha256:" + "2" * 64,
        )
    assert _code(e) == "ImageDigestDoesNotMatchException"
    out = ecr.put_image(repositoryName="api", imageManifest=body.decode(), imageTag="v1")
    assert out["image"]["imageId"]["imageDigest"] == digest
    r = reg.req("GET", f"api/manifests/{digest}")
    assert r.status_code == 200 and sha(r.content) == digest


def test_findings_control_validates(account):
    status, _ = airgap("POST", "/_airgap/ecr/findings", {"digest": "sha256:12", "findings": []})
    assert status == 400
    status, _ = airgap(
        "POST",
        "/_airgap/ecr/findings",
        {"digest": "sha256:" + "a" * 64, "findings": [{"name": "x", "severity": "SEVERE"}]},
    )
    assert status == 400
