/**
 * Who waits for an outcome: called once, with `true` and the value (a token, or a yes/no), or
 * with `false` and the error its caller gets.
 */
export type Receiver<T> = (...outcome: [ok: true, value: T] | [ok: false, error: unknown]) => void;

/** Cancels a wait (the thing waited for goes on for the others). */
export type Teardown = () => void;

/** An outcome many wait for (see {@link settlement}). */
export interface Settlement<T> {
  /** Calls `receiver` with the outcome, now if it is known; the teardown stops waiting. */
  listen(receiver: Receiver<T>): Teardown;
}

/** A teardown with nothing to cancel. */
export const noop: Teardown = () => undefined;

/**
 * An outcome many wait for, delivered to each once, synchronously when it comes — what an rxjs
 * `AsyncSubject` does, in the few lines the library needs (its bundle cost is what apps pay).
 * Returns the settlement and the function that settles it (the first call wins).
 */
export function settlement<T>(): [Settlement<T>, Receiver<T>] {
  let waiting: Receiver<T>[] | null = [];
  let outcome: Parameters<Receiver<T>>;
  return [
    {
      listen(receiver) {
        if (!waiting) {
          receiver(...outcome);
          return noop;
        }
        waiting.push(receiver);
        return () => {
          waiting = waiting && waiting.filter((r) => r !== receiver);
        };
      },
    },
    (...result) => {
      if (waiting) {
        const receivers = waiting;
        waiting = null;
        outcome = result;
        receivers.forEach((receiver) => receiver(...result));
      }
    },
  ];
}
