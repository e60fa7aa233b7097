/**
 * `tsx projects/node-build/src/cli.ts <project> <out> <name>=<source>...`: what
 * `npm run build:dev-proxy` and `npm run build:mock-instance` run.
 */
import { buildNodePackage } from './index';

const [project, out, ...pairs] = process.argv.slice(2);
if (!project || !out || pairs.length === 0 || pairs.some((p) => !p.includes('='))) {
  console.error('Usage: cli.ts <project> <out> <name>=<source>...');
  process.exit(2);
}
buildNodePackage({
  project,
  out,
  entries: Object.fromEntries(pairs.map((pair) => pair.split('=', 2) as [string, string])),
}).catch((error: unknown) => {
  console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
