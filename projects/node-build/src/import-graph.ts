/**
 * The import graph of a project's TypeScript sources, for the layout checks each project's tests
 * run: what each file imports, and the circles among them (type-only imports count: a circle
 * through types still ties the files' layers together).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** The `.ts` files under `dir` that `keep` accepts (`node_modules` and dot folders skipped). */
export function sourceFiles(dir: string, keep: (path: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) {
      return [];
    }
    return statSync(path).isDirectory() ? sourceFiles(path, keep) : keep(path) ? [path] : [];
  });
}

/**
 * What a file imports or re-exports: relative modules as absolute paths without extension,
 * packages by name.
 */
export function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/(?:import|export)[^'";]*?from\s+'([^']+)'/g)].map((m) =>
    m[1].startsWith('.') ? resolve(dirname(file), m[1]) : m[1],
  );
}

/** Each import circle among `files`, written `a → b → a` with paths relative to `root`. */
export function importCircles(files: readonly string[], root: string): string[] {
  const graph = new Map(files.map((f) => [f.replace(/\.ts$/, ''), importsOf(f)]));
  const circles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, path: string[]) => {
    if (state.get(node) === 'done' || !graph.has(node)) {
      return;
    }
    if (state.get(node) === 'open') {
      circles.push(
        [...path.slice(path.indexOf(node)), node].map((n) => relative(root, n)).join(' → '),
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
  return circles;
}
