// The Jest helper, used as a user's suite uses it.
import { logIn, useMockInstance } from './testing';

const instance = useMockInstance();
const denied = () =>
  fetch(`${instance().url}/api/now/table/incident`, { headers: { Cookie: 'JSESSIONID=x' } });

describe('useMockInstance', () => {
  it('gives the suite an instance with its control API', async () => {
    expect((await denied()).status).toBe(401);
    expect((await instance().control.stats()).unauthorized).toBe(1);
    await instance().control.configure({ challenge: 'never' });
  });

  it('puts it back as it started before each test', async () => {
    expect((await instance().control.stats()).unauthorized).toBe(0);
    expect(instance().config.challenge).toBe('missing-token');
  });
});

describe('logIn', () => {
  it("gives a user's session (cookie and token) whose fetch passes the CSRF check, until the token rotates", async () => {
    const abel = await logIn(instance().url, 'abel.tuter', 'demo');
    expect(abel.cookie).toMatch(/^JSESSIONID=\w+$/);
    expect(abel.token).toMatch(/^[0-9a-f]{64}$/);
    const list = await abel.fetch('/api/now/table/incident?sysparm_limit=1');
    expect(list.status).toBe(200);
    expect(((await list.json()) as { result: unknown[] }).result).toHaveLength(1);
    // The instance's own URL form, with or without the trailing slash, and a path without one.
    const again = await logIn(`${instance().url}/`);
    expect((await again.fetch('api/now/table/incident?sysparm_limit=1')).status).toBe(200);

    await instance().control.rotateToken('abel.tuter');
    expect((await abel.fetch('/api/now/table/incident?sysparm_limit=1')).status).toBe(401);
  });

  it('names the user whose password the instance refused', async () => {
    await expect(logIn(instance().url, 'abel.tuter', 'wrong')).rejects.toThrow(
      'the mock instance refused the login of "abel.tuter" (wrong password?)',
    );
  });
});

describe('misuse', () => {
  it('says where the getter works when called before the suite started it', () => {
    const idle = () => undefined;
    const early = useMockInstance({ hooks: { beforeAll: idle, afterAll: idle, beforeEach: idle } });
    expect(() => early()).toThrow(/runs only inside the suite: call the getter in a test/);
  });

  it('says what it needs when the runner has no global hooks', () => {
    const g = globalThis as { beforeAll?: unknown };
    const saved = g.beforeAll;
    delete g.beforeAll;
    try {
      expect(() => useMockInstance()).toThrow(/needs beforeAll, afterAll and beforeEach/);
    } finally {
      g.beforeAll = saved;
    }
  });
});
