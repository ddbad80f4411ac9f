"""ECR: moto's repositories, images and policies, plus AWS's check that the IAM principals a
repository policy names exist.

SetRepositoryPolicy: AWS refuses a policy whose principal is an IAM role (or user) that does
not exist, or that IAM has not yet propagated to ECR, with
``400 InvalidParameterException: Invalid parameter at 'PolicyText' failed to satisfy
constraint: 'Principal not found'``, recorded in
https://github.com/hashicorp/terraform-provider-aws/issues/39064 (2024-08-28; a newly created
role, accepted on the second try). Older AWS answered the same case with
``... 'Invalid repository policy provided'`` (hashicorp/terraform-provider-aws#1164, 2017).
moto validates only the policy grammar, so a nonexistent role would pass: this module checks
the role and user ARNs of ``Principal.AWS`` against LocalStack's IAM (moto's IAM backends,
per account and partition). Account ids and ``:root`` ARNs are not checked (not emulated).

GetRepositoryPolicy: AWS hands the policy back reformatted, not as it was set: the example of
the ECR API reference (GetRepositoryPolicy, "To get the current policy for a repository", also
on https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/client/ecr/command/GetRepositoryPolicyCommand)
returns ``{\n  "Version" : "2008-10-17",\n  "Statement" : [ {\n    "Sid" : ...`` (a Jackson-style
pretty print: two-space indent, `` : `` between key and value, lists on one line). moto returns
the text unchanged; this module reformats it the same way, keeping the order of keys and list
items (whether AWS reorders or collapses single-element lists is not documented: not emulated).
GetAuthorizationToken, PutImage, StartImageScan, DescribeImageScanFindings, DescribeImages,
PutAccountSetting and GetAccountSetting: ECR's registry (ecr_registry.py) needs tokens it
can check, digests that are the manifests' own, scans with AWS's states and quota, and the
BLOB_MOUNTING setting; moto's answers for them are replaced below (each handler says how).
See docs/emulator-fidelity.md, ECR and "ECR: the registry".
"""

import datetime
import hashlib
import json
import re

from localstack.services.moto import call_moto, call_moto_with_request

from . import ecr_registry
from .common import LOCK, AwsError, parse_arn

PRINCIPAL_NOT_FOUND = (
    "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Principal not found'"
)


def _as_list(v) -> list:
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def _aws_principals(policy) -> list:
    if not isinstance(policy, dict):
        return []
    out = []
    for st in _as_list(policy.get("Statement")):
        principal = st.get("Principal") if isinstance(st, dict) else None
        if isinstance(principal, dict):
            out.extend(p for p in _as_list(principal.get("AWS")) if isinstance(p, str))
    return out


def _iam_entity_exists(arn: str) -> bool:
    """False only for a role or user ARN that IAM does not have; anything else passes."""
    try:
        p = parse_arn(arn)
    except ValueError:
        return True  # not an ARN (an account id, "*"): left to moto's validation
    if p["service"] != "iam":
        return True
    kind, _, path_name = p["resource"].partition("/")
    if kind not in ("role", "user") or not path_name:
        return True
    from moto.iam.models import iam_backends

    backend = iam_backends[p["account"]][p["partition"]]
    entities = backend.roles.values() if kind == "role" else backend.users.values()
    return any(e.arn == arn for e in entities)


def aws_pretty(value, level: int = 0) -> str:
    """JSON as in the GetRepositoryPolicy example of the ECR API reference."""
    pad = "  "
    if isinstance(value, dict):
        if not value:
            return "{ }"
        items = [
            f"{pad * (level + 1)}{json.dumps(k)} : {aws_pretty(v, level + 1)}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + pad * level + "}"
    if isinstance(value, list):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(aws_pretty(v, level) for v in value) + " ]"
    return json.dumps(value)


def get_repository_policy(ctx, req):
    out = call_moto(ctx)
    try:
        out["policyText"] = aws_pretty(json.loads(out["policyText"]))
    except (KeyError, TypeError, ValueError):
        pass
    return out


def set_repository_policy(ctx, req):
    try:
        policy = json.loads(req.get("policyText") or "")
    except ValueError:
        return call_moto(ctx)  # moto answers malformed JSON as AWS does
    for arn in _aws_principals(policy):
        if not _iam_entity_exists(arn):
            raise AwsError("InvalidParameterException", PRINCIPAL_NOT_FOUND, 400)
    return call_moto(ctx)


