//! Diagnostics: one [`Problem`] per mistake, gathered into [`Diagnostics`]
//! so the CLI renders every problem of a blueprint with a single report.

use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic, LabeledSpan, MietteError, MietteSpanContents, NamedSource, SourceCode, SourceSpan,
    SpanContents,
};

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
    /// Past [`MAX_PROBLEMS`]: counted, never shown, so what only makes its hint (a
    /// did-you-mean search over the known names) is skipped.
    omitted: bool,
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
            omitted: false,
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

    /// The name of the source the problem is in (with overlays, the file that wrote the
    /// value, or `--set`).
    pub fn file(&self) -> &str {
        self.src.name()
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

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// A line longer than this is shown as a window around the labelled text: a hostile
/// file's line can be megabytes, printed again for every problem on it, and miette pads
/// to a label's column with `{:width$}`, which panics past 65,535 columns.
const MAX_LINE: usize = 1000;

/// Bytes shown either side of a label on a long line.
const WINDOW: usize = 80;

/// The source as miette reads it to show a problem's snippets: unchanged where lines
/// are short, windowed on long ones.
impl SourceCode for Problem {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text = self.src.inner().as_str();
        let (a, b) = (span.offset(), span.offset() + span.len());
        if b > text.len() || !text.is_char_boundary(a) || !text.is_char_boundary(b) {
            return Err(MietteError::OutOfBounds);
        }
        let (first, last) = (lines_back(text, a, before), lines_forward(text, b, after));
        if longest_line(&text[first..last]) <= MAX_LINE {
            // miette reads from the start of the text for every snippet; from a line
            // start on it reads the same, and a problem at the end of 4 MiB costs its own
            // lines. One line more than shown: miette reads an empty span at offset 0
            // differently.
            let from = lines_back(text, a, before + 1);
            let local = SourceSpan::from(a - from..b - from);
            let c = text[from..].read_span(&local, before, after)?;
            let lines = line_breaks(&text[..from]);
            return Ok(Box::new(MietteSpanContents::new_named(
                self.src.name().to_string(),
                c.data(),
                (c.span().offset() + from, c.span().len()).into(),
                c.line() + lines,
                c.column(),
                c.line_count() + lines,
            )));
        }
        // miette asks for a span covering two labels to show them in one snippet; on a
        // long line they may be far apart, so then each gets a snippet of its own.
        let own = self.labels.iter().any(|l| l.inner() == span);
        if !own && span.len() > MAX_LINE {
            return Err(MietteError::OutOfBounds);
        }
        let line_start = lines_back(text, a, 0);
        let start = if before == 0 { a } else { a.saturating_sub(WINDOW).max(line_start) };
        let end = if after == 0 { b } else { (b + WINDOW).min(lines_forward(text, b, 0)) };
        // A label longer than a line is shown from its start only: its message quotes it.
        let (start, end) = (ceil(text, start), floor(text, end.min(a + MAX_LINE)).max(a));
        Ok(Box::new(MietteSpanContents::new_named(
            self.src.name().to_string(),
            &text.as_bytes()[start..end],
            (start..end).into(),
            line_breaks(&text[..start]),
            start - line_start,
            line_breaks(&text[start..end]) + 1,
        )))
    }
}

// Lines end at `\n`, `\r\n` or `\r`, as miette counts them. The searches are for one
// byte at a time: `str::find(char)` runs memchr, which stays fast in debug builds.

fn line_breaks(s: &str) -> usize {
    s.matches('\n').count() + s.matches('\r').count() - s.matches("\r\n").count()
}

fn longest_line(s: &str) -> usize {
    s.split('\n')
        .map(|l| {
            if l.len() > MAX_LINE {
                l.split('\r').map(str::len).max().unwrap_or(0)
            } else {
                l.len()
            }
        })
        .max()
        .unwrap_or(0)
}

fn break_before(text: &str, at: usize) -> Option<usize> {
    text[..at].rfind('\n').max(text[..at].rfind('\r'))
}

fn break_after(text: &str, at: usize) -> Option<usize> {
    match (text[at..].find('\n'), text[at..].find('\r')) {
        (Some(n), Some(r)) => Some(at + n.min(r)),
        (n, r) => n.or(r).map(|i| at + i),
    }
}

