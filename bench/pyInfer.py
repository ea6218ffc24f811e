# Reference for bench/profile.ts: ONNX's own Python package (Debian's python3-onnx) loading a model and inferring
# its shapes, the work `edge-profile profile` does before costing. Prints one JSON line: the time of the two calls
# inside this process (wall, and CPU: user + system of the whole process over the two calls) and the process's peak resident memory so far (ru_maxrss).
import json
import resource
import sys
import time

t_start = time.perf_counter()
import onnx  # noqa: E402 - timed: part of what a whole Python process pays
from onnx import shape_inference  # noqa: E402

path = sys.argv[1]
t0 = time.perf_counter()
c0 = time.process_time()
model = onnx.load(path)
t1 = time.perf_counter()
inferred = shape_inference.infer_shapes(model)
t2 = time.perf_counter()
c2 = time.process_time()
print(
    json.dumps(
        {
            "onnxVersion": onnx.__version__,
            "importMs": (t0 - t_start) * 1000,
            "loadMs": (t1 - t0) * 1000,
            "inferMs": (t2 - t1) * 1000,
            "cpuMs": (c2 - c0) * 1000,
            "valueInfo": len(inferred.graph.value_info),
            "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        }
    )
)