def get_authorization_token(ctx, req):
    """moto's token was the constant ``AWS:<registry id>-auth-token`` with ``expiresAt`` in
    2015; here a token the registry checks, valid 12 hours (botocore GetAuthorizationToken:
    "The authorization token is valid for 12 hours"), naming the caller (its account, and
    its principal as iam.py reads the credentials). proxyEndpoint stays AWS's
    ``https://<account>.dkr.ecr.<region>.amazonaws.com`` (the AWS CLI example)."""
    from .iam import caller

    out = call_moto(ctx)
    principal, _ = caller(ctx)
    for data in out.get("authorizationData") or []:
        token, expires = ecr_registry.issue_token(ctx.account_id, principal)
        data["authorizationToken"] = token
        data["expiresAt"] = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc)
    return out


def put_image(ctx, req):
    """AWS's image digest is the sha256 of the manifest (botocore
    ImageDigestDoesNotMatchException: "The specified image digest does not match the digest
    that Amazon ECR calculated for the image"); moto's was the sha256 of the layer digests
    joined, so an image put here and pulled from the registry by digest did not match.
    Layers and referenced images are not checked here (moto's; the registry checks them)."""
    manifest = req.get("imageManifest") or ""
    digest = "sha256:" + hashlib.sha256(manifest.encode("utf-8")).hexdigest()
    given = req.get("imageDigest")
    if given and given != digest:
        # the message is the exception's botocore doc (AWS's own text not recorded)
        raise AwsError(
            "ImageDigestDoesNotMatchException",
            "The specified image digest does not match the digest that Amazon ECR "
            "calculated for the image.",
        )
    return call_moto_with_request(ctx, dict(req, imageDigest=digest))


def _image(ctx, req):
    """moto's repository and image, with its not-found answers as errors of ours."""
    from moto.ecr.exceptions import ImageNotFoundException, RepositoryNotFoundException
    from moto.ecr.models import ecr_backends

    backend = ecr_backends[ctx.account_id][ctx.region]
    image_id = req.get("imageId") or {}
    try:
        repo = backend._get_repository(req.get("repositoryName"), req.get("registryId"))
        image = repo._get_image(image_id.get("imageTag"), image_id.get("imageDigest"))
    except (RepositoryNotFoundException, ImageNotFoundException) as e:
        raise AwsError(e.code, e.message) from e
    return repo, image


def _image_id(req, image) -> dict:
    # the AWS CLI examples (start-image-scan, describe-image-scan-findings) answer an image
    # asked for by digest with its digest alone: the tag only when asked by tag
    out = {"imageDigest": image.get_image_digest()}
    tag = (req.get("imageId") or {}).get("imageTag")
    if tag:
        out["imageTag"] = tag
    return out


def _is_index(image) -> bool:
    return ecr_registry._media_type(image) in ecr_registry.INDEX_TYPES


def start_image_scan(ctx, req):
    """A basic scan of one image (botocore StartImageScan): "A basic image scan can only be
    started once per 24 hours on an individual image. This limit includes if an image was
    scanned on initial push" -> LimitExceededException (moto's message, "The scan quota per
    image has been exceeded. Wait and try again."; moto counted calendar days and not scans
    on push); a manifest list or index is not an image to scan ->
    UnsupportedImageTypeException ("The image is of a type that cannot be scanned.", its
    botocore doc; the message is an assumption). Answer: IN_PROGRESS (the AWS CLI example)."""
    with LOCK:
        repo, image = _image(ctx, req)
        if _is_index(image):
            raise AwsError(
                "UnsupportedImageTypeException", "The image is of a type that cannot be scanned."
            )
        scan = getattr(image, "airgap_scan", None)
        now = ecr_registry.clock(ctx.account_id)
        if scan and now - scan["started"] < ecr_registry.SCAN_QUOTA_SECONDS:
            raise AwsError(
                "LimitExceededException",
                "The scan quota per image has been exceeded. Wait and try again.",
            )
        ecr_registry.start_scan(ctx.account_id, image)
        return {
            "registryId": repo.registry_id,
            "repositoryName": repo.name,
            "imageId": _image_id(req, image),
            "imageScanStatus": {"status": "IN_PROGRESS"},
        }