/// Start of the line `n` lines above the one holding `at`.
fn lines_back(text: &str, at: usize, n: usize) -> usize {
    // The `\n` of a `\r\n` ends the line its `\r` does.
    let crlf = at > 0 && text.as_bytes().get(at - 1..=at) == Some(b"\r\n");
    let mut start = break_before(text, at - usize::from(crlf)).map_or(0, |i| i + 1);
    for _ in 0..n {
        if start == 0 {
            break;
        }
        // Step over the break (`\r\n` is one) into the line above.
        start -= 1;
        if start > 0 && text.as_bytes()[start - 1..=start] == *b"\r\n" {
            start -= 1;
        }
        start = break_before(text, start).map_or(0, |i| i + 1);
    }
    start
}

/// End (before its break) of the line `n` lines below the one holding `at`.
fn lines_forward(text: &str, at: usize, n: usize) -> usize {
    let mut end = break_after(text, at).unwrap_or(text.len());
    for _ in 0..n {
        if end == text.len() {
            break;
        }
        end += if text[end..].starts_with("\r\n") { 2 } else { 1 };
        end = break_after(text, end).unwrap_or(text.len());
    }
    end
}

fn floor(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// At most this many problems are kept: nobody reads more, and a hostile file can make
/// one per alias (200,000), each rendered with its source lines.
pub const MAX_PROBLEMS: usize = 100;

/// Every problem found in one blueprint. Rendering this with
/// `miette::Report` shows all of them, each with file:line:col.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("{name}: {}", summary(problems.len(), *omitted))]
#[diagnostic(
    code(blueprint::invalid),
    help("all problems are listed at once; fix them and run again")
)]
pub struct Diagnostics {
    name: String,
    #[related]
    problems: Vec<Problem>,
    omitted: usize,
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 problem".into()
    } else {
        format!("{n} problems")
    }
}

fn summary(shown: usize, omitted: usize) -> String {
    match omitted {
        0 => format!("{} found", count(shown)),
        _ => format!("{} found, the first {shown} shown", count(shown + omitted)),
    }
}

impl Diagnostics {
    /// Wraps problems found in the source called `name`.
    pub fn new(name: impl Into<String>, problems: Vec<Problem>) -> Self {
        Diagnostics { name: name.into(), problems, omitted: 0 }
    }

    /// Each problem moved into the overlay its primary label points at.
    pub(crate) fn relocated(mut self, layers: &crate::Layers) -> Self {
        self.problems = self.problems.into_iter().map(|p| layers.relocate(p)).collect();
        self
    }

    /// The problems a [`Sink`] kept, and the count of those it did not.
    pub(crate) fn from_sink(name: impl Into<String>, sink: Sink) -> Self {
        let mut problems = sink.problems;
        problems.sort_by_key(|p| p.span().offset());
        Diagnostics { name: name.into(), problems, omitted: sink.omitted }
    }

    /// How many problems were found beyond the [`MAX_PROBLEMS`] kept.
    pub fn omitted(&self) -> usize {
        self.omitted
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
    /// Problems reported past [`MAX_PROBLEMS`]: counted, not kept.
    pub(crate) omitted: usize,
    /// Takes the help and labels chained onto a problem that is not kept.
    spare: Option<Problem>,
}

impl Sink {
    pub(crate) fn new(name: &str, text: &str) -> Self {
        Sink {
            source: NamedSource::new(name, Arc::new(text.to_string())),
            problems: Vec::new(),
            omitted: 0,
            spare: None,
        }
    }

    /// Records a problem and returns it for chaining help/labels.
    pub(crate) fn report(
        &mut self,
        code: Code,
        span: SourceSpan,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> &mut Problem {
        let problem = Problem::new(&self.source, code, span, message, label);
        if self.problems.len() >= MAX_PROBLEMS {
            self.omitted += 1;
            return self.spare.insert(Problem { omitted: true, ..problem });
        }
        self.problems.push(problem);
        self.problems.last_mut().expect("just pushed")
    }
}

impl Problem {
    /// This problem shown in the source `find` maps its primary offset to (a source and
    /// the offset in it). Labels in other sources cannot be drawn there: they are named in
    /// the help instead (`base.yaml:12:5: the other VPC`).
    pub(crate) fn relocate(mut self, find: impl Fn(usize) -> Option<(Source, usize)>) -> Problem {
        let Some((src, _)) = find(self.span().offset()) else {
            return self;
        };
        let mut labels = Vec::new();
        let mut elsewhere = Vec::new();
        for l in std::mem::take(&mut self.labels) {
            let label = l.label().map(str::to_string);
            match find(l.offset()) {
                Some((s, at)) if s.name() == src.name() => {
                    let span = SourceSpan::from(at..at + l.len());
                    labels.push(if l.primary() {
                        LabeledSpan::new_primary_with_span(label, span)
                    } else {
                        LabeledSpan::new_with_span(label, span)
                    });
                }
                Some((s, at)) => {
                    let (line, col) = line_col(s.inner(), at);
                    let what = label.map(|l| format!(": {l}")).unwrap_or_default();
                    elsewhere.push(format!("{}:{line}:{col}{what}", s.name()));
                }
                None => {}
            }
        }
        self.labels = labels;
        if !elsewhere.is_empty() {
            let also = format!("see also {}", elsewhere.join("; "));
            self.help = Some(bounded(match self.help.take() {
                Some(h) => format!("{h}; {also}"),
                None => also,
            }));
        }
        self.src = src;
        self
    }

