/**
 * What `edge-profile info` prints: a model's identity, interface, operator mix, weights and validation problems.
 * Pure data in, pure data out; formatting for the terminal is in formatSummaryText.
 */

import { dataTypeName } from '../onnx/dtype.js';
import type { Dim, Model, Tensor, TypeInfo, ValueInfo } from '../onnx/ir.js';
import { normalizeDomain, walkGraphs } from '../onnx/ir.js';
import { elementCount, tensorByteSize } from '../onnx/tensor.js';
import type { Problem } from '../onnx/validate.js';
import { terminalText } from './safeText.js';

export interface ValueSummary {
  name: string;
  /** `float32`, `int64`…; for non-tensor types a description such as `sequence<float32>`. */
  type: string;
  /** undefined when the rank is unknown; symbols stay strings, unknown dims are null. */
  shape?: Dim[];
}

export interface ModelSummary {
  file?: string;
  fileBytes?: number;
  irVersion: number;
  producer: { name: string; version: string };
  domain: string;
  modelVersion: string;
  graphName: string;
  opsets: { domain: string; version: number }[];
  metadata: { key: string; value: string }[];
  inputs: ValueSummary[];
  outputs: ValueSummary[];
  /** Nodes of the main graph. */
  nodeCount: number;
  /** Nodes inside If/Loop/Scan bodies, all levels. */
  subgraphNodeCount: number;
  /** Op type (prefixed with its domain outside the standard one) -> count, main graph and subgraphs. */
  opCounts: Record<string, number>;
  initializers: { count: number; elements: number; bytes: number; externalCount: number; externalBytes: number };
  sparseInitializerCount: number;
  functions: string[];
  problems: Problem[];
}

export function describeType(t: TypeInfo | undefined): string {
  if (!t) return '?';
  switch (t.kind) {
    case 'tensor':
      return dataTypeName(t.elemType);
    case 'sparse_tensor':
      return `sparse<${dataTypeName(t.elemType)}>`;
    case 'sequence':
    case 'optional':
      return `${t.kind}<${describeType(t.elem)}>`;
    case 'map':
      return `map<${dataTypeName(t.keyType)},${describeType(t.value)}>`;
    case 'opaque':
      return `opaque<${t.domain}.${t.name}>`;
    default:
      return '?';
  }
}

function valueSummary(v: ValueInfo): ValueSummary {
  const s: ValueSummary = { name: v.name, type: describeType(v.type) };
  if (v.type && (v.type.kind === 'tensor' || v.type.kind === 'sparse_tensor') && v.type.shape) s.shape = v.type.shape;
  return s;
}

export function opKey(domain: string, opType: string): string {
  const d = normalizeDomain(domain);
  return d ? `${d}.${opType}` : opType;
}

export function summarizeModel(
  model: Model,
  problems: Problem[],
  file?: { path: string; bytes: number },
): ModelSummary {
  const initNames = new Set(model.graph.initializers.map((t) => t.name));
  const opCounts: Record<string, number> = {};
  let subgraphNodeCount = 0;
  for (const { graph, path } of walkGraphs(model.graph)) {
    if (path) subgraphNodeCount += graph.nodes.length;
    for (const n of graph.nodes) {
      const k = opKey(n.domain, n.opType);
      opCounts[k] = (opCounts[k] ?? 0) + 1;
    }
  }
  const init = { count: 0, elements: 0, bytes: 0, externalCount: 0, externalBytes: 0 };
  const addTensor = (t: Tensor) => {
    const n = elementCount(t.dims);
    const b = tensorByteSize(t);
    init.count++;
    if (!Number.isNaN(n)) init.elements += n;
    if (!Number.isNaN(b)) init.bytes += b;
    if (t.data.kind === 'external') {
      init.externalCount++;
      if (!Number.isNaN(b)) init.externalBytes += b;
    }
  };
  model.graph.initializers.forEach(addTensor);
  return {
    ...(file ? { file: file.path, fileBytes: file.bytes } : {}),
    irVersion: model.irVersion,
    producer: { name: model.producerName, version: model.producerVersion },
    domain: model.domain,
    modelVersion: model.modelVersion.toString(),
    graphName: model.graph.name,
    opsets: model.opsetImports.map((o) => ({ domain: o.domain || 'ai.onnx', version: o.version })),
    metadata: model.metadataProps,
    // Initializers listed as graph inputs (IR < 4 style) are weights, not inputs the user feeds.
    inputs: model.graph.inputs.filter((v) => !initNames.has(v.name)).map(valueSummary),
    outputs: model.graph.outputs.map(valueSummary),
    nodeCount: model.graph.nodes.length,
    subgraphNodeCount,
    opCounts,
    initializers: init,
    sparseInitializerCount: model.graph.sparseInitializers.length,
    functions: model.functions.map((f) => `${f.domain}.${f.name}${f.overload ? `:${f.overload}` : ''}`),
    problems,
  };
}