def describe_image_scan_findings(ctx, req):
    """The image's last scan (ecr_registry.start_scan), as the AWS CLI example shows it:
    COMPLETE, "The scan was completed successfully.", findings with their severity counts,
    imageScanCompletedAt and vulnerabilitySourceUpdatedAt; IN_PROGRESS without findings
    while it runs; UNSUPPORTED_IMAGE for an image the scanner cannot read. Never scanned:
    ScanNotFoundException ("The specified image scan could not be found. Ensure that image
    scanning is enabled on the repository and try again.", botocore; moto's message kept).
    moto answered every scanned image with a made-up CVE-9999-9999 HIGH finding. Pages:
    maxResults (1-1000, default 100: botocore) and nextToken."""
    with LOCK:
        repo, image = _image(ctx, req)
        scan = getattr(image, "airgap_scan", None)
        if scan is None:
            image_id = req.get("imageId") or {}
            rep = (
                f"{{imageDigest:'{image_id.get('imageDigest') or 'null'}', "
                f"imageTag:'{image_id.get('imageTag') or 'null'}'}}"
            )
            raise AwsError(
                "ScanNotFoundException",
                f"Image scan does not exist for the image with '{rep}' in the repository "
                f"with name '{repo.name}' in the registry with id '{repo.registry_id}'",
            )
        out = {
            "registryId": repo.registry_id,
            "repositoryName": repo.name,
            "imageId": _image_id(req, image),
            "imageScanStatus": {"status": scan["status"]},
        }
        if scan.get("description"):
            out["imageScanStatus"]["description"] = scan["description"]
        if scan["status"] not in ("COMPLETE", "ACTIVE"):
            return out
        findings = scan.get("findings") or []
        if scan.get("enhanced"):
            findings = [_enhanced_finding(ctx, repo, image, f) for f in findings]
        counts: dict = {}
        for f in findings:
            counts[f["severity"]] = counts.get(f["severity"], 0) + 1
        size = int(req.get("maxResults") or 100)
        try:
            start = int(req.get("nextToken") or 0)
        except ValueError:
            raise AwsError("InvalidParameterException", "Invalid parameter at 'nextToken'")
        page = findings[start : start + size]
        if scan.get("enhanced"):
            # Enhanced findings only: the responses recorded in aws/aws-cli#6759 and
            # aws/aws-sdk#289 carry no findingSeverityCounts, so a client must count them.
            out["imageScanFindings"] = {"enhancedFindings": page}
        else:
            out["imageScanFindings"] = {
                "imageScanCompletedAt": scan["completed"],
                "vulnerabilitySourceUpdatedAt": scan["completed"],
                "findingSeverityCounts": counts,
                "findings": page,
            }
        if start + size < len(findings):
            out["nextToken"] = str(start + size)
        return out


def _enhanced_finding(ctx, repo, image, f: dict) -> dict:
    """A fixture finding as Inspector's (botocore EnhancedImageScanFinding): its severity
    (Inspector's UNTRIAGED where ECR's basic scan says UNDEFINED), title, the vulnerability
    id, ACTIVE."""
    severity = "UNTRIAGED" if f["severity"] == "UNDEFINED" else f["severity"]
    name = f["name"]
    return {
        "awsAccountId": ctx.account_id,
        "description": f.get("description", name),
        "findingArn": f"arn:aws:inspector2:{ctx.region}:{ctx.account_id}:finding/{name}",
        "severity": severity,
        "status": "ACTIVE",
        "title": name,
        "type": "PACKAGE_VULNERABILITY",
        "packageVulnerabilityDetails": {"vulnerabilityId": name, "source": "NVD"},
        "resources": [
            {
                "type": "AWS_ECR_CONTAINER_IMAGE",
                "id": f"arn:aws:ecr:{ctx.region}:{ctx.account_id}:repository/{repo.name}/"
                f"{image.get_image_digest()}",
            }
        ],
    }


def describe_images(ctx, req):
    """moto's image details with the scan's state of each image (botocore ImageDetail:
    ``imageScanStatus``, "The current state of the scan", and ``imageScanFindingsSummary``,
    "A summary of the last completed image scan": findingSeverityCounts,
    imageScanCompletedAt, vulnerabilitySourceUpdatedAt). moto's details carry neither, so a
    client reading the scans of a repository in one paginated call saw none. An image never
    scanned has neither field (the AWS CLI example, describe-images, shows such an image);
    during a rescan the summary stays the last completed scan's."""
    from moto.ecr.models import ecr_backends

    out = call_moto(ctx)
    with LOCK:
        backend = ecr_backends[ctx.account_id][ctx.region]
        try:
            repo = backend._get_repository(req.get("repositoryName"), req.get("registryId"))
        except Exception:  # moto answered already; nothing to add
            return out
        by_digest = {i.get_image_digest(): i for i in repo.images}
        for detail in out.get("imageDetails") or []:
            detail.pop("imageScanStatus", None)
            detail.pop("imageScanFindingsSummary", None)
            image = by_digest.get(detail.get("imageDigest"))
            scan = getattr(image, "airgap_scan", None) if image is not None else None
            # Enhanced scans are not summarized by DescribeImages (aws/containers-roadmap#1662:
            # "does not provide the imageScanStatus and imageScanFindingsSummary ... when
            # ... using enhanced scanning").
            if scan is None or scan.get("enhanced"):
                continue
            detail["imageScanStatus"] = {"status": scan["status"]}
            if scan.get("description"):
                detail["imageScanStatus"]["description"] = scan["description"]
            done = getattr(image, "airgap_last_complete", None)
            if done is not None:
                counts: dict = {}
                for f in done.get("findings") or []:
                    counts[f["severity"]] = counts.get(f["severity"], 0) + 1
                detail["imageScanFindingsSummary"] = {
                    "imageScanCompletedAt": done["completed"],
                    "vulnerabilitySourceUpdatedAt": done["completed"],
                    "findingSeverityCounts": counts,
                }
    return out


