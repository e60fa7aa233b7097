/**
 * @jest-environment node
 */
// The library's layout as its maintainers rely on it: no import circles (type-only imports count),
// the core never imports an opt-in feature (a feature depends on the core, never the reverse), and
// the secondary entry points reach the core through its public name only.
import { dirname, join, relative, resolve } from 'node:path';

import { importCircles, importsOf, sourceFiles } from '../../node-build/src/index';

const ROOT = resolve(__dirname, '..');
const LIB = join(ROOT, 'src/lib');

/** The opt-in features: what an app names in `provideUserToken(...)`. */
const FEATURES = ['relogin', 'tab-sync', 'token-page'];

describe('the library’s layout', () => {
  const files = ['src', 'testing/src', 'live/src', 'ui-page/src'].flatMap((dir) =>
    sourceFiles(join(ROOT, dir), (p) => p.endsWith('.ts') && !p.endsWith('.spec.ts')),
  );
  const graph = new Map(files.map((f) => [f.replace(/\.ts$/, ''), importsOf(f)]));

  it('has no import circles', () => {
    expect(importCircles(files, ROOT)).toEqual([]);
  });

  it('keeps the core free of the opt-in features', () => {
    const featurePaths = FEATURES.map((name) => join(LIB, name));
    const reaching = [...graph]
      .filter(([file]) => dirname(file) === LIB && !featurePaths.includes(file))
      .flatMap(([file, targets]) =>
        targets
          .filter((target) => featurePaths.includes(target))
          .map((target) => `${relative(LIB, file)} → ${relative(LIB, target)}`),
      );
    expect(reaching).toEqual([]);
  });

  it('lets the secondary entry points use the core by its package name only', () => {
    const reaching = [...graph]
      .filter(([file]) => !file.startsWith(join(ROOT, 'src')))
      .flatMap(([file, targets]) =>
        targets
          .filter((target) => target.startsWith(join(ROOT, 'src')))
          .map((target) => `${relative(ROOT, file)} → ${relative(ROOT, target)}`),
      );
    expect(reaching).toEqual([]);
  });
});