export function formatShape(shape: Dim[] | undefined): string {
  if (!shape) return '(unknown rank)';
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
}

/**
 * n.toLocaleString('en-US') ("1,234,567"), built by hand for safe integers: ICU's formatting costs about 1 µs a
 * call, a large part of printing a 50k-layer table. Other numbers (fractions, -0, beyond 2^53) go to ICU.
 */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString('en-US');
  const digits = String(n < 0 ? -n : n);
  let out = digits;
  if (digits.length > 3) {
    const head = digits.length % 3 || 3;
    out = digits.slice(0, head);
    for (let i = head; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  }
  return n < 0 ? `-${out}` : out;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

export function formatSummaryText(s: ModelSummary): string {
  const lines: string[] = [];
  if (s.file) lines.push(`Model:      ${s.file} (${formatBytes(s.fileBytes ?? 0)})`);
  lines.push(`IR version: ${s.irVersion}`);
  lines.push(`Producer:   ${s.producer.name || '(none)'}${s.producer.version ? ` ${s.producer.version}` : ''}`);
  if (s.graphName) lines.push(`Graph:      ${s.graphName}`);
  lines.push(`Opsets:     ${s.opsets.map((o) => `${o.domain} ${o.version}`).join(', ') || '(none)'}`);
  for (const m of s.metadata) lines.push(`Metadata:   ${m.key} = ${m.value}`);
  lines.push('Inputs:');
  for (const v of s.inputs) lines.push(`  ${v.name}: ${v.type} ${formatShape(v.shape)}`);
  lines.push('Outputs:');
  for (const v of s.outputs) lines.push(`  ${v.name}: ${v.type} ${formatShape(v.shape)}`);
  lines.push(`Nodes:      ${s.nodeCount}${s.subgraphNodeCount ? ` (+${s.subgraphNodeCount} in subgraphs)` : ''}`);
  const ops = Object.entries(s.opCounts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  for (const [op, n] of ops) lines.push(`  ${String(n).padStart(6)}  ${op}`);
  const i = s.initializers;
  lines.push(
    `Initializers: ${i.count} (${i.elements.toLocaleString('en-US')} elements, ${formatBytes(i.bytes)})` +
      (i.externalCount ? `, ${i.externalCount} external (${formatBytes(i.externalBytes)})` : ''),
  );
  if (s.sparseInitializerCount) lines.push(`Sparse initializers: ${s.sparseInitializerCount}`);
  if (s.functions.length) lines.push(`Functions:  ${s.functions.join(', ')}`);
  const errors = s.problems.filter((p) => p.severity === 'error').length;
  lines.push(`Validation: ${errors} error(s), ${s.problems.length - errors} warning(s)`);
  for (const p of s.problems) lines.push(`  ${p.severity}: ${p.where}${p.message}`);
  // Names, metadata and messages are the model's text: one line each, controls escaped, clipped (safeText.ts).
  return lines.map((l) => terminalText(l, 2000)).join('\n');
}
