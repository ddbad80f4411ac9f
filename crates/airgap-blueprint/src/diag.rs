//! Diagnostics: one [`Problem`] per mistake, gathered into [`Diagnostics`]
//! so the CLI renders every problem of a blueprint with a single report.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};

/// The source a blueprint was parsed from, shared by every problem.
pub type Source = NamedSource<Arc<String>>;

/// What kind of mistake a [`Problem`] reports; stable, so tools and tests
/// can match on it. Rendered as the diagnostic code `blueprint::<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Code {
    /// The text is not valid YAML.
    Yaml,
    /// A key that the blueprint format does not define.
    UnknownKey,
    /// A spoke VPC asks for internet access (IGW/NAT), which is not expressible.
    SpokeEgress,
    /// A value of the wrong YAML type (e.g. a list where a mapping belongs).
    WrongType,
    /// A required field is absent.
    Missing,
    /// The same key appears twice in one mapping.
    DuplicateKey,
    /// `apiVersion` is not supported.
    ApiVersion,
    /// `kind` is not `Environment`.
    Kind,
    /// The environment name breaks AWS naming constraints.
    EnvName,
    /// The region is not known.
    Region,
    /// Bad availability zone count or name.
    AvailabilityZones,
    /// The TTL is not a duration like `8h`.
    Ttl,
    /// An account id is not 12 digits.
    AccountId,
    /// A role is neither a role name nor a role ARN of the account.
    Role,
    /// A reference to an account that `accounts` does not define.
    UndefinedAccount,
    /// A reference to a VPC that `vpcs` does not define.
    UndefinedVpc,
    /// Two VPCs, clusters, node groups or repositories share a name.
    DuplicateName,
    /// A malformed CIDR, or one with host bits set.
    Cidr,
    /// Two VPC CIDRs overlap.
    CidrOverlap,
    /// The per-AZ subnets do not fit in their VPC.
    SubnetsDoNotFit,
    /// An endpoint service name that is not known.
    EndpointService,
    /// An endpoint policy that is not a JSON/YAML object, or names no listed endpoint.
    EndpointPolicy,
    /// Node group scaling is not `min <= desired <= max`.
    Scaling,
    /// A private cluster's VPC lacks an endpoint its nodes need to join without internet.
    PrivateCluster,
    /// Any other value outside its allowed set or format.
    InvalidValue,
}

impl Code {
    /// The diagnostic code string, e.g. `blueprint::cidr_overlap`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Code::Yaml => "blueprint::yaml",
            Code::UnknownKey => "blueprint::unknown_key",
            Code::SpokeEgress => "blueprint::spoke_egress",
            Code::WrongType => "blueprint::wrong_type",
            Code::Missing => "blueprint::missing",
            Code::DuplicateKey => "blueprint::duplicate_key",
            Code::ApiVersion => "blueprint::api_version",
            Code::Kind => "blueprint::kind",
            Code::EnvName => "blueprint::env_name",
            Code::Region => "blueprint::region",
            Code::AvailabilityZones => "blueprint::availability_zones",
            Code::Ttl => "blueprint::ttl",
            Code::AccountId => "blueprint::account_id",
            Code::Role => "blueprint::role",
            Code::UndefinedAccount => "blueprint::undefined_account",
            Code::UndefinedVpc => "blueprint::undefined_vpc",
            Code::DuplicateName => "blueprint::duplicate_name",
            Code::Cidr => "blueprint::cidr",
            Code::CidrOverlap => "blueprint::cidr_overlap",
            Code::SubnetsDoNotFit => "blueprint::subnets_do_not_fit",
            Code::EndpointService => "blueprint::endpoint_service",
            Code::EndpointPolicy => "blueprint::endpoint_policy",
            Code::Scaling => "blueprint::scaling",
            Code::PrivateCluster => "blueprint::private_cluster",
            Code::InvalidValue => "blueprint::invalid_value",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One mistake in a blueprint, pointing at the offending text.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Problem {
    code: Code,
    message: String,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
    src: Source,
}

/// At most this many bytes of a message, label or help: they quote values from the
/// file, and a hostile file's value can be megabytes long.
const MAX_TEXT: usize = 400;

/// `text`, cut to [`MAX_TEXT`] bytes (on a character boundary) with what was left out
/// said at the end.
fn bounded(text: impl Into<String>) -> String {
    let mut text = text.into();
    if text.len() > MAX_TEXT {
        let mut cut = MAX_TEXT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let left = text.len() - cut;
        text.truncate(cut);
        text.push_str(&format!("... ({left} more bytes)"));
    }
    text
}

impl Problem {
    /// A problem whose primary label sits at `span`.
    pub fn new(
        source: &Source,
        code: Code,
        span: SourceSpan,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        Problem {
            code,
            message: bounded(message),
            labels: vec![LabeledSpan::new_primary_with_span(Some(bounded(label)), span)],
            help: None,
            src: source.clone(),
        }
    }

