import { SchematicTestRunner, UnitTestTree } from '@angular-devkit/schematics/testing';
import { dirname, join } from 'node:path';

/**
 * A workspace as `ng new` makes it with Angular's own schematics (Angular 21): one application,
 * "portal", under `projects/`.
 */
export async function ngNewApp(options: {
  standalone: boolean;
  routing?: boolean;
}): Promise<UnitTestTree> {
  const angular = join(
    dirname(require.resolve('@schematics/angular/package.json')),
    'collection.json',
  );
  const runner = new SchematicTestRunner('@schematics/angular', angular);
  const workspace = await runner.runSchematic('workspace', {
    name: 'ws',
    newProjectRoot: 'projects',
    version: '21.0.0',
  });
  return runner.runSchematic(
    'application',
    { name: 'portal', skipTests: true, ...options },
    workspace,
  );
}

/** The names a file imports from `module`, sorted. */
export function imported(text: string, module: string): string[] {
  const list = text.match(new RegExp(`import \\{([^}]*)\\} from '${module}';`))?.[1] ?? '';
  return list
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean)
    .sort();
}
