import { noop, settlement } from './settlement';

describe('settlement', () => {
  it('hands each waiter the outcome once, in the order they came, synchronously when it settles', () => {
    const [outcome, settle] = settlement<string>();
    const seen: string[] = [];
    outcome.listen((ok, value) => seen.push(`a:${ok}:${String(value)}`));
    outcome.listen((ok, value) => seen.push(`b:${ok}:${String(value)}`));
    expect(seen).toEqual([]);
    settle(true, 'tok');
    expect(seen).toEqual(['a:true:tok', 'b:true:tok']);
    settle(true, 'again');
    settle(false, new Error('late'));
    expect(seen).toEqual(['a:true:tok', 'b:true:tok']);
  });

  it('answers a waiter that comes after the outcome at once, with the same outcome', () => {
    const [outcome, settle] = settlement<string>();
    const error = new Error('refused');
    settle(false, error);
    const seen: unknown[] = [];
    const teardown = outcome.listen((ok, value) => seen.push(ok, value));
    expect(seen).toEqual([false, error]);
    expect(teardown).toBe(noop);
  });

  it('lets a waiter stop waiting without touching the others', () => {
    const [outcome, settle] = settlement<number>();
    const seen: string[] = [];
    const stopA = outcome.listen(() => seen.push('a'));
    outcome.listen(() => seen.push('b'));
    stopA();
    stopA();
    settle(true, 1);
    expect(seen).toEqual(['b']);
  });

  it('delivers to the waiters of the moment it settles, not to one a receiver adds meanwhile twice', () => {
    const [outcome, settle] = settlement<number>();
    const seen: string[] = [];
    outcome.listen(() => {
      seen.push('first');
      outcome.listen(() => seen.push('added during delivery'));
    });
    settle(true, 7);
    expect(seen).toEqual(['first', 'added during delivery']);
  });
});
