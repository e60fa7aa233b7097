// The package's layout as a newcomer relies on it: no import circles inside, and nothing outside
// it reaching past its public index.
import { dirname, join, relative, resolve } from 'node:path';

import { importCircles, importsOf, sourceFiles as files } from '../../node-build/src/index';

const SRC = __dirname;
const WORKSPACE = resolve(SRC, '../../..');

describe('the mock instance’s layout', () => {
  const sources = files(SRC, (p) => p.endsWith('.ts') && !p.endsWith('.spec.ts'));

  it('has no import circles', () => {
    expect(importCircles(sources, SRC)).toEqual([]);
  });

  it('is grouped by concept: the HTTP surface, Glide semantics, sessions, apps, data, the message bus, comparing recordings', () => {
    const folders = new Set(sources.map((f) => relative(SRC, dirname(f))));
    expect([...folders].sort()).toEqual([
      '',
      'amb',
      'apps',
      'compare',
      'data',
      'glide',
      'http',
      'session',
    ]);
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
