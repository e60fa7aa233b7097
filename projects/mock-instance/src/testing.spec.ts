// The Jest helper, used as a user's suite uses it.
import { useMockInstance } from './testing';

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
