//! SDK errors -> the engine's error classes. The engine's policy decides what to retry;
//! kinds never loop on their own, but for calls on an id created moments earlier in the
//! same step (`kit::on_fresh`).

use airgap_engine::{ErrorClass, KindError};
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// Classifies an AWS error code (and, for codes AWS overloads, its message).
pub fn class_of(code: &str, message: &str) -> ErrorClass {
    match code {
        // Throttling the SDK's retries (`provider::retry_config`) did not outlast: the
        // account's bucket is drained by others too, so the engine backs off and tries
        // again later instead of failing a long apply.
        "RequestLimitExceeded"
        | "Throttling"
        | "ThrottlingException"
        | "TooManyRequestsException"
        | "RequestThrottled"
        // Network Firewall: not enough capacity in the AZ right now.
        | "InsufficientCapacityException" => ErrorClass::Throttled,
        // Network Firewall: a rule group a policy references, a policy a firewall uses.
        "InvalidOperationException" if in_use(message) => ErrorClass::DependencyViolation,
        "InvalidOperationException" if message.contains("being deleted") => ErrorClass::Conflict,
        // A stale UpdateToken: the engine retries the update, which reads a fresh one.
        "InvalidTokenException" => ErrorClass::Conflict,
        // A create racing another (a retried one): the next attempt's lookup decides.
        "ResourceAlreadyExistsException" | "OperationAbortedException" => ErrorClass::Conflict,
        // A VPC's attachment to the gateway is still there, deleting (a destroy was
        // stopped half-way): a new one can be made once it is gone; one of ours that is
        // live is adopted by the retry's lookup.
        "DuplicateTransitGatewayAttachment" => ErrorClass::Conflict,
        "InvalidRequestException" if message.contains("already exists") => ErrorClass::Conflict,
        "DependencyViolation" => ErrorClass::DependencyViolation,
        // ReleaseAddress of an address still associated (botocore: "You must use
        // DisassociateAddress ... Otherwise, Amazon EC2 returns an error
        // (InvalidIPAddress.InUse)"): a NAT gateway's, until the NAT is gone.
        "InvalidIPAddress.InUse" => ErrorClass::DependencyViolation,
        // IAM: a role that still has policies attached.
        "DeleteConflict" => ErrorClass::DependencyViolation,
        // EKS: the cluster is busy (an update running, still creating).
        "InvalidRequestException" if busy_cluster(message) => ErrorClass::Conflict,
        // EKS cannot see (or assume) a role IAM has only just made or given its
        // policies: eventual consistency, retried while the role is new.
        "InvalidParameterException" if role_not_visible(message) => ErrorClass::NotFound,
        // Detaching an IGW whose VPC still maps public addresses (a NAT's EIP).
        "AuthFailure" if message.contains("mapped public address") => {
            ErrorClass::DependencyViolation
        }
        // Route 53 (botocore's route53 model): a request on a zone while an earlier one
        // is processed ("reject subsequent requests for the same hosted zone"; wait and
        // retry); a zone that still holds records other than its SOA and NS.
        "PriorRequestNotComplete" => ErrorClass::Conflict,
        "HostedZoneNotEmpty" => ErrorClass::DependencyViolation,
        "NoSuchHostedZone" | "NoSuchChange" => ErrorClass::NotFound,
        "IncorrectState"
        | "IncorrectInstanceState"
        | "ResourceInUseException"
        | "ConcurrentModification"
        | "ConflictException"
        | "InvalidState"
        | "KMSInvalidStateException" => ErrorClass::Conflict,
        // `NatGatewayNotFound` too (DescribeNatGateways of a gone id, a route to a NAT
        // not visible yet): AWS's answer recorded in gruntwork-io/cloud-nuke PR 325.
        c if c.ends_with("NotFound")
            || c.ends_with("NotFoundException")
            || c == "UnknownResourceException"
            || c == "NoSuchEntity" =>
        {
            ErrorClass::NotFound
        }
        _ => ErrorClass::Fatal,
    }
}

