import { SchematicsException, Tree } from '@angular-devkit/schematics';
import type { ProjectDefinition, WorkspaceDefinition } from '@schematics/angular/utility';

/**
 * The application a schematic works on: the one named, or else the workspace's first application.
 * Throws, naming the schematic, when there is none.
 */
export function findApplication(
  workspace: WorkspaceDefinition,
  wanted: string | undefined,
  schematic: string,
): { name: string; project: ProjectDefinition } {
  const name =
    wanted ??
    [...workspace.projects.keys()].find(
      (n) => workspace.projects.get(n)?.extensions['projectType'] === 'application',
    );
  const project = name ? workspace.projects.get(name) : undefined;
  if (!name || !project || project.extensions['projectType'] !== 'application') {
    throw new SchematicsException(
      `${schematic}: no application "${wanted ?? ''}" in this workspace.`,
    );
  }
  return { name, project };
}

/** The TypeScript sources under `root`, tests left out. */
export function typeScriptFiles(tree: Tree, root: string): string[] {
  const files: string[] = [];
  tree.getDir(root).visit((path) => {
    if (path.endsWith('.ts') && !path.endsWith('.spec.ts')) {
      files.push(path);
    }
  });
  return files;
}
