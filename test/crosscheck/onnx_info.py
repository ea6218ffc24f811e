"""What ONNX's own Python package reports about models, for comparison with our summarizeModel.

Usage: python3 onnx_info.py PATHS_FILE

PATHS_FILE lists one model path per line. Prints one JSON object:

  {"onnx_version": ..., "models": [{"path": ..., "error": str} | {
      "path": ..., "ir_version": int, "producer_name": str, "producer_version": str,
      "opsets": [{"domain": str, "version": int}],          # as stored ('' for the standard domain)
      "inputs": [{"name", "type", "shape"}],                 # graph inputs that are not initializers
      "outputs": [{"name", "type", "shape"}],
      "node_count": int,                                     # main graph
      "op_counts": {"Conv": 3, "com.microsoft.Gelu": 1},     # main graph and every subgraph, any depth
      "initializer_count": int, "initializer_elements": int  # main graph
  }]}

Types use ONNX's element type names (TensorProto.DataType): "FLOAT", "sequence<INT64>", "map<STRING,FLOAT>",
"sparse<FLOAT>", "optional<...>", "opaque<domain.name>", "?" when unknown. A shape is a list of dims (int for
dim_value, str for dim_param, null when neither is set), or null when the type has no shape (unknown rank) or is not
a tensor type.
"""

import json
import sys

import onnx
from onnx import TensorProto


def dtype_name(elem_type):
    try:
        return TensorProto.DataType.Name(elem_type)
    except ValueError:
        return f"<unknown {elem_type}>"


def describe(tp):
    which = tp.WhichOneof("value")
    if which == "tensor_type":
        return dtype_name(tp.tensor_type.elem_type)
    if which == "sparse_tensor_type":
        return f"sparse<{dtype_name(tp.sparse_tensor_type.elem_type)}>"
    if which in ("sequence_type", "optional_type"):
        inner = getattr(tp, which)
        elem = describe(inner.elem_type) if inner.HasField("elem_type") else "?"
        return f"{which[: -len('_type')]}<{elem}>"
    if which == "map_type":
        value = describe(tp.map_type.value_type) if tp.map_type.HasField("value_type") else "?"
        return f"map<{dtype_name(tp.map_type.key_type)},{value}>"
    if which == "opaque_type":
        return f"opaque<{tp.opaque_type.domain}.{tp.opaque_type.name}>"
    return "?"


def shape_of(tp):
    which = tp.WhichOneof("value")
    if which not in ("tensor_type", "sparse_tensor_type"):
        return None
    t = getattr(tp, which)
    if not t.HasField("shape"):
        return None
    dims = []
    for d in t.shape.dim:
        kind = d.WhichOneof("value")
        dims.append(d.dim_value if kind == "dim_value" else d.dim_param if kind == "dim_param" else None)
    return dims


def value_info(v):
    if not v.HasField("type"):
        return {"name": v.name, "type": "?", "shape": None}
    return {"name": v.name, "type": describe(v.type), "shape": shape_of(v.type)}


def count_ops(graph, counts):
    for node in graph.node:
        domain = "" if node.domain in ("", "ai.onnx") else node.domain
        key = f"{domain}.{node.op_type}" if domain else node.op_type
        counts[key] = counts.get(key, 0) + 1
        for attr in node.attribute:
            if attr.HasField("g"):
                count_ops(attr.g, counts)
            for g in attr.graphs:
                count_ops(g, counts)
    return counts


def elements(tensor):
    n = 1
    for d in tensor.dims:
        n *= d
    return n


def info(path):
    m = onnx.load(path, load_external_data=False)
    g = m.graph
    initializers = {t.name for t in g.initializer}
    return {
        "path": path,
        "ir_version": m.ir_version,
        "producer_name": m.producer_name,
        "producer_version": m.producer_version,
        "opsets": [{"domain": o.domain, "version": o.version} for o in m.opset_import],
        "inputs": [value_info(v) for v in g.input if v.name not in initializers],
        "outputs": [value_info(v) for v in g.output],
        "node_count": len(g.node),
        "op_counts": count_ops(g, {}),
        "initializer_count": len(g.initializer),
        "initializer_elements": sum(elements(t) for t in g.initializer),
    }


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        paths = [line.rstrip("\n") for line in f if line.strip()]
    models = []
    for path in paths:
        try:
            models.append(info(path))
        except Exception as e:  # noqa: BLE001 - a model onnx cannot read is a result to report
            models.append({"path": path, "error": f"{type(e).__name__}: {e}"})
    json.dump({"onnx_version": onnx.__version__, "models": models}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
