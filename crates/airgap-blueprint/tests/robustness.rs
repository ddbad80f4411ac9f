//! Damaged blueprints never panic, and every diagnostic points inside the
//! text on character boundaries (so rendering can never fail).

use airgap_blueprint::{load, parse, LoadError};
use miette::Diagnostic;
use proptest::prelude::*;

const PLAN: &str = include_str!("../../../plans/hub-spoke.yaml");

fn check_spans(text: &str) {
    if let Err(d) = parse("fuzz.yaml", text) {
        assert!(!d.problems().is_empty());
        for p in d.problems() {
            let s = p.span();
            let end = s.offset() + s.len();
            assert!(end <= text.len(), "{} past the end", p.message());
            assert!(text.is_char_boundary(s.offset()) && text.is_char_boundary(end));
            assert!(p.help_text().is_some(), "{} has no hint", p.message());
        }
        let mut out = String::new();
        miette::GraphicalReportHandler::new().render_report(&mut out, &d).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn deleting_a_range_never_panics(start in 0usize..PLAN.len(), len in 0usize..40) {
        let mut text = PLAN.to_string();
        let mut a = start.min(text.len());
        while !text.is_char_boundary(a) { a -= 1; }
        let mut b = (a + len).min(text.len());
        while !text.is_char_boundary(b) { b -= 1; }
        text.replace_range(a..b, "");
        check_spans(&text);
    }

    #[test]
    fn inserting_noise_never_panics(at in 0usize..PLAN.len(), noise in "[a-z0-9:{}\\[\\],\\-\"' \\nä]{1,12}") {
        let mut text = PLAN.to_string();
        let mut a = at.min(text.len());
        while !text.is_char_boundary(a) { a -= 1; }
        text.insert_str(a, &noise);
        check_spans(&text);
    }
}

#[test]
fn related_lists_every_problem() {
    let text = PLAN
        .replace("name: hub-spoke", "name: Hub_Spoke")
        .replace("10.20.0.0/20\n", "10.10.0.0/20\n")
        .replacen("vpc: workload", "vpc: work", 1);
    let d = parse("x.yaml", &text).unwrap_err();
    let related: Vec<String> = d.related().unwrap().map(|r| r.to_string()).collect();
    assert_eq!(related.len(), 3, "{related:#?}");
    assert_eq!(related.len(), d.problems().len());
    assert!(related[0].contains("Hub_Spoke"));
    assert!(related[1].contains("overlaps"));
    assert!(related[2].contains("`work`"));
}

#[test]
fn load_reports_io_and_names_the_file() {
    match load("/nonexistent/blueprint.yaml") {
        Err(LoadError::Io { path, .. }) => assert_eq!(path, "/nonexistent/blueprint.yaml"),
        other => panic!("{other:?}"),
    }
    let dir = std::env::temp_dir().join(format!("airgap-blueprint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.yaml");
    std::fs::write(&file, PLAN.replace("ttl", "tll").replace("region:", "regoin:")).unwrap();
    let err = load(&file).unwrap_err();
    let LoadError::Invalid(d) = &err else { panic!("{err:?}") };
    assert_eq!(d.name(), file.display().to_string());
    assert!(err.to_string().contains("problem"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_file_larger_than_any_blueprint_is_refused_without_reading_it_whole() {
    let dir = std::env::temp_dir().join(format!("airgap-blueprint-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("huge.yaml");
    // A valid blueprint followed by a comment that takes it past the bound.
    let mut text = PLAN.to_string();
    text.push_str("\n#");
    text.push_str(&"x".repeat(airgap_blueprint::MAX_BLUEPRINT_BYTES as usize));
    std::fs::write(&file, text).unwrap();
    match load(&file) {
        Err(e @ LoadError::TooLarge { .. }) => {
            assert!(e.to_string().contains("huge.yaml"), "{e}");
            assert!(e.to_string().contains("bytes"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // At the bound, it parses (the comment is just long).
    let mut text = PLAN.to_string();
    text.push_str("\n#");
    let room = airgap_blueprint::MAX_BLUEPRINT_BYTES as usize - text.len();
    text.push_str(&"x".repeat(room));
    std::fs::write(&file, text).unwrap();
    assert!(load(&file).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn non_ascii_text_keeps_byte_spans_right() {
    let text = PLAN
        .replace("# Three accounts", "# Drei Konten, für Grüße: Ä Ö Ü ß\n# Three accounts")
        .replace("cidr: 10.10.0.0/16", "cidr: 10.10.0.1/16");
    let d = parse("utf8.yaml", &text).unwrap_err();
    let s = d.problems()[0].span();
    assert_eq!(&text[s.offset()..s.offset() + s.len()], "10.10.0.1/16");
}

/// A hostile value (here 1 MB, under the file limit) is quoted in a bounded excerpt:
/// the message, label and help stay short whatever the file holds.
#[test]
fn a_huge_value_is_quoted_in_a_bounded_excerpt() {
    let huge = "X".repeat(1 << 20);
    let text = PLAN.replace("mirror/nginx", &huge);
    let d = parse("huge.yaml", &text).expect_err("an uppercase repository name is invalid");
    for p in d.problems() {
        assert!(p.message().len() < 500, "{} bytes of message", p.message().len());
        assert!(p.help_text().is_none_or(|h| h.len() < 500));
    }
    let m = d.problems().iter().find(|p| p.message().contains("XXXX")).expect("quotes the value");
    assert!(m.message().contains("more bytes)"), "{}", m.message());
}

/// "Billion laughs" (nine levels of ten aliases): refused at the alias that goes over
/// the budget, fast, instead of growing to gigabytes.
#[test]
fn an_alias_bomb_is_refused_quickly() {
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let t = std::time::Instant::now();
    let d = parse("bomb.yaml", &bomb).expect_err("refused");
    assert!(t.elapsed() < std::time::Duration::from_secs(2), "{:?}", t.elapsed());
    let p = &d.problems()[0];
    assert!(p.message().contains("more than 200000 values"), "{}", p.message());
    assert!(bomb[p.span().offset()..].starts_with("*a"), "{}", &bomb[p.span().offset()..]);
}

/// `n` spoke VPCs more in the example plan, each with its own name and /22, listed after
/// its `vpcs:` key.
fn with_extra_vpcs(n: usize) -> String {
    let mut extra = String::new();
    for i in 0..n {
        let cidr = format!("172.{}.{}.0/22", 16 + i / 64, (i % 64) * 4);
        extra.push_str(&format!(
            "  - name: spoke{i}\n    account: workload\n    cidr: {cidr}\n    \
             subnets: {{ controlPlane: 28, dataPlane: 26, endpoints: 27, transit: 28 }}\n    \
             endpoints: {{ gateway: [], interface: [] }}\n"
        ));
    }
    let at = PLAN.find("\nvpcs:\n").expect("the plan lists vpcs") + "\nvpcs:\n".len();
    format!("{}{extra}{}", &PLAN[..at], &PLAN[at..])
}

/// AWS takes at most 1,000 routes in a route table, and every spoke VPC adds one to the
/// inspection VPC's: the VPC past `MAX_VPCS` is refused where it is listed, and nothing
/// after it is read (a few kilobytes of aliases could list thousands).
#[test]
fn more_vpcs_than_the_inspection_route_tables_take_are_refused_at_the_first_too_many() {
    let plan = parse("plan.yaml", PLAN).expect("the example plan is valid");
    let (spokes, last) = (plan.vpcs.len(), &plan.vpcs.last().expect("a spoke").name.value);
    let limit = airgap_blueprint::MAX_VPCS;
    let fits = with_extra_vpcs(limit - spokes);
    let bp = parse("many.yaml", &fits).unwrap_or_else(|d| panic!("{}", d.problems()[0].message()));
    assert_eq!(bp.vpcs.len(), limit);

    // The extra VPCs come first, so the one too many is the plan's last.
    let over = with_extra_vpcs(limit - spokes + 1);
    let d = parse("many.yaml", &over).expect_err("one VPC too many");
    let messages: Vec<&str> = d.problems().iter().map(|p| p.message()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let p = &d.problems()[0];
    assert_eq!(p.code(), airgap_blueprint::Code::InvalidValue);
    let expected = format!("`vpcs` lists {} VPCs; a blueprint takes at most {limit}", limit + 1);
    assert!(p.message().starts_with(&expected), "{}", p.message());
    let at = &over[p.span().offset()..];
    assert!(at.starts_with(&format!("name: {last}\n")), "{at:.40}");
    assert!(p.help_text().is_some_and(|h| h.contains("split the environment")));
}

/// The example plan with `n` more allowed domains.
fn with_domains(n: usize) -> String {
    let extra: Vec<String> = (0..n).map(|i| format!("\"d{i}.example\"")).collect();
    let from = "allowDomains: [\".amazonaws.com\", \"api.partner.example\"]";
    assert!(PLAN.contains(from), "the plan's allowlist changed");
    PLAN.replacen(from, &format!("allowDomains: [{}, \".amazonaws.com\"]", extra.join(", ")), 1)
}

/// The firewall's rule groups are sized as the kind creates them, and all must fit their
/// policy (30,000 by default) and each one AWS's 30,000 for a group: the example's other
/// two groups take 100 each, so the domains' group may take 29,800, that is 14,899
/// domains at two capacity each (TLS SNI and HTTP Host) plus two.
#[test]
fn an_allowlist_too_large_for_the_firewall_policy_is_refused_before_any_call() {
    let fits = parse("fits.yaml", &with_domains(14_898));
    assert!(fits.is_ok(), "{:?}", fits.err().map(|d| d.problems()[0].message().to_string()));

    let over = with_domains(14_899);
    let d = parse("over.yaml", &over).expect_err("the policy cannot hold it");
    let p = &d.problems()[0];
    assert_eq!(d.problems().len(), 1, "{}", p.message());
    assert_eq!(
        p.message(),
        "the firewall's rule groups take capacity 30100 (flows 100, domains 29900, allow 100), \
         more than the 30000 a firewall policy holds"
    );
    assert!(over[p.span().offset()..].starts_with("\"d0.example\""));
    assert!(p.help_text().is_some_and(|h| h.contains("leading dot")));

    let d = parse("huge.yaml", &with_domains(15_000)).expect_err("no group holds it");
    let p = &d.problems()[0];
    assert_eq!(
        p.message(),
        "`hub.firewall.allowDomains` needs rule group capacity 30004, more than the 30000 AWS \
         allows one group"
    );
}

#[test]
fn a_file_that_is_not_utf8_gets_a_hint_to_convert_it() {
    let dir = std::env::temp_dir().join(format!("airgap-blueprint-enc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("win.yaml");
    let name = file.display().to_string();
    // UTF-16LE with its byte order mark, as PowerShell's `>` writes it.
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(PLAN.encode_utf16().flat_map(u16::to_le_bytes));
    // The same without the mark, and big-endian with it.
    let bare: Vec<u8> = PLAN.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut be = vec![0xFE, 0xFF];
    be.extend(PLAN.encode_utf16().flat_map(u16::to_be_bytes));
    for bytes in [utf16, bare, be] {
        std::fs::write(&file, bytes).unwrap();
        let err = load(&file).unwrap_err();
        let LoadError::Encoding { .. } = &err else { panic!("{err:?}") };
        assert!(err.to_string().contains(&format!("{name} is not UTF-8 text")), "{err}");
        assert!(err.to_string().contains("UTF-16"), "{err}");
        let help = err.help().unwrap().to_string();
        assert!(help.contains("iconv -f UTF-16 -t UTF-8"), "{help}");
    }
    // Latin-1: where the first byte that is not UTF-8 is.
    std::fs::write(&file, b"metadata:\n  name: caf\xe9\n").unwrap();
    let err = load(&file).unwrap_err();
    assert!(err.to_string().contains("byte 0xE9 at line 2, column 12 is not UTF-8"), "{err}");
    assert!(err.help().unwrap().to_string().contains("iconv -f LATIN1"), "{err:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
