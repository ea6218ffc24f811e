/**
 * A small JSON parser for hand-written profile files: it reports the line and column of a syntax error (which
 * `JSON.parse` does not do consistently across Node versions), accepts `//` and `/* *\/` comments as VS Code's
 * own settings files do, and rejects duplicate keys, which in a profile are almost always a mistake.
 */

export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
  constructor(
    readonly reason: string,
    /** 1-based. */
    readonly line: number,
    /** 1-based. */
    readonly column: number,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
  }
}

export function parseJsonc(text: string): unknown {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const fail = (reason: string, at = i): never => {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < at && k < text.length; k++) {
      if (text[k] === '\n') {
        line++;
        lineStart = k + 1;
      }
    }
    throw new JsonSyntaxError(reason, line, at - lineStart + 1);
  };

  const describe = (at: number) => (at >= text.length ? 'end of input' : `'${text[at]}'`);

  const skip = () => {
    for (;;) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        i++;
      } else if (c === '/' && text[i + 1] === '/') {
        while (i < text.length && text[i] !== '\n') i++;
      } else if (c === '/' && text[i + 1] === '*') {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) fail('unterminated comment');
        i = end + 2;
      } else {
        return;
      }
    }
  };

  const parseString = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string', start);
      const c = text[i];
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\n') fail('unterminated string (newline inside a string)', start);
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          fail(`invalid escape '\\${e ?? ''}' in string`);
        }
      } else {
        out += c;
        i++;
      }
    }
  };

  const parseNumber = (): number => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) return fail(`unexpected ${describe(i)}`);
    i += m[0].length;
    return Number(m[0]);
  };

  const parseValue = (): unknown => {
    skip();
    const c = text[i];
    if (c === '{') return parseObject();
    if (c === '[') return parseArray();
    if (c === '"') return parseString();
    if (c === '-' || (c >= '0' && c <= '9')) return parseNumber();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    return fail(
      i >= text.length ? 'unexpected end of input (expected a value)' : `unexpected ${describe(i)} (expected a value)`,
    );
  };

  const parseObject = (): Record<string, unknown> => {
    i++; // {
    const out: Record<string, unknown> = {};
    skip();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      skip();
      if (text[i] !== '"') fail(`unexpected ${describe(i)} (expected a quoted key)`);
      const keyAt = i;
      const key = parseString();
      if (Object.hasOwn(out, key)) fail(`duplicate key "${key}"`, keyAt);
      skip();
      if (text[i] !== ':') fail(`unexpected ${describe(i)} (expected ':')`);
      i++;
      // defineProperty, not assignment: a "__proto__" key must stay data, never become the prototype.
      Object.defineProperty(out, key, { value: parseValue(), enumerable: true, writable: true, configurable: true });
      skip();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return out;
      }
      fail(`unexpected ${describe(i)} (expected ',' or '}')`);
    }
  };

  const parseArray = (): unknown[] => {
    i++; // [
    const out: unknown[] = [];
    skip();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      out.push(parseValue());
      skip();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return out;
      }
      fail(`unexpected ${describe(i)} (expected ',' or ']')`);
    }
  };

  const value = parseValue();
  skip();
  if (i < text.length) fail(`unexpected ${describe(i)} after the end of the value`);
  return value;
}