_ACCOUNT_SETTINGS = {"BLOB_MOUNTING": ("ENABLED", "DISABLED")}


def put_account_setting(ctx, req):
    """BLOB_MOUNTING, ENABLED or DISABLED (botocore PutAccountSetting.value: "Valid values
    for blob mounting: ENABLED or DISABLED"; ECR user guide, "Blob mounting in Amazon ECR");
    moto has no account settings. Other names go to moto (not emulated). Another value:
    InvalidParameterException (one of the operation's errors; the message is ours)."""
    name, value = req.get("name"), req.get("value")
    if name not in _ACCOUNT_SETTINGS:
        return call_moto(ctx)
    if value not in _ACCOUNT_SETTINGS[name]:
        raise AwsError(
            "InvalidParameterException",
            f"Invalid parameter at 'value' failed to satisfy constraint: '{name} must be one "
            f"of {', '.join(_ACCOUNT_SETTINGS[name])}'",
        )
    with LOCK:
        ecr_registry.ACCOUNT_SETTINGS.setdefault((ctx.account_id, ctx.region), {})[name] = value
    return {"name": name, "value": value}


def get_account_setting(ctx, req):
    """BLOB_MOUNTING: DISABLED until set (the user guide describes enabling it; the default
    is an assumption)."""
    name = req.get("name")
    if name not in _ACCOUNT_SETTINGS:
        return call_moto(ctx)
    with LOCK:
        value = ecr_registry.ACCOUNT_SETTINGS.get((ctx.account_id, ctx.region), {}).get(
            name, "DISABLED"
        )
    return {"name": name, "value": value}


LIFECYCLE_INVALID = (
    "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: "
    "'Lifecycle policy validation failure: {}'"
)
_COUNT_TYPES = {"imageCountMoreThan", "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned"}


def _lifecycle_problem(doc) -> "str | None":
    """What ECR's user guide, "Lifecycle policy properties", forbids in a lifecycle
    policy, or None: a unique integer rulePriority >= 1 per rule; tagStatus tagged (with
    tagPatternList or tagPrefixList), untagged (without them; at most one such rule) or
    any (the highest rulePriority); countType among the four documented; countUnit
    ``days`` with the age types and none with imageCountMoreThan; countNumber >= 1;
    action expire, or transition to ``archive``."""
    rules = doc.get("rules") if isinstance(doc, dict) else None
    if not isinstance(rules, list) or not rules:
        return "object has missing required properties ([\"rules\"])"
    seen, untagged = set(), 0
    prios = [r.get("rulePriority") for r in rules if isinstance(r, dict)]
    for r in rules:
        if not isinstance(r, dict):
            return "a rule is not an object"
        p, sel, action = r.get("rulePriority"), r.get("selection") or {}, r.get("action") or {}
        if not isinstance(p, int) or isinstance(p, bool) or p < 1 or p in seen:
            return f"rulePriority {p!r} is not a unique integer of 1 or more"
        seen.add(p)
        status = sel.get("tagStatus")
        lists = [k for k in ("tagPatternList", "tagPrefixList") if sel.get(k)]
        if status == "tagged" and not lists:
            return "tagPatternList or tagPrefixList is required with tagStatus tagged"
        if status == "untagged":
            untagged += 1
            if lists or untagged > 1:
                return "instance failed to match exactly one schema (matched 0 out of 2)"
        if status == "any" and any(isinstance(o, int) and o > p for o in prios):
            return "a rule with tagStatus any must have the highest rulePriority"
        if status not in ("tagged", "untagged", "any"):
            return f"tagStatus {status!r} is not one of tagged, untagged, any"
        ctype = sel.get("countType")
        if ctype not in _COUNT_TYPES:
            return f"countType {ctype!r} is not valid"
        # A countUnit of null is present, and refused: the recorded AWS answer
        # (cloudposse/terraform-aws-ecr#132).
        has_unit = "countUnit" in sel
        if (ctype == "imageCountMoreThan") == has_unit or (has_unit and sel["countUnit"] != "days"):
            return "instance failed to match exactly one schema (matched 0 out of 2)"
        n = sel.get("countNumber")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            return f"countNumber {n!r} is not an integer of 1 or more"
        kind = action.get("type")
        if kind not in ("expire", "transition") or (
            kind == "transition" and action.get("targetStorageClass") != "archive"
        ):
            return f"action {action!r} is not valid"
    return None


