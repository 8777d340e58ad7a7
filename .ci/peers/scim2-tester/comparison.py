#!/usr/bin/env python3
"""Writes the fault-by-fault part of docs/comparison.md from the cross-check's summary.

    python3 .ci/peers/scim2-tester/comparison.py target/cross-scim2-tester/summary.json > part.md

The summary is what tests/it/cross_scim2_tester.rs writes; this only lays it out: how many
faults each tool detects, what each finds that the other does not (grouped by the family of
the check the fault breaks), and one row per fault.
"""
import collections
import json
import sys


def family(check):
    # scim.* checks belong to the Entra cycle; rfc7644.<family>.* to the RFC suite.
    parts = check.split(".")
    if parts[0] == "rfc7644":
        return "RFC 7644 suite: " + parts[1]
    return "Entra cycle: " + parts[1]


def main(path):
    d = json.load(open(path))
    faults = d["faults"]
    both = [f for f in faults if f["idgate"]["detects"] and f["scim2_tester"]["detects"]]
    only_idgate = [f for f in faults if f["idgate"]["detects"] and not f["scim2_tester"]["detects"]]
    only_tester = [f for f in faults if f["scim2_tester"]["detects"] and not f["idgate"]["detects"]]
    named = sum(1 for f in faults if f["idgate"]["named_check_fails"])
    out = []
    w = out.append
    w(f"{len(faults)} SCIM faults. idgate detects {sum(f['idgate']['detects'] for f in faults)}, "
      f"{named} of them through the check the fault names; scim2-tester detects "
      f"{len(both) + len(only_tester)}. Baseline (no fault): "
      f"{d['baseline'].get('results', '?')} scim2-tester results, "
      f"{len(d['baseline'].get('failed') or [])} failed.")
    w("")
    w("### Found by scim2-tester, missed by idgate")
    w("")
    if only_tester:
        for f in only_tester:
            w(f"- `{f['fault']}`: {f['description']}")
    else:
        w("None: every fault scim2-tester detects fails an idgate check too (the test asserts it).")
    w("")
    w(f"### Found by both ({len(both)})")
    w("")
    w(", ".join(f"`{f['fault']}`" for f in both) + ".")
    w("")
    w(f"### Found by idgate, missed by scim2-tester ({len(only_idgate)})")
    w("")
    groups = collections.OrderedDict()
    for f in only_idgate:
        groups.setdefault(family(f["breaks"]), []).append(f)
    for g, fs in groups.items():
        w(f"- **{g}** ({len(fs)}): " + "; ".join(f"`{f['fault']}` ({f['description']})" for f in fs))
    w("")
    w("### Every fault")
    w("")
    w("| fault | the check it breaks | idgate | scim2-tester |")
    w("|---|---|---|---|")
    for f in faults:
        t = f["scim2_tester"]
        if t.get("refused"):
            tester = "yes: the CLI refuses the server"
        elif t["detects"]:
            new = t["new_failures"]
            tester = f"yes, {len(new)} result(s): `{new[0]}`" + (" ..." if len(new) > 1 else "")
        else:
            tester = "no"
        idg = "yes" if f["idgate"]["named_check_fails"] else ("yes (another check)" if f["idgate"]["detects"] else "**no**")
        w(f"| `{f['fault']}` | `{f['breaks']}` | {idg} | {tester} |")
    print("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/cross-scim2-tester/summary.json")
