"""ECR's registry: the OCI distribution API that ``docker push``/``pull``, skopeo, crane,
oras and helm speak to ``https://<account>.dkr.ecr.<region>.amazonaws.com/v2/...``, on the
LocalStack port, with ECR's rules. The free LocalStack edition serves only ECR's control
plane (moto); this module adds the registry and ties the two together.

Routing (no DNS needed; see docs/emulator-fidelity.md, "ECR: the registry"):

* by path: ``http://127.0.0.1:<port>/_airgap/ecr/<account>/<region>/v2/...``; a client
  uses ``http://127.0.0.1:<port>/_airgap/ecr/<account>/<region>`` as its registry base URL;
* by host: ``/v2/...`` on any Host ``<account>.dkr.ecr.<region>.<anything>`` (LocalStack
  Pro's own ECR form ``<account>.dkr.ecr.<region>.localhost.localstack.cloud:<port>``, or
  AWS's own ``<account>.dkr.ecr.<region>.amazonaws.com``) for a client that resolves that
  name to 127.0.0.1 itself (curl --resolve, reqwest's ``resolve``, an /etc/hosts line):
  ``*.localhost.localstack.cloud`` resolves only through public DNS (or LocalStack's DNS
  server, off here with DNS_ADDRESS=0), which the test machines do not have.

State: manifests and tags are moto's ECR images (``repository.images``), so an image
pushed here is what DescribeImages/BatchGetImage/ListImages answer, and an image deleted
with BatchDeleteImage is gone from the registry; blobs are kept here, content-addressed per
registry (account, region), each repository seeing only the blobs uploaded (or mounted)
into it. Everything is in memory and bounded (AIRGAP_ECR_MAX_BYTES, default 1 GiB).

Sources, quoted at each use: the OCI distribution spec v1.1.1 (spec.md, "OCI spec" below);
the ECR API reference as botocore ``ecr`` 2015-09-21 models it (pinned with LocalStack);
the ECR user guide; the AWS CLI's ECR examples (``awscli/examples/ecr`` in the venv); AWS
answers recorded in public issues. Where a status or message is not recorded, the comment
says "assumption".
"""

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import time
import uuid
from pathlib import Path

from localstack.http import Request, Response

from . import timing
from .common import LOCK, as_list, statements_allow

LOG = logging.getLogger(__name__)

# --------------------------------------------------------------------------- constants

# OCI spec, "Pulling manifests": <name> and a tag <reference>.
NAME = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*"
TAG = re.compile(r"[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}")
# ECR digests are sha256 (botocore ImageDetail.imageDigest: "The sha256 digest of the image
# manifest"); other algorithms are refused as DIGEST_INVALID (assumption).
DIGEST = re.compile(r"sha256:[a-f0-9]{64}")

MANIFEST_PATH = re.compile(rf"({NAME})/manifests/([^/]+)")
UPLOADS_PATH = re.compile(rf"({NAME})/blobs/uploads/([^/]*)")
BLOB_PATH = re.compile(rf"({NAME})/blobs/([^/]+)")
TAGS_PATH = re.compile(rf"({NAME})/tags/list")

# The manifest formats ECR stores (ECR user guide, "Container image manifest format
# support": Docker Image Manifest V2 Schema 2, manifest lists, OCI image manifests and
# indexes, used for OCI artifacts too).
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
IMAGE_TYPES = {DOCKER_MANIFEST, OCI_MANIFEST}
INDEX_TYPES = {DOCKER_LIST, OCI_INDEX}
# config media types of container images: anything else (a Helm chart's
# application/vnd.cncf.helm.config.v1+json, other OCI artifacts) is not an image to scan
IMAGE_CONFIG_TYPES = {
    "application/vnd.docker.container.image.v1+json",
    "application/vnd.oci.image.config.v1+json",
}

# botocore ImageManifest: max 4194304 characters. OCI spec, "Pushing Manifests": a registry
# "SHOULD respond to a request to push a manifest over this limit with a response code 413".
MAX_MANIFEST = 4 * 1024 * 1024

# GetAuthorizationToken (botocore): "The authorization token is valid for 12 hours."
TOKEN_SECONDS = 12 * 3600
# StartImageScan (botocore): "A basic image scan can only be started once per 24 hours on an
# individual image. This limit includes if an image was scanned on initial push."
SCAN_QUOTA_SECONDS = 24 * 3600


def _max_bytes() -> int:
    """The emulator's own bound on what the registry holds (blobs and open uploads), so a
    runaway test cannot eat the machine's memory: not an AWS limit (ECR's layer quota is
    52,000 MiB)."""
    try:
        return int(os.environ.get("AIRGAP_ECR_MAX_BYTES", "") or 1024 * 1024 * 1024)
    except ValueError:
        return 1024 * 1024 * 1024


# --------------------------------------------------------------------------- errors


class RegistryError(Exception):
    def __init__(self, status: int, code: str, message: str, detail=None, headers=None):
        super().__init__(message)
        self.status = status
        self.errors = [{"code": code, "message": message, "detail": detail}]
        self.headers = headers or {}


def _errors(status: int, errors: list) -> "RegistryError":
    e = RegistryError(status, errors[0]["code"], errors[0]["message"])
    e.errors = errors
    return e


# ECR's answers on the wire carry Docker-Distribution-API-Version: registry/2.0 (recorded
# for ECR's registries in estesp/manifest-tool#124 and lablup/backend.ai#2549's curl output).
_API_VERSION = {"Docker-Distribution-API-Version": "registry/2.0"}


def _error_response(request: Request, err: RegistryError) -> Response:
    body = b"" if request.method == "HEAD" else json.dumps({"errors": err.errors}).encode()
    headers = dict(_API_VERSION)
    headers.update(err.headers)
    resp = Response(body, status=err.status, headers=headers)
    resp.headers["Content-Type"] = "application/json; charset=utf-8"
    return resp


def _name_unknown(name: str, account: str) -> RegistryError:
    # "NAME_UNKNOWN: The repository with name 'coreos/prometheus-operator' does not exist in
    # the registry with id '<account-number>'" (GET manifest, plexsystems/sinker#55); the
    # same for a push (aws-actions/amazon-ecr-login#166, #4). ECR has no push-to-create
    # (regclient/regclient#869, zarf-dev/zarf#1938). 404: OCI spec, end-3 / end-4a failures.
    return RegistryError(
        404,
        "NAME_UNKNOWN",
        f"The repository with name '{name}' does not exist in the registry with id '{account}'",
    )


# --------------------------------------------------------------------------- clock

