// The package's layout as a newcomer relies on it: no import circles inside, and nothing outside
// it reaching past its public index.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = __dirname;
const WORKSPACE = resolve(SRC, '../../..');

function files(dir: string, keep: (path: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) {
      return [];
    }
    return statSync(path).isDirectory() ? files(path, keep) : keep(path) ? [path] : [];
  });
}

/** The relative modules a file imports or re-exports, as absolute paths without extension. */
function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/(?:import|export)[^'";]*?from\s+'(\.{1,2}\/[^']+)'/g)].map((m) =>
    resolve(dirname(file), m[1]),
  );
}

describe('the mock instance’s layout', () => {
  const sources = files(SRC, (p) => p.endsWith('.ts') && !p.endsWith('.spec.ts'));

  it('has no import circles', () => {
    const graph = new Map(sources.map((f) => [f.replace(/\.ts$/, ''), importsOf(f)]));
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (node: string, path: string[]) => {
      if (state.get(node) === 'done' || !graph.has(node)) {
        return;
      }
      if (state.get(node) === 'open') {
        circles.push(
          [...path.slice(path.indexOf(node)), node].map((n) => relative(SRC, n)).join(' → '),
        );
        return;
      }
      state.set(node, 'open');
      for (const next of graph.get(node)!) {
        visit(next, [...path, node]);
      }
      state.set(node, 'done');
    };
    for (const node of graph.keys()) {
      visit(node, []);
    }
    expect(circles).toEqual([]);
  });

  it('is grouped by concept: the HTTP surface, Glide semantics, sessions, apps, data, the message bus', () => {
    const folders = new Set(sources.map((f) => relative(SRC, dirname(f))));
    expect([...folders].sort()).toEqual(['', 'amb', 'apps', 'data', 'glide', 'http', 'session']);
  });

  it('is reached from the rest of the workspace through its entry points only', () => {
    const entries = ['index', 'testing', 'playwright'].map((name) => join(SRC, name));
    const outside = [
      join(WORKSPACE, 'projects/demo'),
      join(WORKSPACE, 'projects/dev-proxy'),
      join(WORKSPACE, 'integration'),
      join(WORKSPACE, 'bench'),
    ].flatMap((dir) => files(dir, (p) => /\.(ts|mjs)$/.test(p)));
    const reaching = outside.flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith(SRC) && !entries.includes(target))
        .map((target) => `${relative(WORKSPACE, file)} → ${relative(WORKSPACE, target)}`),
    );
    expect(reaching).toEqual([]);
  });
});