/// EKS's answer to a call on a cluster that is not ACTIVE.
fn busy_cluster(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("active") && (m.contains("status") || m.contains("state"))
}

/// EKS's answers when IAM has not yet propagated a new role or its attachments.
fn role_not_visible(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("role")
        && [
            "could not be assumed",
            "does not exist",
            "not authorized",
            "doesn't have",
            "does not have",
            "trust",
        ]
        .iter()
        .any(|p| m.contains(p))
}

/// Network Firewall's way of saying something still depends on the resource.
fn in_use(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("in use") || m.contains("referenced") || m.contains("is associated")
}

/// Any SDK error as a [`KindError`]. Transport failures, timeouts and AWS's internal
/// errors (5xx: `InternalError`, `ServiceUnavailable`, EKS's `ServerException`, ...)
/// reach here only after the SDK's own retries gave up, so they are not retried again:
/// they fail the operation, and a rerun adopts whatever the call may have made.
pub fn classify<E, R>(err: SdkError<E, R>) -> KindError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("Unknown");
            let message = e.message().unwrap_or_default();
            KindError::new(class_of(code, message), code, message)
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            KindError::fatal(
                "Transport",
                format!(
                    "no answer after {} attempts: {}",
                    crate::provider::RETRY_ATTEMPTS,
                    aws_sdk_ec2::error::DisplayErrorContext(&err)
                ),
            )
        }
        _ => {
            KindError::fatal("SdkError", aws_sdk_ec2::error::DisplayErrorContext(&err).to_string())
        }
    }
}

/// The class of an error of a create sent once (`kit::send_once!`, no SDK retries):
/// what may hide a call that took effect - no answer, or a 5xx, which AWS can send
/// after doing the work - is a conflict, so the engine tries again and the retry's
/// lookup by tag decides whether there is anything to create. Throttling refused the
/// call before it ran and is retried as throttling; the rest is classed as usual.
pub fn classify_once<E>(err: SdkError<E, HttpResponse>) -> KindError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let unknown = |code: &str, e: &SdkError<E, HttpResponse>| {
        KindError::new(
            ErrorClass::Conflict,
            code,
            format!(
                "no clear answer; looking for what the call may have made before trying                  again: {}",
                aws_sdk_ec2::error::DisplayErrorContext(e)
            ),
        )
    };
    match &err {
        SdkError::ServiceError(se) if se.raw().status().is_server_error() => {
            let e = se.err();
            match class_of(e.code().unwrap_or("Unknown"), e.message().unwrap_or_default()) {
                // EC2 throttles with 503 RequestLimitExceeded.
                ErrorClass::Throttled => classify(err),
                _ => unknown(se.err().code().unwrap_or("ServerError"), &err),
            }
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            unknown("Transport", &err)
        }
        _ => classify(err),
    }
}

/// For deletes: a resource already gone is what was wanted.
pub fn gone_is_ok<T>(r: Result<T, KindError>) -> Result<(), KindError> {
    r.map(|_| ()).or_else(unless_gone)
}

/// The error of a delete, unless it says the resource is already gone.
pub fn unless_gone(e: KindError) -> Result<(), KindError> {
    if e.class == ErrorClass::NotFound {
        Ok(())
    } else {
        Err(e)
    }
}

