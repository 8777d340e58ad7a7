"""Turn the text of one `scim2 --url URL test` pass into JSON (idgate's own parser).

scim2-cli 0.6.0 prints no machine-readable report: after one header line
("Performing a SCIM compliance check on URL ...") it prints, for each result,
a line `STATUS title` and, when the result has one, its reason indented by two
spaces (a reason may run over several lines). This reads that text back.

Each result gets a key that is the same from one pass to the next, and from
a correct server to a faulty one: `SCOPE/title[SUBJECT]`, SCOPE being
`server` for the discovery checks and the resource type for the checks run
on one (each such block starts with `object_creation`, in the order
/ResourceTypes lists them). SUBJECT is what one result of a repeated check is
about, read from its reason whatever the verdict: the attribute of the PATCH
checks (the first quoted name: "Successfully added attribute 'name'", "Failed
to add attribute 'name': ..."), the HTTP method of the 405 checks. Other
results are numbered in their scope instead (`title#N`, from 1). Reasons name
random ids, so they are kept for reading, never used whole as keys.

When the CLI stops before its report with a message of its own (click prints
"Error: ..." and exits 1: it does so when it cannot discover the server), that
message is kept as one failed result, `cli/refused#1`.

    python to_json.py TEXT STDERR EXIT_CODE URL OUT
"""

import json
import re
import sys
from importlib import metadata

STATUSES = ("SUCCESS", "COMPLIANT", "ACCEPTABLE", "DEVIATION", "ERROR", "CRITICAL", "SKIPPED")
# What each status means for a comparison: the CLI itself fails on anything but SUCCESS.
VERDICT = {
    "SUCCESS": "pass",
    "COMPLIANT": "pass",
    "ACCEPTABLE": "pass",
    "DEVIATION": "fail",
    "ERROR": "fail",
    "CRITICAL": "fail",
    "SKIPPED": "skip",
}
RESULT_LINE = re.compile(r"^(%s) (\S+)$" % "|".join(STATUSES))
HEADER = re.compile(r"^Performing a SCIM compliance check on (\S+) \.\.\.$")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
PACKAGES = ("scim2-cli", "scim2-tester", "scim2-client", "scim2-models", "pydantic")


def parse(text):
    header = None
    results = []
    for raw in text.splitlines():
        line = ANSI.sub("", raw)
        if header is None:
            m = HEADER.match(line)
            if m:
                header = m.group(1)
            continue
        m = RESULT_LINE.match(line)
        if m:
            results.append({"status": m.group(1), "check": m.group(2), "reason": []})
        elif results:
            results[-1]["reason"].append(line[2:] if line.startswith("  ") else line)
    return header, results


def resource_type_names(results):
    for r in results:
        if r["check"] == "query_all_resource_types" and r["status"] == "SUCCESS":
            first = r["reason"][0] if r["reason"] else ""
            if first.startswith("Resource types available are:"):
                return re.findall(r"'([^']*)'", first)
    return []


PATCH_CHECK = re.compile(r"^check_(add|remove|replace)_attribute$")
# Every per-attribute reason of the PATCH checks starts with one of these, then the attribute.
PATCH_SUBJECT = re.compile(
    r"^(?:Successfully \w+ attribute|Failed to \w+ attribute|Attribute"
    r"|PATCH modify\(\) returned unexpected value for|PATCH modify\(\) did not remove attribute"
    r"|Failed to query resource after \w+ on) '([^']+)'"
)
METHOD = re.compile(r"^(GET|POST|PUT|PATCH|DELETE) ")


def subject(check, reason):
    if PATCH_CHECK.match(check):
        # None: the whole check failed before trying one attribute (its resource not created).
        m = PATCH_SUBJECT.match(reason)
        return m.group(1) if m else None
    if check.endswith("_endpoint_methods"):
        m = METHOD.match(reason)
        return m.group(1) if m else None
    return None


def keyed(results):
    names = resource_type_names(results)
    scope, blocks, seen = "server", 0, {}
    for r in results:
        if r["check"] == "object_creation":
            blocks += 1
            scope = names[blocks - 1] if blocks <= len(names) else "resource-type-%d" % blocks
        r["reason"] = "\n".join(r["reason"]).strip()
        r["scope"] = scope
        r["subject"] = subject(r["check"], r["reason"])
        if r["subject"] is not None:
            r["key"] = "%s/%s[%s]" % (scope, r["check"], r["subject"])
        else:
            n = seen.get((scope, r["check"]), 0) + 1
            seen[(scope, r["check"])] = n
            r["key"] = "%s/%s#%d" % (scope, r["check"], n)
        r["verdict"] = VERDICT[r["status"]]
    return results


def refusal(stderr):
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    return errors[-1] if errors else None


def main():
    text_file, stderr_file, exit_code, url, out = sys.argv[1:]
    with open(text_file, encoding="utf-8", errors="replace") as f:
        text = f.read()
    with open(stderr_file, encoding="utf-8", errors="replace") as f:
        stderr = f.read()
    header, results = parse(text)
    results = keyed(results)
    refused = refusal(stderr) if header is None else None
    if refused:
        results.append({
            "status": "ERROR", "check": "refused", "reason": refused, "scope": "cli",
            "subject": None, "key": "cli/refused#1", "verdict": "fail",
        })
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = None
    report = {
        "tool": "scim2-tester",
        "versions": versions,
        "command": "scim2 --url URL test",
        "url": url,
        "exit_code": int(exit_code),
        # False: the CLI stopped before printing its report; "refused" has its own message
        # when it gave one (null after a crash or a time-out: stderr says what happened).
        "completed": header is not None,
        "refused": refused,
        "results": results,
        "stderr": stderr[-4000:],
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
