# Reference for bench/run.ts: ONNX's own Python loader (protobuf's C++ parser) and checker on the same file.
import json, resource, sys, time
import onnx

path = sys.argv[1]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
t0 = time.perf_counter()
m = onnx.load(path)
t1 = time.perf_counter()
onnx.checker.check_model(m)
t2 = time.perf_counter()
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"loadMs": (t1 - t0) * 1000, "checkMs": (t2 - t1) * 1000, "peakDeltaBytes": after - before, "nodes": len(m.graph.node)}))
