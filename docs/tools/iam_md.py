#!/usr/bin/env python3
"""Regenerates docs/iam.md: the prose in docs/tools/iam-head.md, then the policy of
plans/hub-spoke.yaml as `airgapctl iam-policy --output json` derives it, one table per
account, every statement with what scopes it and why it is no narrower.

    cargo build -p airgapctl && python3 docs/tools/iam_md.py

A test (crates/airgapctl/tests/cli.rs) fails when the page and the command disagree.
"""
import json
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def scope_text(st):
    c = st.get("Condition", {})
    t = json.dumps(c)
    parts = []
    if "aws:RequestTag/airgap:env" in t:
        parts.append("creates only with the env's tag in the request")
    if "aws:ResourceTag/airgap:env" in t and '"Null"' not in t:
        parts.append("only resources carrying the env's tag")
    if '"Null"' in t:
        parts.append("only resources not yet tagged by an environment")
    if "ec2:CreateAction" in t:
        parts.append("tagging only as part of the listed creates")
    if "iam:PassedToService" in t:
        parts.append("passing roles only to the named service")
    if "iam:AWSServiceName" in t:
        parts.append("only that service's service-linked role")
    if "dynamodb:LeadingKeys" in t:
        parts.append("only the env's lock and record items")
    if "aws:TagKeys" in t:
        parts.append("only the listed tag keys")
    if "kms:GrantIsForAWSResource" in t:
        parts.append("grants only for AWS services")
    if not parts and c:
        parts.append("under the condition shown")
    return "; ".join(parts)


def main():
    out = subprocess.run(
        [str(ROOT / "target/debug/airgapctl"), "iam-policy", "-f", str(ROOT / "plans/hub-spoke.yaml"), "--output", "json"],
        check=True, capture_output=True, text=True,
    ).stdout
    d = json.loads(out)
    lines = [(ROOT / "docs/tools/iam-head.md").read_text().rstrip("\n") + "\n"]
    acts, star = set(), set()
    for a in d["accounts"]:
        for p in a["policies"]:
            for st in p["document"]["Statement"]:
                acts.update(st["Action"])
                if st["Resource"] == "*":
                    star.update(st["Action"])
    lines.append(f"Distinct actions over the three accounts: {len(acts)}; of them on `*`: {len(star)}.\n")
    lines.append("| account | managed policies (characters) | actions | statements |\n| --- | --- | --- | --- |")
    for a in d["accounts"]:
        n = sum(len(p["document"]["Statement"]) for p in a["policies"])
        sizes = " + ".join(str(p["size"]) for p in a["policies"])
        hub = ", hub" if a["hub"] else ""
        lines.append(f"| {a['name']} ({a['id']}{hub}) | {len(a['policies'])} ({sizes}) | {a['actions']} | {n} |")
    lines.append("")
    for a in d["accounts"]:
        lines.append(f"### {a['name']} ({a['id']})\n")
        lines.append("| statement | actions | resource | scoped by | why no narrower |\n| --- | --- | --- | --- | --- |")
        for p in a["policies"]:
            for st in p["document"]["Statement"]:
                res = st["Resource"] if isinstance(st["Resource"], str) else ", ".join(st["Resource"])
                why = "; ".join(a["reasons"].get(st["Sid"], [])).replace("|", "/")
                acts_md = ", ".join("`" + x + "`" for x in st["Action"])
                lines.append(f"| `{st['Sid']}` | {acts_md} | `{res}` | {scope_text(st)} | {why} |")
        lines.append("")
    (ROOT / "docs/iam.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
