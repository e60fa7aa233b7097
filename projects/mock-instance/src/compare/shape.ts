/**
 * The shape of a JSON body, for comparing two answers whose values naturally differ (sys_ids,
 * dates, numbers): at each path, the kinds of value found there, the keys of its objects and the
 * shape of its arrays' elements (the union over all elements). Two answers have the same shape when
 * every path holds the same kinds; the values themselves are never compared.
 */

/** The kinds of JSON value. */
export type JsonKind = 'null' | 'boolean' | 'number' | 'string' | 'object' | 'array';

/** What a path of a body holds, over every value seen there. */
export interface Shape {
  readonly kinds: ReadonlySet<JsonKind>;
  /** The keys of the objects seen there (the union), each with its shape. */
  readonly keys: ReadonlyMap<string, Shape>;
  /** The union of the shapes of the arrays' elements seen there; null when none had any. */
  readonly items: Shape | null;
}

function kindOf(value: unknown): JsonKind {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'array';
  }
  const type = typeof value;
  return type === 'boolean' || type === 'number' || type === 'string' ? type : 'object';
}

/** The shape of a parsed JSON value. */
export function shapeOf(value: unknown): Shape {
  const kind = kindOf(value);
  if (kind === 'object') {
    return {
      kinds: new Set([kind]),
      keys: new Map(Object.entries(value as object).map(([k, v]) => [k, shapeOf(v)])),
      items: null,
    };
  }
  if (kind === 'array') {
    const items = (value as unknown[]).map(shapeOf);
    return {
      kinds: new Set([kind]),
      keys: new Map(),
      items: items.length === 0 ? null : items.reduce(mergeShapes),
    };
  }
  return { kinds: new Set([kind]), keys: new Map(), items: null };
}

/** The shape of a path that holds what either shape describes. */
export function mergeShapes(a: Shape, b: Shape): Shape {
  const keys = new Map(a.keys);
  for (const [key, shape] of b.keys) {
    const mine = keys.get(key);
    keys.set(key, mine ? mergeShapes(mine, shape) : shape);
  }
  return {
    kinds: new Set([...a.kinds, ...b.kinds]),
    keys,
    items: a.items && b.items ? mergeShapes(a.items, b.items) : (a.items ?? b.items),
  };
}

/** `object`, `object|string`: the kinds in a stable order. */
export function describeKinds(shape: Shape): string {
  return [...shape.kinds].sort().join('|');
}

/** `result.caller_id`, `result["odd key"]`, `result[].number`: a key's path. */
function keyPath(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) {
    return path === '' ? key : `${path}.${key}`;
  }
  return `${path === '' ? 'body' : path}[${JSON.stringify(key)}]`;
}

/**
 * Where two shapes differ, each named by its path (`body` for the whole body):
 * `result[].caller_id: recorded object, mock string`, `result.u_extra: recorded missing, mock
 * string`, `result[]: recorded object, mock none (empty array)`.
 */
export function shapeDifferences(recorded: Shape, mock: Shape, path = ''): string[] {
  const label = path === '' ? 'body' : path;
  const out: string[] = [];
  if (describeKinds(recorded) !== describeKinds(mock)) {
    out.push(`${label}: recorded ${describeKinds(recorded)}, mock ${describeKinds(mock)}`);
  }
  if (recorded.kinds.has('object') && mock.kinds.has('object')) {
    const keys = [...new Set([...recorded.keys.keys(), ...mock.keys.keys()])].sort();
    for (const key of keys) {
      const r = recorded.keys.get(key);
      const m = mock.keys.get(key);
      const at = keyPath(path, key);
      if (r && m) {
        out.push(...shapeDifferences(r, m, at));
      } else if (r) {
        out.push(`${at}: recorded ${describeKinds(r)}, mock missing`);
      } else if (m) {
        out.push(`${at}: recorded missing, mock ${describeKinds(m)}`);
      }
    }
  }
  if (recorded.kinds.has('array') && mock.kinds.has('array')) {
    const at = `${path}[]`;
    if (recorded.items && mock.items) {
      out.push(...shapeDifferences(recorded.items, mock.items, at));
    } else if (recorded.items) {
      out.push(`${at}: recorded ${describeKinds(recorded.items)}, mock none (empty array)`);
    } else if (mock.items) {
      out.push(`${at}: recorded none (empty array), mock ${describeKinds(mock.items)}`);
    }
  }
  return out;
}