# Test control (POST /_airgap/ecr/clock): an offset per account on the clock that ages
# authorization tokens and the 24-hour scan quota, so a test can step past 12 or 24 hours.
_CLOCK_OFFSETS: dict = {}


def clock(account: str) -> float:
    return time.time() + _CLOCK_OFFSETS.get(account, 0.0)


# --------------------------------------------------------------------------- tokens

_KEY = secrets.token_bytes(32)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(account: str, principal: str) -> tuple:
    """GetAuthorizationToken's token: base64 of ``AWS:<password>`` (botocore
    AuthorizationData.authorizationToken: "When the string is decoded, it is presented in
    the format user:password"; the user is AWS: ECR user guide, "Private registry
    authentication", ``docker login --username AWS``), valid 12 hours. The password is ours:
    the caller's account and principal and the expiry, signed with a key of this process
    (moto's was the constant ``<registry id>-auth-token``, expired in 2015)."""
    issued = clock(account)
    expires = issued + TOKEN_SECONDS
    payload = _b64url(
        json.dumps(
            {"a": account, "p": principal, "e": expires, "n": secrets.token_hex(8)},
            separators=(",", ":"),
        ).encode()
    )
    sig = _b64url(hmac.new(_KEY, payload.encode(), hashlib.sha256).digest())
    password = f"{payload}.{sig}"
    token = base64.b64encode(f"AWS:{password}".encode()).decode()
    return token, expires


def _challenge(account: str, region: str) -> dict:
    # The challenge ECR sends: 'Basic realm="https://111111111111.dkr.ecr.us-east-1.
    # amazonaws.com/",service="ecr.amazonaws.com"' (mayflower/docker-ls#28; regclient#136).
    return {
        "WWW-Authenticate": (
            f'Basic realm="https://{account}.dkr.ecr.{region}.amazonaws.com/",'
            'service="ecr.amazonaws.com"'
        )
    }


class _Unauthorized(Exception):
    pass


def _not_authorized(account: str, region: str) -> Response:
    # GET /v2/ without credentials: "status=401 body=\"Not Authorized\n\"" (recorded in
    # mdlavin/copy-docker-image#5); a bad token is 401 as well on private ECR
    # (lablup/backend.ai#2549: "the ECR private server responds with a 401 return code"
    # where ECR Public answers 400). The body for a bad token is an assumption (the same).
    headers = dict(_API_VERSION)
    headers.update(_challenge(account, region))
    return Response(b"Not Authorized\n", status=401, headers=headers, mimetype="text/plain")