/// For a Describe by id: not found is `None`, not an error.
pub fn found<T>(r: Result<T, KindError>) -> Result<Option<T>, KindError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.class == ErrorClass::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The code of a service error, if it is one.
pub fn code_of<E, R>(err: &SdkError<E, R>) -> Option<&str>
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::ServiceError(se) => se.err().code(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_is_none_for_a_describe_and_fine_for_a_delete() {
        let gone = || KindError::new(ErrorClass::NotFound, "InvalidVpcID.NotFound", "x");
        let busy = || KindError::new(ErrorClass::Conflict, "IncorrectState", "x");
        assert_eq!(found(Ok::<_, KindError>(3)), Ok(Some(3)));
        assert_eq!(found::<u8>(Err(gone())), Ok(None));
        assert_eq!(found::<u8>(Err(busy())), Err(busy()));
        assert_eq!(unless_gone(gone()), Ok(()));
        assert_eq!(unless_gone(busy()), Err(busy()));
        assert_eq!(gone_is_ok(Ok::<_, KindError>("deleted")), Ok(()));
        assert_eq!(gone_is_ok::<()>(Err(gone())), Ok(()));
        assert_eq!(gone_is_ok::<()>(Err(busy())), Err(busy()));
    }

    #[test]
    fn codes_map_to_the_engine_classes() {
        assert_eq!(class_of("RequestLimitExceeded", ""), ErrorClass::Throttled);
        assert_eq!(class_of("InvalidVpcID.NotFound", ""), ErrorClass::NotFound);
        assert_eq!(class_of("InvalidIPAddress.InUse", ""), ErrorClass::DependencyViolation);
        assert_eq!(class_of("InvalidTransitGatewayID.NotFound", ""), ErrorClass::NotFound);
        assert_eq!(class_of("DependencyViolation", ""), ErrorClass::DependencyViolation);
        assert_eq!(
            class_of("AuthFailure", "Network vpc-1 has some mapped public address(es)"),
            ErrorClass::DependencyViolation
        );
        assert_eq!(class_of("AuthFailure", "bad signature"), ErrorClass::Fatal);
        assert_eq!(class_of("IncorrectState", ""), ErrorClass::Conflict);
        assert_eq!(class_of("InvalidParameterValue", ""), ErrorClass::Fatal);
        assert_eq!(class_of("InvalidTokenException", ""), ErrorClass::Conflict);
        assert_eq!(class_of("ResourceNotFoundException", ""), ErrorClass::NotFound);
        assert_eq!(
            class_of(
                "InvalidOperationException",
                "Rule group x is referenced by a firewall policy and cannot be deleted."
            ),
            ErrorClass::DependencyViolation
        );
        assert_eq!(
            class_of(
                "InvalidOperationException",
                "Unable to delete the object because it is still in use"
            ),
            ErrorClass::DependencyViolation
        );
        assert_eq!(
            class_of("InvalidOperationException", "Firewall fw has delete protection enabled"),
            ErrorClass::Fatal
        );
        assert_eq!(class_of("ResourceAlreadyExistsException", ""), ErrorClass::Conflict);
    }

    #[test]
    fn eks_iam_and_kms_codes() {
        assert_eq!(
            class_of(
                "InvalidParameterException",
                "Role with arn: arn:aws:iam::1:role/x, could not be assumed because it does not \
                 exist or the trusted entity is not correct"
            ),
            ErrorClass::NotFound
        );
        assert_eq!(
            class_of(
                "InvalidParameterException",
                "The provided role doesn't have the Amazon EKS Managed Policies associated with it."
            ),
            ErrorClass::NotFound
        );
        assert_eq!(
            class_of(
                "InvalidParameterException",
                "Subnets specified must be in at least two different AZs"
            ),
            ErrorClass::Fatal
        );
        assert_eq!(
            class_of(
                "InvalidRequestException",
                "Cluster 'c' is not in ACTIVE status (is UPDATING)"
            ),
            ErrorClass::Conflict
        );
        assert_eq!(class_of("InvalidRequestException", "unsupported"), ErrorClass::Fatal);
        assert_eq!(class_of("ResourceInUseException", ""), ErrorClass::Conflict);
        assert_eq!(class_of("ResourceNotFoundException", ""), ErrorClass::NotFound);
        assert_eq!(class_of("DeleteConflict", ""), ErrorClass::DependencyViolation);
        assert_eq!(class_of("KMSInvalidStateException", ""), ErrorClass::Conflict);
        // The SDK retried these already (HTTP 5xx): one retry boundary, not two.
        for code in ["ServerException", "InternalError", "ServiceUnavailable"] {
            assert_eq!(class_of(code, ""), ErrorClass::Fatal, "{code}");
        }
    }
}
