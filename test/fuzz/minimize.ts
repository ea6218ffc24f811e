/**
 * Shrinks a failing input while it keeps failing the same way (same failure kind, stage and error class): fields
 * are deleted from the protobuf message tree level by level (delta debugging over each message's fields, length
 * prefixes rewritten), large byte fields are cut down, and what does not parse as protobuf is cut byte-wise.
 */

import type { CaseResult } from './harness.js';
import { concat, parseFields, readVarint, varint } from './wire.js';

interface WireNode {
  tag: Uint8Array;
  wireType: number;
  /** Varint / fixed value bytes, or the body of a length-delimited field. */
  value: Uint8Array;
  children?: WireNode[];
}

function parseTree(buf: Uint8Array, depth: number): WireNode[] | undefined {
  const fields = parseFields(buf);
  if (!fields) return undefined;
  return fields.map((f) => {
    const tagEnd = readVarint(buf, f.start)?.next ?? f.start;
    const node: WireNode = {
      tag: buf.subarray(f.start, tagEnd),
      wireType: f.wireType,
      value: buf.subarray(f.wireType === 2 ? f.valueStart : tagEnd, f.end),
    };
    if (f.wireType === 2 && depth < 60 && node.value.length >= 2) {
      const kids = parseTree(node.value, depth + 1);
      if (kids?.length) node.children = kids;
    }
    return node;
  });
}

function serialize(nodes: WireNode[]): Uint8Array {
  return concat(
    nodes.flatMap((n) => {
      if (n.wireType !== 2) return [n.tag, n.value];
      const body = n.children ? serialize(n.children) : n.value;
      return [n.tag, Uint8Array.from(varint(body.length)), body];
    }),
  );
}

export function failureSignature(r: CaseResult): string | undefined {
  if (r.status !== 'failed' || !r.failure) return undefined;
  // A memory failure must stay clearly over the limit, so that the minimized input does not sit on the edge.
  if (r.failure.kind === 'memory' && r.heapGrowthBytes + r.rssGrowthBytes > 0) {
    if (Math.max(r.heapGrowthBytes, r.rssGrowthBytes) < 1.5 * r.memLimitBytes) return 'memory (marginal)';
  }
  return `${r.failure.kind}|${r.failure.stage}|${r.failure.error ?? ''}`;
}

export type Tester = (bytes: Uint8Array) => Promise<CaseResult>;

/**
 * Minimizes `bytes`, which fails with `signature`, using `test` (which runs a case in the worker pool).
 * `budget` caps the number of test runs.
 */
export async function minimize(
  bytes: Uint8Array,
  signature: string,
  test: Tester,
  budget = 2000,
  log: (s: string) => void = () => undefined,
): Promise<Uint8Array> {
  let runs = 0;
  const fails = async (b: Uint8Array): Promise<boolean> => {
    if (runs >= budget) return false;
    runs++;
    return failureSignature(await test(b)) === signature;
  };
  const root = parseTree(bytes, 0);
  let best = bytes;
  if (root) {
    // Delta debugging over one list of sibling nodes; `rebuild` serializes the whole tree.
    const shrinkList = async (list: WireNode[]) => {
      let chunk = Math.max(1, Math.ceil(list.length / 2));
      for (;;) {
        let removed = false;
        for (let i = 0; i < list.length && runs < budget; ) {
          const saved = list.splice(i, Math.min(chunk, list.length - i));
          const candidate = serialize(root);
          if (candidate.length < best.length && (await fails(candidate))) {
            best = candidate;
            removed = true;
          } else {
            list.splice(i, 0, ...saved);
            i += chunk;
          }
        }
        if (chunk === 1 && !removed) break;
        if (!removed) chunk = Math.max(1, Math.floor(chunk / 2));
        if (runs >= budget) break;
      }
    };
    const shrinkBodies = async (list: WireNode[]) => {
      for (const n of list) {
        if (runs >= budget) return;
        // Long strings and raw data: empty, 4 bytes, or halved for as long as it keeps failing.
        let shrinking = n.wireType === 2 && !n.children && n.value.length > 16;
        while (shrinking && runs < budget) {
          const full = n.value;
          shrinking = false;
          for (const len of [0, 4, Math.floor(full.length / 2)]) {
            n.value = full.subarray(0, len);
            const candidate = serialize(root);
            if (await fails(candidate)) {
              best = candidate;
              shrinking = len > 16;
              break;
            }
            n.value = full;
          }
        }
      }
    };
    const walk = async (list: WireNode[], depth: number) => {
      await shrinkList(list);
      await shrinkBodies(list);
      for (const n of list) if (n.children && runs < budget) await walk(n.children, depth + 1);
      // Emptied sub-messages are worth another pass at this level.
      if (depth === 0) await shrinkList(list);
    };
    await walk(root, 0);
    log(`  minimized ${bytes.length} -> ${best.length} bytes in ${runs} runs (protobuf tree)`);
  }
  if (!root) {
    // Byte-wise: cut chunks, halving their size.
    for (
      let chunk = Math.max(1, Math.floor(best.length / 2));
      chunk >= 1 && runs < budget;
      chunk = Math.floor(chunk / 2)
    ) {
      for (let i = 0; i + chunk <= best.length && runs < budget; ) {
        const candidate = concat([best.subarray(0, i), best.subarray(i + chunk)]);
        if (await fails(candidate)) best = candidate;
        else i += chunk;
      }
    }
    log(`  minimized to ${best.length} bytes in ${runs} runs (byte-wise)`);
  }
  return best;
}
