#!/usr/bin/env python3
"""Regenerate advisories.tsv, the RustSec advisory snapshot `cargo xtask deny` checks
Cargo.lock against, from a checkout of https://github.com/rustsec/advisory-db.

Why a snapshot: cargo-deny and cargo-audit fetch the database from GitHub on every run,
which CI and this project's build machines cannot reach (they reach crates.io only). The
snapshot is refreshed where GitHub is reachable:

    git clone https://github.com/rustsec/advisory-db /tmp/advisory-db
    python3 crates/xtask/advisories/update.py /tmp/advisory-db

One line per advisory that is not withdrawn: id, crate, kind (`vulnerability` or the
advisory's `informational` value), patched ranges and unaffected ranges (each `;`-joined
semver requirements as the database writes them), date. The first line records the
database commit and its date.
"""

import pathlib
import subprocess
import sys
import tomllib


def front_matter(text: str) -> dict:
    body = text.split("```toml", 1)[1].split("```", 1)[0]
    return tomllib.loads(body)


def main(root: str) -> None:
    db = pathlib.Path(root)
    commit = subprocess.run(
        ["git", "-C", root, "log", "-1", "--format=%H %cs"], capture_output=True, text=True
    ).stdout.strip()
    rows = []
    for path in sorted(db.glob("crates/*/RUSTSEC-*.md")):
        meta = front_matter(path.read_text(encoding="utf-8"))
        adv, versions = meta["advisory"], meta.get("versions", {})
        if adv.get("withdrawn"):
            continue
        rows.append(
            "\t".join(
                [
                    adv["id"],
                    adv["package"],
                    adv.get("informational", "vulnerability").strip() or "vulnerability",
                    ";".join(versions.get("patched", [])),
                    ";".join(versions.get("unaffected", [])),
                    str(adv.get("date", "")),
                ]
            )
        )
    out = pathlib.Path(__file__).with_name("advisories.tsv")
    out.write_text(f"# rustsec/advisory-db {commit}\n" + "\n".join(rows) + "\n", encoding="utf-8")
    print(f"{len(rows)} advisories from {commit} -> {out}")


if __name__ == "__main__":
    main(sys.argv[1])
