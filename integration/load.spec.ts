// Load: 1,000 requests spread over 5 s while the mock instance rotates the session token every
// 100 ms, through Angular's real HttpClient (fetch backend) over loopback. Every request must get a
// definite answer (its result, or the instance's 401 when every attempt met a rotation), none lost
// or duplicated (counted on the server), and the token page is fetched no more often than the
// token rotated.
import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';

import {
  HttpClient,
  HttpErrorResponse,
  provideHttpClient,
  withFetch,
  withInterceptors,
} from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import {
  provideUserToken,
  UserTokenEvent,
  UserTokenEvents,
  userTokenInterceptor,
  withTokenPage,
} from 'ngx-user-token';
import { firstValueFrom } from 'rxjs';

import { logInAndLoadPage } from './page';

declare const __setPageUrl: (url: string) => void;

const REQUESTS = 1000;
const WAVES = 50;
const WAVE_EVERY_MS = 100;

interface Outcome {
  id: string;
  kind: 'create' | 'read';
  ok: boolean;
  status: number;
}

let server: ChildProcess;
let baseUrl: string;

// The instance runs in a process of its own, as a server would: client and server do not share
// one event loop.
beforeAll(async () => {
  const root = resolve(__dirname, '..');
  server = spawn(
    resolve(root, 'node_modules/.bin/tsx'),
    ['projects/mock-instance/src/cli.ts', '--port', '0', '--dev', '--token-ttl', '0.1'],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  baseUrl = await new Promise<string>((resolveUrl) => {
    let output = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+?)\/?\s/.exec(output);
      if (match) resolveUrl(match[1]);
    });
  });
  __setPageUrl(`${baseUrl}/`);
}, 30_000);
afterAll(async () => {
  server.kill('SIGTERM');
  await once(server, 'exit');
});

it('answers every request of a 1,000-request load, losing and duplicating nothing, while the token rotates every 100 ms', async () => {
  await logInAndLoadPage();
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(withFetch(), withInterceptors([userTokenInterceptor])),
      provideUserToken(withTokenPage('/user_token.do')),
    ],
  });
  const http = TestBed.inject(HttpClient);
  const events: UserTokenEvent[] = [];
  TestBed.inject(UserTokenEvents).events.subscribe((e) => events.push(e));
  // Warm up as a running app would be (first requests compile Angular's code and open sockets).
  // The token already rotates, so a warm-up request may fail: only the warming matters here.
  await Promise.all(
    Array.from({ length: 20 }, () =>
      firstValueFrom(http.get('/api/now/table/sys_user?sysparm_limit=1')).catch(() => null),
    ),
  );
  events.length = 0;
  await fetch('/mock/stats/reset', { method: 'POST' });

  // Half the load creates incidents (so the server can count each exactly once), half reads.
  const perWave = REQUESTS / WAVES;
  const results: Promise<Outcome>[] = [];
  for (let wave = 0; wave < WAVES; wave++) {
    for (let i = 0; i < perWave; i++) {
      const id = `load-${wave}-${i}`;
      const result: Promise<Outcome> =
        i % 2 === 0
          ? firstValueFrom(
              http.post<{ result: { short_description: string } }>('/api/now/table/incident', {
                short_description: id,
              }),
            ).then((r) => ({
              id,
              kind: 'create',
              ok: r.result.short_description === id,
              status: 201,
            }))
          : firstValueFrom(
              http.get<{ result: { name: string }[] }>(
                `/api/now/table/sys_user?sysparm_query=user_name=abel.tuter&sysparm_fields=name&id=${id}`,
              ),
            ).then((r) => ({
              id,
              kind: 'read',
              ok: JSON.stringify(r.result) === '[{"name":"Abel Tuter"}]',
              status: 200,
            }));
      results.push(
        result.catch((e: HttpErrorResponse) => ({
          id,
          kind: i % 2 === 0 ? 'create' : 'read',
          ok: false,
          status: e.status,
        })),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, WAVE_EVERY_MS));
  }
  const outcomes = await Promise.all(results);
  const stats = await (await fetch('/mock/stats')).json();

  // Every request got a definite answer: its result, or — when every attempt met a rotation, which
  // a token rotating every 100 ms makes possible under load — the instance's 401 after one retry.
  expect(outcomes).toHaveLength(REQUESTS);
  expect(outcomes.filter((o) => !o.ok && o.status !== 401)).toEqual([]);
  const retried = events.filter((e) => e.type === 'request-retried').length;
  expect(stats.api).toBe(REQUESTS + retried);
  expect(retried).toBeLessThanOrEqual(REQUESTS);

  // Nothing lost or duplicated: each incident that was answered 201 exists exactly once on the
  // server, and each create that was refused exists not at all.
  const created = await (
    await fetch(
      '/api/now/table/incident?sysparm_query=short_descriptionSTARTSWITHload-&sysparm_fields=short_description',
      {
        headers: { Authorization: `Basic ${btoa('abel.tuter:demo')}` },
      },
    )
  ).json();
  const counts = new Map<string, number>();
  for (const { short_description: id } of created.result as { short_description: string }[]) {
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const creates = outcomes.filter((o) => o.kind === 'create');
  for (const o of creates) {
    expect([o.id, counts.get(o.id) ?? 0]).toEqual([o.id, o.ok ? 1 : 0]);
  }
  expect(counts.size).toBe(creates.filter((o) => o.ok).length);

  expect(stats.rotations).toBeGreaterThanOrEqual(20);
  expect(stats.tokenPage).toBeLessThanOrEqual(stats.rotations);
  // Most requests get through even so (the figure is in README's "Guarantees").
  expect(outcomes.filter((o) => o.ok).length).toBeGreaterThan(0);
  if (process.env['LOAD_FIGURES']) {
    console.log(
      `load: ${outcomes.filter((o) => o.ok).length} of ${REQUESTS} succeeded; ${JSON.stringify(stats)}; ${retried} retried`,
    );
  }
}, 60_000);
