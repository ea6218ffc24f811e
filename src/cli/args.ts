/** Argument parsing shared by every `edge-profile` command. */

/** Bad usage: the command prints the message (and its help) and exits 2. */
export class UsageError extends Error {}

/** `--dim batch=1` (repeatable) -> { batch: 1 }. */
export function parseDims(list: readonly string[]): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const item of list) {
    const eq = item.lastIndexOf('=');
    const size = item.slice(eq + 1);
    if (eq <= 0 || !/^\d+$/.test(size)) throw new UsageError(`--dim '${item}': expected SYMBOL=N, e.g. batch=1`);
    dims[item.slice(0, eq)] = Number(size);
  }
  return dims;
}
