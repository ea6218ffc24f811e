"""Wire-level fidelity check with ONNX's own Python package.

Usage: python3 onnx_compare.py PAIRS_FILE [--check]

PAIRS_FILE has one pair per line: the original model's path, a tab, the re-encoded copy's path. Both files are
loaded with onnx.load (external data is not loaded: only the ModelProto is compared) and compared with `a == b`,
which, the schema being proto2, also compares field presence (`domain: ""` differs from no domain). A float field
holding NaN makes a message unequal even to a parsed copy of itself; such a pair counts as equal (with a note) when
no field differs otherwise and both serialize to the same bytes.
With --check, onnx.checker.check_model runs on both. Prints one JSON object:

  {"onnx_version": ..., "compared": N, "equal": N,
   "results": [{"original": ..., "reencoded": ..., "equal": bool,
                "differences": [str]?, "note": str?, "error": str?,
                "check_original": "ok" | message?, "check_reencoded": "ok" | message?}, ...]}
"""

import json
import math
import sys

import onnx
import onnx.checker


def differences(a, b, path="model", out=None, limit=10):
    """Paths of the fields where two messages differ (at most `limit`), for a readable report."""
    out = [] if out is None else out
    if type(a) is not type(b):
        out.append(f"{path}: {type(a).__name__} vs {type(b).__name__}")
        return out
    fields_a = {f.name: (f, v) for f, v in a.ListFields()}
    fields_b = {f.name: (f, v) for f, v in b.ListFields()}
    for name in sorted(set(fields_a) | set(fields_b)):
        if len(out) >= limit:
            break
        here = f"{path}.{name}"
        if name not in fields_a or name not in fields_b:
            which = "original" if name in fields_a else "re-encoded copy"
            value = (fields_a.get(name) or fields_b.get(name))[1]
            out.append(f"{here}: set only in the {which} ({short(value)})")
            continue
        field, va = fields_a[name]
        vb = fields_b[name][1]
        repeated = field.label == field.LABEL_REPEATED
        is_message = field.type == field.TYPE_MESSAGE
        if repeated:
            if len(va) != len(vb):
                out.append(f"{here}: {len(va)} vs {len(vb)} entries")
                continue
            for i, (x, y) in enumerate(zip(va, vb)):
                if is_message:
                    differences(x, y, f"{here}[{i}]", out, limit)
                elif not same_scalar(x, y):
                    out.append(f"{here}[{i}]: {short(x)} vs {short(y)}")
                if len(out) >= limit:
                    break
        elif is_message:
            differences(va, vb, here, out, limit)
        elif not same_scalar(va, vb):
            out.append(f"{here}: {short(va)} vs {short(vb)}")
    return out


def same_scalar(x, y):
    if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
        return True
    return x == y


def short(v):
    r = repr(v)
    return r if len(r) <= 80 else r[:77] + "..."


def check(model):
    try:
        onnx.checker.check_model(model)
        return "ok"
    except Exception as e:  # noqa: BLE001 - any checker failure is a result to report
        return f"{type(e).__name__}: {str(e).strip()[:500]}"


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    run_checker = "--check" in argv[2:]
    with open(argv[1], encoding="utf-8") as f:
        pairs = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    results = []
    for pair in pairs:
        if len(pair) != 2:
            print(f"bad line in {argv[1]}: {pair!r}", file=sys.stderr)
            return 2
        original, reencoded = pair
        r = {"original": original, "reencoded": reencoded}
        try:
            a = onnx.load(original, load_external_data=False)
            b = onnx.load(reencoded, load_external_data=False)
        except Exception as e:  # noqa: BLE001
            r["equal"] = False
            r["error"] = f"{type(e).__name__}: {e}"
            results.append(r)
            continue
        r["equal"] = a == b
        if not r["equal"]:
            diffs = differences(a, b)
            if not diffs and a.SerializeToString(deterministic=True) == b.SerializeToString(deterministic=True):
                # A float field holding NaN makes a message unequal even to a copy of itself.
                r["equal"] = True
                r["note"] = "a == b is False only because NaN != NaN; both serialize to the same bytes"
            else:
                r["differences"] = diffs or ["(the messages differ, but no field does: unknown fields?)"]
        if run_checker:
            r["check_original"] = check(a)
            r["check_reencoded"] = check(b)
        results.append(r)
    out = {
        "onnx_version": onnx.__version__,
        "compared": len(results),
        "equal": sum(1 for r in results if r["equal"]),
        "results": results,
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