def put_lifecycle_policy(ctx, req):
    """moto stores any text. AWS validates the policy: 400 InvalidParameterException
    "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle
    policy validation failure: ..." (the whole text recorded in
    cloudposse/terraform-aws-ecr#132, 2024-07-29, for a countUnit of null: "... instance
    failed to match exactly one schema (matched 0 out of 2)"). The detail after the prefix
    is ours for the other rules, which come from the user guide's "Lifecycle policy
    properties"."""
    try:
        doc = json.loads(req.get("lifecyclePolicyText") or "")
    except ValueError:
        raise AwsError("InvalidParameterException", LIFECYCLE_INVALID.format("invalid JSON"), 400)
    problem = _lifecycle_problem(doc)
    if problem:
        raise AwsError("InvalidParameterException", LIFECYCLE_INVALID.format(problem), 400)
    return call_moto(ctx)


_SCAN_FILTER = re.compile(r"^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$")
# RegistryScanningRule.scanFrequency (botocore): "When the ENHANCED scan type is specified,
# the supported scan frequencies are CONTINUOUS_SCAN and SCAN_ON_PUSH. When the BASIC scan
# type is specified, the SCAN_ON_PUSH scan frequency is supported. If scan on push is not
# specified, then the MANUAL scan frequency is set by default."
_FREQUENCIES = {
    "ENHANCED": ("CONTINUOUS_SCAN", "SCAN_ON_PUSH"),
    "BASIC": ("SCAN_ON_PUSH", "MANUAL"),
}


def put_registry_scanning_configuration(ctx, req):
    """What botocore's model bounds before moto stores it: scanType BASIC or ENHANCED; at
    most 2 rules (RegistryScanningRuleList max 2), each with a frequency its scan type
    takes and at most 100 filters (ScanningRepositoryFilterList max 100) of 1 to 255
    characters matching ScanningRepositoryFilterValue's pattern. Refused with
    ValidationException ("There was an exception validating this request.", botocore); the
    messages are ours, AWS's text not recorded. moto took anything."""
    scan_type = req.get("scanType") or "BASIC"
    rules = req.get("rules") or []
    if scan_type not in _FREQUENCIES:
        raise AwsError("ValidationException", f"Invalid scanType '{scan_type}'")
    if len(rules) > 2:
        raise AwsError("ValidationException", "A registry scanning configuration has at most 2 rules")
    for rule in rules:
        frequency = rule.get("scanFrequency")
        if frequency not in _FREQUENCIES[scan_type]:
            raise AwsError(
                "ValidationException",
                f"Scan frequency {frequency} is not supported for scan type {scan_type}",
            )
        filters = rule.get("repositoryFilters") or []
        if len(filters) > 100:
            raise AwsError("ValidationException", "A scanning rule has at most 100 repository filters")
        for f in filters:
            value = f.get("filter") or ""
            if not (1 <= len(value) <= 255 and _SCAN_FILTER.match(value)):
                raise AwsError("ValidationException", f"Invalid repository filter '{value}'")
            if f.get("filterType") != "WILDCARD":
                raise AwsError("ValidationException", "The only filter type is WILDCARD")
    return call_moto(ctx)


HANDLERS = {
    "PutRegistryScanningConfiguration": put_registry_scanning_configuration,
    "PutLifecyclePolicy": put_lifecycle_policy,
    "SetRepositoryPolicy": set_repository_policy,
    "GetRepositoryPolicy": get_repository_policy,
    "GetAuthorizationToken": get_authorization_token,
    "PutImage": put_image,
    "StartImageScan": start_image_scan,
    "DescribeImageScanFindings": describe_image_scan_findings,
    "DescribeImages": describe_images,
    "PutAccountSetting": put_account_setting,
    "GetAccountSetting": get_account_setting,
}
