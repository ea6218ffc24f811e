"""What ONNX's own shape inference (onnx.shape_inference.infer_shapes) computes for every value of a model, for
comparison with our inferShapes.

Usage: python3 onnx_infer_shapes.py PATHS_FILE [--keep-declared]

PATHS_FILE lists one model path per line. Each model is loaded (external data is not loaded: shape inference does not
need it) and, unless --keep-declared is given, stripped of what it declares about intermediate values: every graph's
value_info is cleared and every graph output keeps its element type but loses its shape, so that the shapes printed
are the ones ONNX computed from the graph inputs and initializers alone (what our inferShapes does with
useDeclared: false). Then infer_shapes runs with strict_mode off and data_prop on (ONNX >= 1.10). The models go
through worker processes (this script run with --worker), so that a model on which ONNX's C++ code crashes is reported
as that model's error instead of ending the run. Prints one JSON object:

  {"onnx_version": ..., "strip_declared": bool, "models": [{"path": ..., "error": str} | {
      "path": ..., "graphs": {GRAPH_PATH: {VALUE_NAME: TYPE}}}]}

GRAPH_PATH is '' for the main graph and, for a subgraph, the path our walkGraphs gives it: for each enclosing node
`<node name or op type>/<attribute name>/`, with `[i]` after the attribute name for a GRAPHS attribute. The values
listed per graph are the graph outputs and every value_info entry after inference (graph inputs and initializers
are not listed: they are given, not inferred). TYPE is one of

  {"kind": "tensor" | "sparse_tensor", "elem_type": int, "shape": [dim, ...] | null}
      dim: int (dim_value), str (dim_param) or null (neither set); shape null when the rank is unknown
  {"kind": "sequence" | "optional", "elem": TYPE | null}
  {"kind": "map", "key_type": int, "value": TYPE | null}
  {"kind": "opaque"} | {"kind": "none"}
"""

import inspect
import json
import os
import subprocess
import sys
import tempfile

import onnx
from onnx import shape_inference


def describe(tp):
    which = tp.WhichOneof("value")
    if which in ("tensor_type", "sparse_tensor_type"):
        t = getattr(tp, which)
        shape = None
        if t.HasField("shape"):
            shape = []
            for d in t.shape.dim:
                kind = d.WhichOneof("value")
                shape.append(d.dim_value if kind == "dim_value" else d.dim_param if kind == "dim_param" else None)
        return {"kind": which[: -len("_type")], "elem_type": t.elem_type, "shape": shape}
    if which in ("sequence_type", "optional_type"):
        inner = getattr(tp, which)
        return {"kind": which[: -len("_type")], "elem": describe(inner.elem_type) if inner.HasField("elem_type") else None}
    if which == "map_type":
        m = tp.map_type
        return {"kind": "map", "key_type": m.key_type, "value": describe(m.value_type) if m.HasField("value_type") else None}
    if which == "opaque_type":
        return {"kind": "opaque"}
    return {"kind": "none"}


def subgraphs(graph, path=""):
    """(path, graph) for the graph and every subgraph, depth-first, named as src/core/onnx/ir.ts walkGraphs does."""
    yield path, graph
    for node in graph.node:
        for attr in node.attribute:
            where = f"{path}{node.name or node.op_type}/{attr.name}"
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from subgraphs(attr.g, f"{where}/")
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for i, g in enumerate(attr.graphs):
                    yield from subgraphs(g, f"{where}[{i}]/")


def strip_shape(tp):
    """Drops the shape of a tensor type, keeping its element type (recursively through sequences/optionals)."""
    which = tp.WhichOneof("value")
    if which in ("tensor_type", "sparse_tensor_type"):
        getattr(tp, which).ClearField("shape")
    elif which in ("sequence_type", "optional_type"):
        inner = getattr(tp, which)
        if inner.HasField("elem_type"):
            strip_shape(inner.elem_type)


def strip_declared(model):
    for _, g in subgraphs(model.graph):
        del g.value_info[:]
        for out in g.output:
            if out.HasField("type"):
                strip_shape(out.type)


INFER_PARAMS = inspect.signature(shape_inference.infer_shapes).parameters


def infer(path, strip):
    model = onnx.load(path, load_external_data=False)
    if strip:
        strip_declared(model)
    kwargs = {"check_type": False, "strict_mode": False}
    if "data_prop" in INFER_PARAMS:
        kwargs["data_prop"] = True
    inferred = shape_inference.infer_shapes(model, **kwargs)
    graphs = {}
    for gpath, g in subgraphs(inferred.graph):
        values = {}
        for v in list(g.value_info) + list(g.output):
            if v.HasField("type"):
                values[v.name] = describe(v.type)
        graphs[gpath] = values
    return {"path": path, "graphs": graphs}


def worker(paths, strip):
    """Infers each model in turn, printing one JSON line before ("start") and one after ("result") each model."""
    for path in paths:
        print(json.dumps({"start": path}), flush=True)
        try:
            result = infer(path, strip)
        except Exception as e:  # noqa: BLE001 - a model onnx cannot infer is a result to report
            result = {"path": path, "error": f"{type(e).__name__}: {e}"}
        print(json.dumps({"result": result}), flush=True)


def run_isolated(paths, strip):
    """Runs the models through worker processes: ONNX 1.12's C++ inference crashes (SIGSEGV) on some models, and
    such a crash is reported as that model's error while the remaining models go to a fresh worker."""
    results = []
    remaining = list(paths)
    while remaining:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as f:
            f.write("".join(p + "\n" for p in remaining))
            list_file = f.name
        try:
            args = [sys.executable, __file__, "--worker", list_file] + ([] if strip else ["--keep-declared"])
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
            current = None
            for line in proc.stdout:
                msg = json.loads(line)
                if "start" in msg:
                    current = msg["start"]
                else:
                    results.append(msg["result"])
                    remaining.pop(0)
                    current = None
            code = proc.wait()
        finally:
            os.unlink(list_file)
        if current is not None:
            why = f"signal {-code}" if code < 0 else f"exit code {code}"
            results.append({"path": current, "error": f"onnx crashed on this model ({why})"})
            remaining.pop(0)
        elif remaining:
            raise RuntimeError(f"worker stopped ({code}) before the first of {len(remaining)} models")
    return results


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    flags = {a for a in argv[1:] if a.startswith("--")}
    if len(args) != 1 or flags - {"--keep-declared", "--worker"}:
        print(__doc__, file=sys.stderr)
        return 2
    strip = "--keep-declared" not in flags
    with open(args[0], encoding="utf-8") as f:
        paths = [line.rstrip("\n") for line in f if line.strip()]
    if "--worker" in flags:
        worker(paths, strip)
        return 0
    models = run_isolated(paths, strip)
    json.dump({"onnx_version": onnx.__version__, "strip_declared": strip, "models": models}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