def authenticate(request: Request, account: str) -> dict:
    """The token's claims, or _Unauthorized (401), or RegistryError 403 when expired."""
    header = request.headers.get("Authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        raise _Unauthorized()
    try:
        user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
        payload, _, sig = password.partition(".")
        want = _b64url(hmac.new(_KEY, payload.encode(), hashlib.sha256).digest())
        if user != "AWS" or not hmac.compare_digest(want, sig):
            raise _Unauthorized()
        claims = json.loads(_unb64url(payload))
    except (ValueError, UnicodeDecodeError, binascii.Error) as e:
        raise _Unauthorized() from e
    if clock(claims["a"]) >= claims["e"]:
        # "denied: Your authorization token has expired. Reauthenticate and try again."
        # (aws/aws-cli#6580, microsoft/vscode#205489, 2021-2024); 403 Forbidden on expiry
        # (awslabs/soci-snapshotter#1148: "Received status code: 403 Forbidden" from
        # <account>.dkr.ecr.us-west-2.amazonaws.com once the 12 h token expired).
        raise RegistryError(
            403, "DENIED", "Your authorization token has expired. Reauthenticate and try again."
        )
    return claims


# --------------------------------------------------------------------------- access


def _wildcard(pattern, value: str, ignore_case: bool = False, qmark: bool = False) -> bool:
    if not isinstance(pattern, str):
        return False
    rx = "".join(
        ".*" if c == "*" else "." if (c == "?" and qmark) else re.escape(c) for c in pattern
    )
    return re.fullmatch(rx, value, re.IGNORECASE if ignore_case else 0) is not None


def _action_matches(patterns, action: str) -> bool:
    # IAM action names: case insensitive, `*` and `?` ("IAM JSON policy elements: Action")
    return any(_wildcard(p, action, ignore_case=True, qmark=True) for p in as_list(patterns))


def _policy_allows(policy_text, principal: str, action: str) -> bool:
    """A repository policy (resource-based) lets ``principal`` do ``action``: a statement
    Allows it for the principal, none Denies it. Principals as IAM names them ("IAM JSON
    policy elements: Principal"): the account id, its root ARN, the principal's ARN (a role
    session by its role), ``*``; the same names sts.py matches trust policies with."""
    from .sts import _principal_arns, _principal_matches

    try:
        doc = json.loads(policy_text or "")
    except ValueError:
        return False
    names = _principal_arns(principal)

    def applies(st) -> bool:
        if not _principal_matches(st.get("Principal"), names):
            return False
        if "NotAction" in st:
            return not _action_matches(st["NotAction"], action)
        return _action_matches(st.get("Action"), action)

    return statements_allow(doc.get("Statement") if isinstance(doc, dict) else None, applies)


def authorize(claims: dict, account: str, region: str, name: str, action: str, repo) -> None:
    """Within its account a token opens every repository (its principal's identity policies
    are not evaluated: LocalStack's credentials are the account's root). Another account's
    repository needs its repository policy to allow the action for the token's principal;
    without that, ECR answers "denied: User: arn:aws:iam::***:user/taylorjs is not
    authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-west-2:
    328549459982:repository/... because no resource-based policy allows the
    ecr:BatchGetImage action" (bottlerocket-os/bottlerocket-update-operator#157, a
    repository that did not even exist there: the denial comes first). 403 is the status of
    DENIED in the Docker registry API's error codes (assumption for ECR)."""
    if claims["a"] == account:
        return
    if repo is not None and _policy_allows(repo.policy, claims["p"], action):
        return
    arn = f"arn:aws:ecr:{region}:{account}:repository/{name}"
    raise RegistryError(
        403,
        "DENIED",
        f"User: {claims['p']} is not authorized to perform: {action} on resource: {arn} "
        f"because no resource-based policy allows the {action} action",
    )


# --------------------------------------------------------------------------- storage


class _RepoState:
    def __init__(self, created_at):
        self.created_at = created_at
        self.blobs: set = set()


class _Upload:
    def __init__(self, account, region, name):
        self.id = str(uuid.uuid4())
        self.account = account
        self.region = region
        self.name = name
        self.data = bytearray()
        self.parts = 0


class _Registry:
    def __init__(self, account, region):
        self.account = account
        self.region = region
        self.blobs: dict = {}  # digest -> bytes
        self.repos: dict = {}  # name -> _RepoState


_REGISTRIES: dict = {}  # (account, region) -> _Registry
_UPLOADS: dict = {}  # upload id -> _Upload
# Account settings (PutAccountSetting) per (account, region): only BLOB_MOUNTING is ours.
ACCOUNT_SETTINGS: dict = {}


def _registry(account, region) -> _Registry:
    key = (account, region)
    if key not in _REGISTRIES:
        _REGISTRIES[key] = _Registry(account, region)
    return _REGISTRIES[key]


def _held_bytes() -> int:
    blobs = sum(len(b) for r in _REGISTRIES.values() for b in r.blobs.values())
    return blobs + sum(len(u.data) for u in _UPLOADS.values())


def _check_room(extra: int) -> None:
    limit = _max_bytes()
    if _held_bytes() + extra > limit:
        # the emulator's bound, not AWS's: a distinct status no AWS answer uses
        raise RegistryError(
            507,
            "UNSUPPORTED",
            f"airgap emulator: the registry holds at most {limit} bytes (AIRGAP_ECR_MAX_BYTES)",
        )


def _moto_repo(account: str, region: str, name: str):
    from moto.ecr.models import ecr_backends

    if region not in ecr_backends[account]:
        return None
    return ecr_backends[account][region].repositories.get(name)


def _state(account: str, region: str, name: str, repo) -> _RepoState:
    """The repository's blob links, reset when moto's repository was deleted and made
    again (a new created_at): a deleted repository's layers are gone with it."""
    reg = _registry(account, region)
    st = reg.repos.get(name)
    if st is None or st.created_at != repo.created_at:
        _collect(reg)
        st = reg.repos[name] = _RepoState(repo.created_at)
    return st


def _collect(reg: _Registry) -> None:
    """Forget the repositories moto no longer has (or has made anew) and drop the blobs no
    remaining repository links: a deleted repository's layers go with it."""
    live = set()
    for name, st in list(reg.repos.items()):
        repo = _moto_repo(reg.account, reg.region, name)
        if repo is None or repo.created_at != st.created_at:
            del reg.repos[name]
            continue
        live |= st.blobs
    for digest in list(reg.blobs):
        if digest not in live:
            del reg.blobs[digest]


def _image_by_digest(repo, digest):
    return next((i for i in repo.images if i.get_image_digest() == digest), None)


def _image_by_tag(repo, tag):
    return next((i for i in repo.images if tag in (i.image_tags or [])), None)


def _manifest_bytes(image) -> bytes:
    return image.get_image_manifest().encode("utf-8")


def _media_type(image) -> str:
    mt = getattr(image, "image_manifest_media_type", None)
    if mt:
        return mt
    try:
        return json.loads(image.get_image_manifest()).get("mediaType") or DOCKER_MANIFEST
    except ValueError:
        return DOCKER_MANIFEST


def _referenced_blobs(repo) -> set:
    out = set()
    for image in repo.images:
        try:
            doc = json.loads(image.get_image_manifest())
        except ValueError:
            continue
        if not isinstance(doc, dict):
            continue
        for d in [doc.get("config")] + list(doc.get("layers") or []):
            if isinstance(d, dict) and isinstance(d.get("digest"), str):
                out.add(d["digest"])
    return out


_IMAGE_CLASS = []


def _image_class():
    if not _IMAGE_CLASS:
        from moto.ecr.models import Image

        class RegistryImage(Image):
            """moto's Image with ECR's size: botocore ImageDetail.imageSizeInBytes ("If the
            image is a manifest list, this will be the max size of all manifests in the
            list"); for an image manifest the sum of its layers' sizes (assumption: the
            config blob and the manifest are not counted). artifactMediaType: the config's
            media type (assumption from botocore ImageDetail.artifactMediaType, "The
            artifact media type of the image")."""

            def get_image_size_in_bytes(self):
                return self.airgap_size

        _IMAGE_CLASS.append(RegistryImage)
    return _IMAGE_CLASS[0]


def _new_image(account, repo, name, text, media_type, digest, size, artifact_type):
    image = _image_class()(
        account, None, text, name, media_type, digest, registry_id=repo.registry_id
    )
    image.airgap_size = size
    if artifact_type:
        image.artifact_media_type = artifact_type
    return image


def _move_tag(repo, image, tag) -> None:
    for other in repo.images:
        if other is not image and tag in (other.image_tags or []):
            other.remove_tag(tag)
            if not other.image_tags:
                other.image_tag = None  # untagged, still in the repository
    image.update_tag(tag)


def _tag_immutable(repo, tag: str) -> bool:
    """botocore ImageTagMutability (MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION,
    MUTABLE_WITH_EXCLUSION) and ImageTagMutabilityExclusionFilter ("which image tags should
    be excluded from the repository's image tag mutability setting", filterType WILDCARD)."""
    mutability = getattr(repo, "image_tag_mutability", None) or "MUTABLE"
    mutability = str(getattr(mutability, "value", mutability)).split(".")[-1]
    filters = getattr(repo, "image_tag_mutability_exclusion_filters", None) or []
    excluded = any(_wildcard(f.get("filter"), tag) for f in filters if isinstance(f, dict))
    if mutability == "IMMUTABLE":
        return True
    if mutability == "IMMUTABLE_WITH_EXCLUSION":
        return not excluded
    if mutability == "MUTABLE_WITH_EXCLUSION":
        return excluded
    return False


# --------------------------------------------------------------------------- scanning

_FINDINGS_FILE = Path(__file__).with_name("scan_findings.json")
# digest -> list of findings, or {"status": ..., "description": ..., "findings": [...]}
FINDINGS: dict = {}
SEVERITIES = {"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL", "UNDEFINED"}
COMPLETE = "The scan was completed successfully."  # AWS CLI example, describe-image-scan-findings
# "UnsupportedImageError: The operating system and/or package manager are not supported."
# (debuerreotype/docker-debian-artifacts#118, aws/containers-roadmap#2644); the ECR user
# guide's troubleshooting page: scratch images are not scanned.
UNSUPPORTED = "The operating system and/or package manager are not supported."


def load_findings() -> None:
    try:
        data = json.loads(_FINDINGS_FILE.read_text() or "{}")
    except (OSError, ValueError):
        LOG.warning("airgap: %s unreadable, no scan findings", _FINDINGS_FILE)
        data = {}
    FINDINGS.clear()
    for digest, entry in data.items():
        FINDINGS[digest] = _check_findings_entry(digest, entry)


def _check_findings_entry(digest, entry) -> dict:
    if not isinstance(digest, str) or not DIGEST.fullmatch(digest):
        raise ValueError(f"not a sha256 digest: {digest!r}")
    if isinstance(entry, list):
        entry = {"findings": entry}
    if not isinstance(entry, dict):
        raise ValueError("findings must be a list or an object")
    status = entry.get("status", "COMPLETE")
    if status not in ("COMPLETE", "UNSUPPORTED_IMAGE", "FAILED"):
        raise ValueError(f"status must be COMPLETE, UNSUPPORTED_IMAGE or FAILED, not {status}")
    findings = entry.get("findings") or []
    if not isinstance(findings, list):
        raise ValueError("findings must be a list")
    for f in findings:
        if not isinstance(f, dict) or not isinstance(f.get("name"), str):
            raise ValueError("each finding needs a name")
        if f.get("severity") not in SEVERITIES:
            raise ValueError(f"severity must be one of {sorted(SEVERITIES)}")
    out = {"status": status, "findings": findings}
    if entry.get("description"):
        out["description"] = str(entry["description"])
    return out


def scan_filter_matches(pattern, name: str) -> bool:
    """ECR user guide, "Filters to choose which repositories are scanned": "a filter with
    no wildcard will match all repository names that contain the filter. A filter with a
    wildcard (*) matches on any repository name where the wildcard replaces zero or more
    characters" (its table: `*prod` matches `repo-prod`, not `prod-repo`)."""
    if not isinstance(pattern, str):
        return False
    if "*" not in pattern:
        return pattern in name
    return _wildcard(pattern, name)


def _matching_frequencies(config: dict, name: str) -> set:
    return {
        rule.get("scanFrequency")
        for rule in config.get("rules") or []
        for f in rule.get("repositoryFilters") or []
        if scan_filter_matches(f.get("filter"), name)
    }


def enhanced_frequency(account: str, region: str, repo) -> "str | None":
    """With the ENHANCED scan type, the frequency of the rules matching the repository:
    CONTINUOUS_SCAN over SCAN_ON_PUSH when both match ("Amazon ECR enforces the continuous
    scanning filter over the scan on push filter"); None when none matches ("Any
    repositories not matching an enhanced scanning filter will have scanning disabled"),
    or the registry is BASIC (ECR user guide, same page)."""
    from moto.ecr.models import ecr_backends

    config = ecr_backends[account][region].registry_scanning_configuration or {}
    if config.get("scanType", "BASIC") != "ENHANCED":
        return None
    found = _matching_frequencies(config, repo.name)
    for frequency in ("CONTINUOUS_SCAN", "SCAN_ON_PUSH"):
        if frequency in found:
            return frequency
    return None


def _scan_on_push(account: str, region: str, repo) -> bool:
    """A basic scan on push when the repository says so (imageScanningConfiguration.
    scanOnPush, botocore ImageScanningConfiguration: "images will be scanned after being
    pushed"), or a BASIC registry scanning rule with SCAN_ON_PUSH has a filter matching the
    repository (botocore RegistryScanningRule: "When the BASIC scan type is specified, the
    SCAN_ON_PUSH scan frequency is supported"). CreateRepository's doc deprecates the
    former "in favor of specifying the image scanning configuration at the registry
    level"; which wins when both are set is not documented: either scans here. An ENHANCED
    registry does no basic scan: its own rules decide (enhanced_frequency)."""
    from moto.ecr.models import ecr_backends

    config = ecr_backends[account][region].registry_scanning_configuration or {}
    if config.get("scanType", "BASIC") != "BASIC":
        return False
    if (getattr(repo, "image_scanning_configuration", None) or {}).get("scanOnPush"):
        return True
    return "SCAN_ON_PUSH" in _matching_frequencies(config, repo.name)


# Enhanced scanning's statuses (DescribeImageScanFindings under an ENHANCED registry):
# PENDING while Inspector has not scanned yet (Inspector's PENDING_INITIAL_SCAN: "results
# will be available soon", Inspector API reference, ScanStatus); then ACTIVE, "Continuous
# scan is selected for image." (the response recorded in aws/aws-cli#6759) for continuous
# scanning, COMPLETE (aws/aws-sdk#289, ENHANCED with SCAN_ON_PUSH) for a scan on push.
CONTINUOUS = "Continuous scan is selected for image."


def start_scan(account: str, image, enhanced: "str | None" = None) -> None:
    """IN_PROGRESS, then COMPLETE after the time model's ``ecr-image-scan`` duration (no
    AWS figure: ours, unverified), with the fixture's findings for the digest read at
    completion. An image whose config is not a container image's (a Helm chart, another OCI
    artifact) completes as UNSUPPORTED_IMAGE. ``enhanced`` (the frequency of an ENHANCED
    registry's rule): PENDING, then ACTIVE (continuous) or COMPLETE (on push), the findings
    given as enhanced findings."""
    digest = image.get_image_digest()
    started = clock(account)
    image.airgap_scan = {
        "status": "PENDING" if enhanced else "IN_PROGRESS",
        "started": started,
        "enhanced": bool(enhanced),
    }
    image.last_scan = datetime.datetime.fromtimestamp(started, datetime.timezone.utc)
    artifact = getattr(image, "artifact_media_type", None)

    def complete():
        with LOCK:
            if getattr(image, "airgap_scan", {}).get("started") != started:
                return
            entry = FINDINGS.get(digest) or {"status": "COMPLETE", "findings": []}
            done = datetime.datetime.now(datetime.timezone.utc)
            if artifact is not None and artifact not in IMAGE_CONFIG_TYPES:
                entry = {"status": "UNSUPPORTED_IMAGE", "findings": []}
            scan = {"status": entry["status"], "started": started, "completed": done}
            if enhanced:
                scan["enhanced"] = True
            if entry["status"] == "COMPLETE" and enhanced == "CONTINUOUS_SCAN":
                scan["status"] = "ACTIVE"
                scan["description"] = CONTINUOUS
                scan["findings"] = [dict(f) for f in entry["findings"]]
            elif entry["status"] == "COMPLETE":
                scan["description"] = entry.get("description", COMPLETE)
                scan["findings"] = [dict(f) for f in entry["findings"]]
            elif entry["status"] == "UNSUPPORTED_IMAGE":
                scan["description"] = entry.get("description", UNSUPPORTED)
            elif entry.get("description"):
                scan["description"] = entry["description"]
            image.airgap_scan = scan
            if scan["status"] == "COMPLETE" and not enhanced:
                # what DescribeImages summarizes ("the last completed image scan")
                image.airgap_last_complete = scan

    timing.after("ecr-image-scan", "create", complete)


# --------------------------------------------------------------------------- helpers


def _json(status: int, data, headers=None) -> Response:
    h = dict(_API_VERSION)
    h.update(headers or {})
    resp = Response(json.dumps(data), status=status, headers=h)
    resp.headers["Content-Type"] = "application/json; charset=utf-8"
    return resp


def _empty(status: int, headers: dict) -> Response:
    h = dict(_API_VERSION)
    h.update(headers)
    return Response(b"", status=status, headers=h)


def _check_digest(digest: str) -> None:
    if not DIGEST.fullmatch(digest or ""):
        # OCI spec code-4 DIGEST_INVALID; end-6 failure 400
        raise RegistryError(400, "DIGEST_INVALID", f"invalid digest: {digest!r}")


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class _Ctx:
    """One registry request: its account, region, base URL (path prefix or host) and the
    token's claims."""

    def __init__(self, request: Request, account: str, region: str, prefix: str):
        self.request = request
        self.account = account
        self.region = region
        self.prefix = prefix
        self.claims = None

    def url(self, path: str) -> str:
        # ECR hands out absolute locations ("location=https://583787846583.dkr.ecr.
        # eu-central-1.amazonaws.com/v2/iss-scan-temp/blobs/uploads/<uuid>", regclient#81);
        # OCI spec: "the location MAY be absolute ... or it MAY be relative".
        return f"{self.request.scheme}://{self.request.host}{self.prefix}/v2/{path}"

    def repo(self, name: str, action: str, must_exist: bool = True):
        repo = _moto_repo(self.account, self.region, name)
        authorize(self.claims, self.account, self.region, name, action, repo)
        if repo is None and must_exist:
            raise _name_unknown(name, self.account)
        return repo


# --------------------------------------------------------------------------- endpoints


def _manifest(ctx: _Ctx, name: str, reference: str) -> Response:
    method = ctx.request.method
    by_digest = reference.startswith("sha256:") or ":" in reference
    if by_digest:
        _check_digest(reference)
    elif not TAG.fullmatch(reference):
        # OCI spec: a tag "MUST match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}". ECR answers 400
        # to one that does not (HEAD .../manifests/2024.42.27+1234a5c05: "unexpected status
        # code 400 Bad Request", bazel-contrib/rules_oci#720); the code is an assumption.
        raise RegistryError(400, "TAG_INVALID", f"invalid tag: {reference!r}")
    if method in ("GET", "HEAD"):
        repo = ctx.repo(name, "ecr:BatchGetImage")
        image = _image_by_digest(repo, reference) if by_digest else _image_by_tag(repo, reference)
        if image is None:
            # OCI spec: "If the manifest is not found in the repository, the response code
            # MUST be 404 Not Found"; code-7 MANIFEST_UNKNOWN. ECR's message: assumption
            # (moto's BatchGetImage failureReason).
            raise RegistryError(404, "MANIFEST_UNKNOWN", "Requested image not found")
        body = _manifest_bytes(image)
        headers = dict(_API_VERSION)
        headers["Docker-Content-Digest"] = image.get_image_digest()
        resp = Response(b"" if method == "HEAD" else body, status=200, headers=headers)
        # after the body: werkzeug sets Content-Length from it (0 for HEAD)
        resp.headers["Content-Length"] = str(len(body))
        resp.headers["Content-Type"] = _media_type(image)
        return resp
    if method == "PUT":
        return _put_manifest(ctx, name, reference, by_digest)
    if method == "DELETE":
        return _delete_manifest(ctx, name, reference, by_digest)
    raise RegistryError(405, "UNSUPPORTED", f"{method} is not supported on manifests")


def _put_manifest(ctx: _Ctx, name: str, reference: str, by_digest: bool) -> Response:
    repo = ctx.repo(name, "ecr:PutImage")
    body = ctx.request.get_data()
    if len(body) > MAX_MANIFEST:
        raise RegistryError(413, "MANIFEST_INVALID", "manifest too large")
    digest = _sha256(body)
    if by_digest and digest != reference:
        # OCI spec, code-4: "provided digest did not match uploaded content"
        raise RegistryError(
            400, "DIGEST_INVALID", "provided digest did not match uploaded content", reference
        )
    try:
        text = body.decode("utf-8")
        doc = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise RegistryError(400, "MANIFEST_INVALID", "manifest invalid: not JSON")
    if not isinstance(doc, dict) or doc.get("schemaVersion") != 2:
        raise RegistryError(400, "MANIFEST_INVALID", "manifest invalid: schemaVersion 2 expected")
    header_type = (ctx.request.headers.get("Content-Type") or "").split(";")[0].strip()
    media_type = doc.get("mediaType") or header_type
    if media_type not in IMAGE_TYPES | INDEX_TYPES:
        raise RegistryError(
            400, "MANIFEST_INVALID", f"manifest invalid: unsupported media type {media_type!r}"
        )
    st = _state(ctx.account, ctx.region, name, repo)
    missing = []
    size = 0
    artifact = None
    if media_type in IMAGE_TYPES:
        config = doc.get("config")
        layers = doc.get("layers") or []
        if not isinstance(config, dict) or not isinstance(layers, list):
            raise RegistryError(400, "MANIFEST_INVALID", "manifest invalid: config and layers")
        artifact = config.get("mediaType")
        for d in [config] + layers:
            digest_ref = d.get("digest") if isinstance(d, dict) else None
            if digest_ref not in st.blobs:
                missing.append(digest_ref)
            elif d is not config:
                size += len(_registry(ctx.account, ctx.region).blobs.get(digest_ref, b""))
    else:
        children = doc.get("manifests") or []
        if not isinstance(children, list):
            raise RegistryError(400, "MANIFEST_INVALID", "manifest invalid: manifests")
        for d in children:
            digest_ref = d.get("digest") if isinstance(d, dict) else None
            child = _image_by_digest(repo, digest_ref) if digest_ref else None
            if child is None:
                missing.append(digest_ref)
            else:
                size = max(size, child.get_image_size_in_bytes() or 0)
    if missing:
        # OCI spec, "Push": a registry MAY reject a manifest whose descriptors reference a
        # manifest or blob that does not exist; "it MUST result in one or more
        # MANIFEST_BLOB_UNKNOWN errors". ECR refuses it (botocore PutImage errors:
        # LayersNotFoundException "The specified layers could not be found",
        # ReferencedImagesNotFoundException "The manifest list is referencing an image that
        # does not exist"). Status 400 (Docker registry API); the message is an assumption.
        raise _errors(
            400,
            [
                {
                    "code": "MANIFEST_BLOB_UNKNOWN",
                    "message": "blob unknown to registry",
                    "detail": m,
                }
                for m in missing
            ],
        )
    tag = None if by_digest else reference
    existing = _image_by_digest(repo, digest)
    if tag is not None and _tag_immutable(repo, tag) and _image_by_tag(repo, tag) is not None:
        # "tag invalid: The image tag '<tag>' already exists in the '<ecr-repo>' repository
        # and cannot be overwritten because the repository is immutable." (moby/buildkit#3776,
        # 2023: an image already there pushed again; aws/containers-roadmap#862, 2020),
        # "400 Bad Request" on the manifest PUT (docker/buildx#1660). The same manifest
        # under the same tag is refused as well (aws/containers-roadmap#2179: "even when the
        # digest has not changed"; #2380).
        raise RegistryError(
            400,
            "TAG_INVALID",
            f"The image tag '{tag}' already exists in the '{name}' repository and cannot be "
            "overwritten because the repository is immutable.",
        )
    created = existing is None
    if created:
        existing = _new_image(
            ctx.account,
            repo,
            name,
            text,
            media_type,
            digest,
            size,
            artifact if media_type in IMAGE_TYPES else None,
        )
        repo.images.append(existing)
    if tag is not None:
        _move_tag(repo, existing, tag)
    if created and media_type in IMAGE_TYPES:
        enhanced = enhanced_frequency(ctx.account, ctx.region, repo)
        if enhanced is not None:
            start_scan(ctx.account, existing, enhanced)
        elif _scan_on_push(ctx.account, ctx.region, repo):
            start_scan(ctx.account, existing)
    # OCI spec: "201 Created ... Location: <location> ... The Docker-Content-Digest header
    # returns the canonical digest of the uploaded blob, and MUST be equal to the client
    # provided digest".
    return _empty(
        201,
        {"Location": ctx.url(f"{name}/manifests/{digest}"), "Docker-Content-Digest": digest},
    )


def _delete_manifest(ctx: _Ctx, name: str, reference: str, by_digest: bool) -> Response:
    """OCI spec, "Deleting Manifests" / "Deleting tags": 202 Accepted; a deleted manifest
    and every tag on it then 404. By tag, only the tag goes (ECR's answer to a tag delete is
    not recorded: the spec's)."""
    repo = ctx.repo(name, "ecr:BatchDeleteImage")
    image = _image_by_digest(repo, reference) if by_digest else _image_by_tag(repo, reference)
    if image is None:
        raise RegistryError(404, "MANIFEST_UNKNOWN", "Requested image not found")
    if by_digest:
        repo.images.remove(image)
    else:
        image.remove_tag(reference)
        if not image.image_tags:
            image.image_tag = None
    return _empty(202, {})


def _blob(ctx: _Ctx, name: str, digest: str) -> Response:
    method = ctx.request.method
    _check_digest(digest)
    if method == "DELETE":
        # ECR has no layer delete (layers go with the images that reference them, by the
        # lifecycle policy or BatchDeleteImage); OCI spec: "If blob deletion is disabled, the
        # registry MUST respond with either a 400 Bad Request or a 405 Method Not Allowed".
        raise RegistryError(405, "UNSUPPORTED", "blob deletion is not supported")
    if method not in ("GET", "HEAD"):
        raise RegistryError(405, "UNSUPPORTED", f"{method} is not supported on blobs")
    # HEAD is a layer availability check, GET a download (the actions of the ECR user guide's
    # pull permissions: ecr:BatchCheckLayerAvailability, ecr:GetDownloadUrlForLayer)
    action = "ecr:BatchCheckLayerAvailability" if method == "HEAD" else "ecr:GetDownloadUrlForLayer"
    repo = ctx.repo(name, action)
    st = _state(ctx.account, ctx.region, name, repo)
    data = _registry(ctx.account, ctx.region).blobs.get(digest)
    if digest not in st.blobs or data is None:
        # OCI spec: "If the blob is not found in the repository, the response code MUST be
        # 404 Not Found"; code-1 BLOB_UNKNOWN. Blobs are per repository in ECR (a layer of
        # another repository is mounted, not seen: blob-mounting.html).
        raise RegistryError(404, "BLOB_UNKNOWN", "blob unknown to registry", digest)
    headers = dict(_API_VERSION)
    headers["Docker-Content-Digest"] = digest
    headers["Accept-Ranges"] = "bytes"
    status = 200
    body = data
    rng = ctx.request.headers.get("Range")
    if method == "GET" and rng:
        # OCI spec: "A registry SHOULD support the Range request header" (RFC 9110)
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
        if m and (m.group(1) or m.group(2)):
            if m.group(1):
                start = int(m.group(1))
                end = int(m.group(2)) if m.group(2) else len(data) - 1
            else:
                start = max(0, len(data) - int(m.group(2)))
                end = len(data) - 1
            end = min(end, len(data) - 1)
            if start > end:
                headers["Content-Range"] = f"bytes */{len(data)}"
                return Response(b"", status=416, headers=headers)
            body = data[start : end + 1]
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
    resp = Response(b"" if method == "HEAD" else body, status=status, headers=headers)
    resp.headers["Content-Length"] = str(len(body))
    resp.headers["Content-Type"] = "application/octet-stream"
    return resp


def _upload_location(ctx: _Ctx, up: _Upload) -> dict:
    headers = {
        "Location": ctx.url(f"{up.name}/blobs/uploads/{up.id}"),
        "Docker-Upload-UUID": up.id,
    }
    if up.data:
        headers["Range"] = f"0-{len(up.data) - 1}"
    return headers


def _start_upload(ctx: _Ctx, name: str) -> Response:
    args = ctx.request.args
    repo = ctx.repo(name, "ecr:InitiateLayerUpload")
    mount, source = args.get("mount"), args.get("from")
    if mount:
        mounted = _mount(ctx, name, repo, mount, source)
        if mounted is not None:
            return mounted
    # A POST with ?digest= and the blob (the spec's "single POST"): "Registries that do not
    # support single request monolithic uploads SHOULD return a 202 Accepted status code and
    # Location header and clients SHOULD proceed with a subsequent PUT request". Whether ECR
    # completes it is not recorded; the emulator does not: the body is not kept.
    up = _Upload(ctx.account, ctx.region, name)
    _UPLOADS[up.id] = up
    return _empty(202, _upload_location(ctx, up))


def _mount(ctx: _Ctx, name: str, repo, digest: str, source) -> "Response | None":
    """Cross-repository blob mount, ECR's way (ECR user guide, "Blob mounting in Amazon
    ECR"): only with the registry's BLOB_MOUNTING account setting ENABLED
    (``aws ecr put-account-setting --name BLOB_MOUNTING --value ENABLED``), within one
    registry (same account and region), between repositories with identical encryption
    type and key, and needing ecr:GetDownloadUrlForLayer on the source; a blob only once a
    manifest in the source repository references it ("For an unreferenced-but-present blob,
    ECR returns 202 Accepted (falling back to a fresh upload session)",
    aws/containers-roadmap#2860). Anything else: None, and the caller answers 202 with an
    upload session (OCI spec: "if a registry does not support cross-repository mounting or
    is unable to mount the requested blob, it SHOULD return a 202")."""
    if not DIGEST.fullmatch(digest) or not source or not re.fullmatch(NAME, source):
        return None
    setting = ACCOUNT_SETTINGS.get((ctx.account, ctx.region), {}).get("BLOB_MOUNTING", "DISABLED")
    if setting != "ENABLED":
        return None
    src = _moto_repo(ctx.account, ctx.region, source)
    if src is None:
        return None
    try:
        authorize(ctx.claims, ctx.account, ctx.region, source, "ecr:GetDownloadUrlForLayer", src)
    except RegistryError:
        return None
    if (src.encryption_configuration or {}) != (repo.encryption_configuration or {}):
        return None
    src_state = _state(ctx.account, ctx.region, source, src)
    if digest not in src_state.blobs or digest not in _referenced_blobs(src):
        return None
    _state(ctx.account, ctx.region, name, repo).blobs.add(digest)
    # OCI spec: "The response to a successful mount MUST be 201 Created, and MUST contain
    # ... Location: <blob-location>"
    return _empty(
        201, {"Location": ctx.url(f"{name}/blobs/{digest}"), "Docker-Content-Digest": digest}
    )


def _upload(ctx: _Ctx, name: str, upload_id: str) -> Response:
    method = ctx.request.method
    up = _UPLOADS.get(upload_id)
    actions = {
        "PATCH": "ecr:UploadLayerPart",
        "PUT": "ecr:CompleteLayerUpload",
        "GET": "ecr:UploadLayerPart",
        "DELETE": "ecr:UploadLayerPart",
    }
    if method not in actions:
        raise RegistryError(405, "UNSUPPORTED", f"{method} is not supported on uploads")
    repo = ctx.repo(name, actions[method])
    if up is None or (up.account, up.region, up.name) != (ctx.account, ctx.region, name):
        # OCI spec, code-3 BLOB_UPLOAD_UNKNOWN; end-5/end-6/end-13 failure 404
        raise RegistryError(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
    if method == "GET":
        # OCI spec: "The response to an active upload <location> MUST be a 204 No Content
        # response code, and MUST have the following headers: Location, Range"
        headers = _upload_location(ctx, up)
        headers["Range"] = f"0-{max(len(up.data) - 1, 0)}"
        return _empty(204, headers)
    if method == "DELETE":
        del _UPLOADS[up.id]
        return _empty(204, {})
    body = ctx.request.get_data()
    rng = ctx.request.headers.get("Content-Range")
    if rng and body:
        # OCI spec: Content-Range "<start>-<end>", inclusive; "Chunks MUST be uploaded in
        # order ... If a chunk is uploaded out of order, the registry MUST respond with a
        # 416 Requested Range Not Satisfiable code."
        m = re.fullmatch(r"(?:bytes )?(\d+)-(\d+)(?:/\d+|/\*)?", rng.strip())
        if (
            not m
            or int(m.group(1)) != len(up.data)
            or int(m.group(2)) - int(m.group(1)) + 1 != len(body)
        ):
            headers = _upload_location(ctx, up)
            headers["Range"] = f"0-{max(len(up.data) - 1, 0)}"
            raise RegistryError(
                416,
                "BLOB_UPLOAD_INVALID",
                "the chunk's range does not follow the upload",
                headers=headers,
            )
    if body:
        _check_room(len(body))
        up.data.extend(body)
        up.parts += 1
    if method == "PATCH":
        # ECR answers a chunk with 201 Created, not the spec's 202 Accepted ("Intermediate
        # PATCH requests return 201 Created instead of 202 Accepted", aws/containers-roadmap
        # #2831, 2026; "Unexpected 201 when uploading to ECR with --chunk-size",
        # cirruslabs/tart#273, 2022): a client must take any 2xx.
        headers = _upload_location(ctx, up)
        headers["Range"] = f"0-{max(len(up.data) - 1, 0)}"
        return _empty(201, headers)
    # PUT: close the session
    digest = ctx.request.args.get("digest") or ""
    _check_digest(digest)
    if up.parts == 0:
        # "response status code 400: blob upload invalid: The upload with id '47552bfb-...'
        # in the repository with name 'test-ecr' in registry with id '<account-name>' cannot
        # be completed because it does not have any parts." (radius-project/radius#7855: an
        # empty blob, sha256:e3b0..., pushed to ECR)
        del _UPLOADS[up.id]
        raise RegistryError(
            400,
            "BLOB_UPLOAD_INVALID",
            f"The upload with id '{up.id}' in the repository with name '{name}' in registry "
            f"with id '{ctx.account}' cannot be completed because it does not have any parts.",
        )
    data = bytes(up.data)
    del _UPLOADS[up.id]
    if _sha256(data) != digest:
        # OCI spec, code-4 DIGEST_INVALID, "provided digest did not match uploaded content";
        # end-6 failure 400. ECR's message: assumption.
        raise RegistryError(
            400, "DIGEST_INVALID", "provided digest did not match uploaded content", digest
        )
    st = _state(ctx.account, ctx.region, name, repo)  # first: it may collect unlinked blobs
    _registry(ctx.account, ctx.region).blobs[digest] = data
    st.blobs.add(digest)
    # OCI spec: "201 Created and MUST have the following header: Location: <blob-location>"
    return _empty(
        201, {"Location": ctx.url(f"{name}/blobs/{digest}"), "Docker-Content-Digest": digest}
    )


def _paginate(ctx: _Ctx, items: list, path: str):
    """OCI spec, "Listing Tags": ``n`` and ``last``, lexical order, a Link header with
    rel="next" when more remain; n=0 answers an empty list without Link."""
    args = ctx.request.args
    last = args.get("last")
    if last is not None:
        items = [i for i in items if i.lower() > last.lower()]
    link = {}
    n = args.get("n")
    if n is not None:
        try:
            n = int(n)
        except ValueError:
            raise RegistryError(400, "UNSUPPORTED", "n must be an integer")
        if 0 <= n < len(items):
            items = items[:n]
            if n > 0:
                link["Link"] = f'<{ctx.prefix}/v2/{path}?n={n}&last={items[-1]}>; rel="next"'
    return items, link


def _tags(ctx: _Ctx, name: str) -> Response:
    if ctx.request.method not in ("GET", "HEAD"):
        raise RegistryError(405, "UNSUPPORTED", "tags are listed with GET")
    repo = ctx.repo(name, "ecr:ListImages")
    tags = sorted({t for i in repo.images for t in (i.image_tags or [])}, key=str.lower)
    tags, link = _paginate(ctx, tags, f"{name}/tags/list")
    return _json(200, {"name": name, "tags": tags}, link)


def _catalog(ctx: _Ctx) -> Response:
    """GET /v2/_catalog: the registry's repositories (ECR answers it: "curl ... -H
    'Authorization: Basic $TOKEN' https://111111111111.dkr.ecr.us-east-1.amazonaws.com/
    v2/_catalog" lists them, mayflower/docker-ls#28). Another account's token: DENIED."""
    from moto.ecr.models import ecr_backends

    authorize(ctx.claims, ctx.account, ctx.region, "*", "ecr:DescribeRepositories", None)
    backends = ecr_backends[ctx.account]
    names = sorted(backends[ctx.region].repositories) if ctx.region in backends else []
    names, link = _paginate(ctx, names, "_catalog")
    return _json(200, {"repositories": names}, link)


def _dispatch(ctx: _Ctx, rest: str) -> Response:
    if rest == "":
        # OCI spec, end-1: "If the response is 200 OK, then the registry implements this
        # specification."
        return _json(200, {})
    if rest == "_catalog":
        return _catalog(ctx)
    m = MANIFEST_PATH.fullmatch(rest)
    if m:
        return _manifest(ctx, m.group(1), m.group(2))
    m = UPLOADS_PATH.fullmatch(rest)
    if m:
        name, upload_id = m.groups()
        if upload_id == "":
            if ctx.request.method != "POST":
                raise RegistryError(405, "UNSUPPORTED", "uploads start with POST")
            return _start_upload(ctx, name)
        return _upload(ctx, name, upload_id)
    m = BLOB_PATH.fullmatch(rest)
    if m:
        return _blob(ctx, m.group(1), m.group(2))
    m = TAGS_PATH.fullmatch(rest)
    if m:
        return _tags(ctx, m.group(1))
    # the referrers API (OCI 1.1, end-12a) and anything else: not emulated
    raise RegistryError(404, "UNSUPPORTED", f"not an endpoint of this registry: /v2/{rest}")


def serve(request: Request, account: str, region: str, rest: str, prefix: str) -> Response:
    timing.set_current_account(account)
    try:
        ctx = _Ctx(request, account, region, prefix)
        try:
            ctx.claims = authenticate(request, account)
        except _Unauthorized:
            return _not_authorized(account, region)
        with LOCK:
            return _dispatch(ctx, rest)
    except RegistryError as e:
        return _error_response(request, e)


# --------------------------------------------------------------------------- routes


def _by_path(request: Request, account: str, region: str, rest: str = "", **kwargs):
    return serve(request, account, region, rest, f"/_airgap/ecr/{account}/{region}")


def _by_host(request: Request, account: str, region: str, rest: str = "", **kwargs):
    return serve(request, account, region, rest, "")


def _findings_endpoint(request: Request, **kwargs):
    """Test control: POST {"digest": "sha256:...", "findings": [...]} (or "status":
    "UNSUPPORTED_IMAGE") sets what a scan of that digest finds; GET lists them; DELETE
    reloads the fixture file."""
    if request.method == "GET":
        return Response(json.dumps(FINDINGS), mimetype="application/json")
    if request.method == "DELETE":
        with LOCK:
            load_findings()
        return Response(json.dumps(FINDINGS), mimetype="application/json")
    try:
        data = json.loads(request.get_data() or b"{}")
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        digest = data.get("digest")
        entry = _check_findings_entry(digest, {k: v for k, v in data.items() if k != "digest"})
    except (ValueError, TypeError) as e:
        return Response(json.dumps({"error": str(e)}), status=400, mimetype="application/json")
    with LOCK:
        FINDINGS[digest] = entry
    return Response(json.dumps({digest: entry}), status=200, mimetype="application/json")


def _clock_endpoint(request: Request, **kwargs):
    """Test control: POST {"account": "...", "offset_seconds": N} moves that account's ECR
    clock (token expiry, scan quota) N seconds ahead; GET lists the offsets."""
    if request.method == "POST":
        try:
            data = json.loads(request.get_data() or b"{}")
            account = str(data["account"])
            offset = float(data.get("offset_seconds", 0))
        except (ValueError, TypeError, KeyError) as e:
            return Response(
                json.dumps({"error": f"account and offset_seconds: {e}"}),
                status=400,
                mimetype="application/json",
            )
        with LOCK:
            _CLOCK_OFFSETS[account] = offset
    return Response(json.dumps(_CLOCK_OFFSETS), mimetype="application/json")


_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
_ACCOUNT = "<regex('[0-9]{12}'):account>"
_REGION = "<regex('[a-z]{2}(?:-[a-z]+)+-[0-9]+'):region>"
_HOST = f"{_ACCOUNT}.dkr.ecr.{_REGION}.<regex('.+'):server>"


def add_routes(router) -> None:
    load_findings()
    prefix = f"/_airgap/ecr/{_ACCOUNT}/{_REGION}/v2"
    router.add(f"{prefix}/", _by_path, methods=_METHODS)
    router.add(f"{prefix}/<path:rest>", _by_path, methods=_METHODS)
    router.add("/v2/", _by_host, host=_HOST, methods=_METHODS)
    router.add("/v2/<path:rest>", _by_host, host=_HOST, methods=_METHODS)
    router.add("/_airgap/ecr/findings", _findings_endpoint, methods=["GET", "POST", "DELETE"])
    router.add("/_airgap/ecr/clock", _clock_endpoint, methods=["GET", "POST"])