    /// The hint for a value that is none of `known`: the one it looks like a typo of
    /// ("did you mean `x`?"), else `otherwise`.
    pub(crate) fn suggest<'a>(
        &mut self,
        value: &str,
        known: impl IntoIterator<Item = &'a str>,
        otherwise: impl Into<String>,
    ) -> &mut Self {
        if self.omitted {
            return self;
        }
        match crate::regions::did_you_mean(value, known) {
            Some(m) => self.help(format!("did you mean `{m}`?")),
            None => self.help(otherwise),
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Where lines are short, a problem shows exactly what miette shows from the whole
    /// text: same bytes, position, line and column, whatever the line endings.
    #[test]
    fn short_lines_read_as_miette_reads_them() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let pieces = ["a", "bc", " ", "\n", "\r\n", "\r", "ä", "漢", "\t", "key: value"];
        for _ in 0..3000 {
            let text: String = (0..next(40)).map(|_| pieces[next(pieces.len())]).collect();
            let source = NamedSource::new("t.yaml", Arc::new(text.clone()));
            let bounds: Vec<usize> =
                (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            let a = bounds[next(bounds.len())];
            let b = *bounds.iter().filter(|&&i| i >= a).nth(next(4)).unwrap_or(&a);
            let span = SourceSpan::from(a..b);
            let p = Problem::new(&source, Code::Yaml, span, "m", "l");
            for (before, after) in [(0, 0), (1, 1), (2, 2), (0, 3)] {
                let want = source.read_span(&span, before, after).unwrap();
                let got = p.read_span(&span, before, after).unwrap();
                let view = |c: &dyn SpanContents| {
                    (c.data().to_vec(), *c.span(), c.line(), c.column(), c.line_count())
                };
                assert_eq!(view(&*got), view(&*want), "{text:?} {a}..{b} {before}/{after}");
                assert_eq!(got.name(), Some("t.yaml"));
            }
        }
    }

    #[test]
    fn problems_past_the_bound_are_counted_not_kept() {
        let mut sink = Sink::new("t.yaml", "a: 1\n");
        for i in 0..MAX_PROBLEMS + 50 {
            sink.report(Code::InvalidValue, (0..1).into(), format!("p{i}"), "l").help("h");
        }
        let d = Diagnostics::from_sink("t.yaml", sink);
        assert_eq!((d.problems().len(), d.omitted()), (MAX_PROBLEMS, 50));
        assert_eq!(d.to_string(), "t.yaml: 150 problems found, the first 100 shown");
        assert_eq!(d.problems()[0].message(), "p0");
    }

    /// On a long line a label is shown with a little of its line around it.
    #[test]
    fn long_lines_are_windowed() {
        let text = format!("a: [x,{} y]\nb: 1\n", " ".repeat(100_000));
        let source = NamedSource::new("t.yaml", Arc::new(text.clone()));
        let at = text.find('y').unwrap();
        let p = Problem::new(&source, Code::Yaml, (at..at + 1).into(), "m", "l")
            .with_label((4..5).into(), "first");
        let c = p.read_span(&(at..at + 1).into(), 2, 2).unwrap();
        assert!(c.data().len() <= 2 * WINDOW + 1, "{}", c.data().len());
        assert_eq!((c.line(), c.column()), (0, at - WINDOW));
        // The two labels are not shown as one snippet 100,000 columns wide.
        assert!(p.read_span(&(4..at + 1).into(), 2, 2).is_err());
        let mut out = String::new();
        miette::GraphicalReportHandler::new().render_report(&mut out, &p).unwrap();
        assert!(out.len() < 2000, "{out}");
    }
}
