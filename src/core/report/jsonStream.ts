/**
 * Compact JSON as a stream of string chunks, for documents too large to build as one string (the profile of a
 * 50,000-node model is ~40 MB). The text is exactly JSON.stringify(value)'s, except that a bigint is written as a
 * number when it is a safe integer and as a string otherwise (JSON.stringify throws on bigints).
 *
 * Large arrays and objects are walked here, element by element; every small subtree (up to SMALL_VALUES values) is
 * handed to the native JSON.stringify whole, which is much faster than serializing in JavaScript, and consecutive
 * small elements of an array go together, up to BATCH_VALUES values per call (a profile's 50,000 layers are a
 * hundred-odd calls, not 50,000). Pure: no I/O.
 */

/** How many values (containers and primitives) a subtree may have to be serialized in one native call. */
const SMALL_VALUES = 512;

/**
 * How many values the small elements of an array serialized in one native call may have together; fewer for small
 * chunk sizes (a value is some 8 characters of JSON), so that chunks stay near the size asked for.
 */
const BATCH_VALUES = 4096;
const CHARS_PER_VALUE = 8;

/** Characters collected before a chunk is yielded. */
const DEFAULT_CHUNK = 1 << 16;

export interface JsonStreamOptions {
  /** Approximate size of the chunks, in UTF-16 code units (default 65,536). */
  chunkSize?: number;
}

/** JSON.stringify's replacer for bigints: a number when it is a safe integer, else its decimal string. */
export function bigintToJson(_key: string, v: unknown): unknown {
  if (typeof v !== 'bigint') return v;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v.toString();
}

/** JSON.stringify(value) with bigint support (see bigintToJson), in one string: for small documents. */
export function toJsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (err) {
    // A bigint somewhere (TypeError "Do not know how to serialize a BigInt"); cycles throw again below.
    if (!(err instanceof TypeError)) throw err;
    return JSON.stringify(value, bigintToJson);
  }
}

/**
 * The compact JSON text of `value` in chunks of about `chunkSize` characters; their concatenation equals
 * toJsonText(value). Yields nothing for a value JSON cannot represent at the top level (undefined, a function).
 */
export function* jsonChunks(value: unknown, options: JsonStreamOptions = {}): Generator<string, void, undefined> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const batchLimit = Math.min(BATCH_VALUES, chunkSize / CHARS_PER_VALUE);
  const ancestors = new Set<object>();
  let buf = '';

  /** Appends a value that is not walked further (a small subtree or a primitive); false when it has no JSON. */
  const appendWhole = (v: unknown): boolean => {
    const text = toJsonText(v);
    if (text === undefined) return false;
    buf += text;
    return true;
  };

  /**
   * How many values `v` (already passed through toJSON) has when it is written by one JSON.stringify call, or -1
   * when it is walked instead (a large plain array or object).
   */
  const wholeSize = (v: unknown): number => {
    if (v === null || typeof v !== 'object' || !isPlain(v)) return 1;
    const left = countValues(v, SMALL_VALUES);
    return left >= 0 ? SMALL_VALUES - left : -1;
  };
  const whole = (v: unknown): boolean => wholeSize(v) >= 0;

  /** Writes a large plain array or object element by element (small elements of an array in batches). */
  function* walk(v: object): Generator<string, void, undefined> {
    if (ancestors.has(v)) throw new TypeError('Converting circular structure to JSON');
    ancestors.add(v);
    if (Array.isArray(v)) {
      buf += '[';
      /** Elements written so far, and small ones waiting to be written in one call (with their values). */
      let written = 0;
      let batch: unknown[] = [];
      let batchValues = 0;
      const flush = () => {
        if (!batch.length) return;
        // "[a,b,…]" without its brackets; an element without JSON is null in it, as in any array.
        const text = toJsonText(batch) as string;
        buf += written > 0 ? `,${text.slice(1, -1)}` : text.slice(1, -1);
        written += batch.length;
        batch = [];
        batchValues = 0;
      };
      for (let i = 0; i < v.length; i++) {
        const item = v[i];
        const child = prepared(item, i);
        const size = wholeSize(child);
        // A value that came out of toJSON goes alone: JSON.stringify would call a toJSON on it again.
        if (size >= 0 && child === item) {
          batch.push(child);
          batchValues += size;
          if (batchValues < batchLimit) continue;
          flush();
        } else {
          flush();
          if (written > 0) buf += ',';
          if (size < 0) yield* walk(child as object);
          else if (!appendWhole(child)) buf += 'null';
          written++;
        }
        if (buf.length >= chunkSize) {
          yield buf;
          buf = '';
        }
      }
      flush();
      buf += ']';
    } else {
      const obj = v as Record<string, unknown>;
      buf += '{';
      let first = true;
      for (const key of Object.keys(obj)) {
        const child = prepared(obj[key], key);
        if (child === undefined || typeof child === 'function' || typeof child === 'symbol') continue;
        buf += first ? `${JSON.stringify(key)}:` : `,${JSON.stringify(key)}:`;
        first = false;
        if (whole(child)) appendWhole(child);
        else yield* walk(child as object);
        if (buf.length >= chunkSize) {
          yield buf;
          buf = '';
        }
      }
      buf += '}';
    }
    ancestors.delete(v);
  }

  const top = prepared(value, '');
  if (whole(top)) appendWhole(top);
  else yield* walk(top as object);
  if (buf) yield buf;
}

/** A value as JSON.stringify sees it: after its toJSON method, if it has one (called with the key as a string). */
function prepared(v: unknown, key: string | number): unknown {
  if (v !== null && (typeof v === 'object' || typeof v === 'bigint')) {
    const toJSON = (v as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return toJSON.call(v, String(key));
  }
  return v;
}

/** Arrays and objects whose prototype is Object.prototype or null: the ones walked here. */
function isPlain(v: object): boolean {
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * The budget left after counting the values of `v` (itself included), or a negative number once it is exceeded.
 * Primitives count one each.
 */
function countValues(v: object, budget: number): number {
  budget--;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && budget >= 0; i++) {
      const x: unknown = v[i];
      budget = x !== null && typeof x === 'object' ? countValues(x, budget) : budget - 1;
    }
    return budget;
  }
  // Other objects are counted by their enumerable properties: a typed array or a class instance with many of them
  // is walked (and then handed to JSON.stringify itself, being no plain object), which is merely slower.
  for (const key in v) {
    if (budget < 0) break;
    const x = (v as Record<string, unknown>)[key];
    budget = x !== null && typeof x === 'object' ? countValues(x, budget) : budget - 1;
  }
  return budget;
}
