import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * Starts `npm start -- --port 0 --once` (the demo built once, served by the mock instance on a
 * free port), waits for its URL, and hands it to the tests as DEMO_URL.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const root = resolve(__dirname, '../../..');
  const server: ChildProcess = spawn('npm', ['start', '--', '--port', '0', '--once'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`npm start did not come up:\n${output}`)),
      180_000,
    );
    server.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Demo running at (http:\/\/\S+?)\/?\s/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${output}`));
    });
  });
  process.env['DEMO_URL'] = url;
  return async () => {
    try {
      process.kill(-server.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  };
}
