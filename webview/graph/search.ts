/**
 * Search over one graph's nodes by node name, op type, or the name of a tensor the node reads or writes
 * (case-insensitive substring). Hits come in graph order.
 */
import type { GraphView } from '../../src/core/report/graphModel.js';

export class SearchIndex {
  private readonly names: string[];
  private readonly ops: string[];
  private readonly tensorNames: string[];
  private readonly tensorsOf: number[][];

  constructor(private readonly graph: GraphView) {
    this.names = graph.nodes.map((n) => n.name.toLowerCase());
    this.ops = graph.nodes.map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType).toLowerCase());
    this.tensorNames = graph.tensors.map((t) => t.name.toLowerCase());
    this.tensorsOf = graph.nodes.map((n) => [...n.inputs, ...n.outputs].filter((t) => t >= 0));
  }

  /** Node indices that match `query`, in graph order; a node matches once however many fields match. */
  find(query: string, limit = 100_000): number[] {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const tensorHit = new Uint8Array(this.tensorNames.length);
    this.tensorNames.forEach((t, i) => {
      if (t.includes(q)) tensorHit[i] = 1;
    });
    const out: number[] = [];
    for (let i = 0; i < this.graph.nodes.length && out.length < limit; i++) {
      if (this.names[i].includes(q) || this.ops[i].includes(q) || this.tensorsOf[i].some((t) => tensorHit[t])) {
        out.push(i);
      }
    }
    return out;
  }
}
