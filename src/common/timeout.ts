/**
 * Bounded waits: every wait in the extension has a limit and, when it gives
 * up, says what it waited for.
 */
import type { ISignal } from '@lumino/signaling';

/**
 * What a wait that ran out of time rejects with.
 */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/**
 * `Gave up after N s on <what>.`
 */
export function gaveUp(ms: number, what: string): string {
  return `Gave up after ${Math.round(ms / 1000)} s on ${what}.`;
}

/**
 * Race `promise` against a timer of `ms`; on time-out, reject with a
 * `TimeoutError` carrying `message` (by default `gaveUp(ms, what)`). The
 * timer is cleared either way.
 */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  message = gaveUp(ms, what)
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolve once `check()` returns true, re-checking whenever one of
 * `signals` fires (never on a timer). `check()` may throw to end the wait
 * at once. Rejects with a `TimeoutError` after `ms` (message as for
 * `withTimeout`). Every connection is undone when the wait ends.
 */
export function waitUntil(
  check: () => boolean,
  signals: ReadonlyArray<ISignal<unknown, unknown>>,
  ms: number,
  what: string,
  message = gaveUp(ms, what)
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      for (const signal of signals) {
        signal.disconnect(onSignal);
      }
    };
    const onSignal = () => {
      let done: boolean;
      try {
        done = check();
      } catch (error) {
        cleanup();
        reject(error);
        return;
      }
      if (done) {
        cleanup();
        resolve();
      }
    };
    for (const signal of signals) {
      signal.connect(onSignal);
    }
    const timer = setTimeout(() => {
      cleanup();
      reject(new TimeoutError(message));
    }, ms);
    onSignal();
  });
}