    /// Adds the hint on how to fix it.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(bounded(help));
        self
    }

    /// Adds a secondary label, e.g. the other half of an overlap.
    pub fn with_label(mut self, span: SourceSpan, label: impl Into<String>) -> Self {
        self.labels.push(LabeledSpan::new_with_span(Some(bounded(label)), span));
        self
    }

    /// What kind of problem this is.
    pub fn code(&self) -> Code {
        self.code
    }

    /// The one-line message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The hint, if any.
    pub fn help_text(&self) -> Option<&str> {
        self.help.as_deref()
    }

    /// The primary span.
    pub fn span(&self) -> SourceSpan {
        self.labels[0].inner().to_owned()
    }

    /// 1-based line and column of the primary span, as an editor shows them.
    pub fn line_col(&self) -> (usize, usize) {
        line_col(self.src.inner(), self.span().offset())
    }
}

/// 1-based (line, column in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit_once('\n').map_or(before, |(_, l)| l).chars().count() + 1;
    (line, col)
}

impl Diagnostic for Problem {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code.as_str()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// Every problem found in one blueprint. Rendering this with
/// `miette::Report` shows all of them, each with file:line:col.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("{name}: {} found", count(problems.len()))]
#[diagnostic(
    code(blueprint::invalid),
    help("all problems are listed at once; fix them and run again")
)]
pub struct Diagnostics {
    name: String,
    #[related]
    problems: Vec<Problem>,
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 problem".into()
    } else {
        format!("{n} problems")
    }
}

impl Diagnostics {
    /// Wraps problems found in the source called `name`.
    pub fn new(name: impl Into<String>, problems: Vec<Problem>) -> Self {
        Diagnostics { name: name.into(), problems }
    }

    /// The problems, in source order.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The source name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Collects problems while parsing and validating.
#[derive(Debug)]
pub(crate) struct Sink {
    pub(crate) source: Source,
    pub(crate) problems: Vec<Problem>,
}

impl Sink {
    pub(crate) fn new(name: &str, text: &str) -> Self {
        Sink { source: NamedSource::new(name, Arc::new(text.to_string())), problems: Vec::new() }
    }

    /// Records a problem and returns it for chaining help/labels.
    pub(crate) fn report(
        &mut self,
        code: Code,
        span: SourceSpan,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> &mut Problem {
        self.problems.push(Problem::new(&self.source, code, span, message, label));
        self.problems.last_mut().expect("just pushed")
    }
}

impl Problem {
    /// In-place help, for use on [`Sink::report`]'s result.
    pub(crate) fn help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(bounded(help));
        self
    }

    /// In-place secondary label.
    pub(crate) fn also(&mut self, span: SourceSpan, label: impl Into<String>) -> &mut Self {
        self.labels.push(LabeledSpan::new_with_span(Some(bounded(label)), span));
        self
    }
}
