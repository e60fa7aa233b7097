import { Readable } from 'node:stream';

import { BodyBudget } from './body';

const chunks = (...sizes: number[]) => Readable.from(sizes.map((n) => Buffer.alloc(n, 1)));

describe('bodies held for a replay', () => {
  it('holds a body until it is released', async () => {
    const budget = new BodyBudget(100, 1000);
    const read = await budget.read(chunks(40, 60));
    expect(read.kind).toBe('body');
    expect(budget.inUse).toBe(100);
    if (read.kind === 'body') {
      expect(read.body.length).toBe(100);
      read.release();
      read.release(); // twice is once
    }
    expect(budget.inUse).toBe(0);
  });

  it('refuses a body past its limit, reading the rest to its end', async () => {
    const budget = new BodyBudget(100, 1000);
    const stream = chunks(60, 60, 30);
    expect(await budget.read(stream)).toEqual({ kind: 'too-large', drained: true });
    expect(stream.readableEnded).toBe(true);
    expect(budget.inUse).toBe(0);
  });

  it('stops reading a body that goes on long past its limit', async () => {
    const budget = new BodyBudget(100, 1000);
    expect(await budget.read(chunks(...Array<number>(10).fill(60)))).toEqual({
      kind: 'too-large',
      drained: false,
    });
    expect(budget.inUse).toBe(0);
  });

  it('refuses a body that would pass the budget shared by all bodies held at once', async () => {
    const budget = new BodyBudget(100, 150);
    const first = await budget.read(chunks(100));
    expect(await budget.read(chunks(60))).toEqual({ kind: 'busy', drained: true });
    expect(budget.inUse).toBe(100);
    if (first.kind === 'body') {
      first.release();
    }
    expect((await budget.read(chunks(60))).kind).toBe('body');
  });

  it('lets go of what it held when the client goes away mid-body', async () => {
    const budget = new BodyBudget(100, 1000);
    const stream = new Readable({ read() {} });
    const read = budget.read(stream);
    stream.push(Buffer.alloc(50));
    await new Promise((resolve) => setImmediate(resolve));
    expect(budget.inUse).toBe(50);
    stream.destroy();
    await expect(read).rejects.toThrow(/closed the connection/);
    expect(budget.inUse).toBe(0);
  });
});
