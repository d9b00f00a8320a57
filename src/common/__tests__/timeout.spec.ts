import { Signal } from '@lumino/signaling';
import { TimeoutError, gaveUp, waitUntil, withTimeout } from '../timeout';

describe('withTimeout', () => {
  it('resolves with the promise when it is in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 1000, 'x')).resolves.toBe(7);
  });

  it('rejects naming what it waited for when time runs out', async () => {
    const never = new Promise<void>(() => undefined);
    const error = await withTimeout(never, 20, 'the restart').catch(e => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toBe('Gave up after 0 s on the restart.');
    expect(gaveUp(15_000, 'a kernel')).toBe('Gave up after 15 s on a kernel.');
  });

  it('passes the promise rejection through', async () => {
    await expect(
      withTimeout(Promise.reject(new Error('boom')), 1000, 'x')
    ).rejects.toThrow('boom');
  });
});

describe('waitUntil', () => {
  it('resolves at once when the condition holds', async () => {
    const signal = new Signal<object, void>({});
    await waitUntil(() => true, [signal], 1000, 'x');
  });

  it('re-checks when a signal fires, and disconnects afterwards', async () => {
    const owner = {};
    const signal = new Signal<object, void>(owner);
    let ready = false;
    const wait = waitUntil(() => ready, [signal], 5000, 'ready');
    ready = true;
    signal.emit();
    await wait;
    // Nothing left connected to the signal.
    let calls = 0;
    signal.connect(() => calls++);
    signal.emit();
    expect(calls).toBe(1);
    Signal.disconnectAll(owner);
  });

  it('rejects with what the check throws', async () => {
    const signal = new Signal<object, void>({});
    let dead = false;
    const wait = waitUntil(
      () => {
        if (dead) {
          throw new Error('The kernel is not running.');
        }
        return false;
      },
      [signal],
      5000,
      'x'
    );
    dead = true;
    signal.emit();
    await expect(wait).rejects.toThrow('The kernel is not running.');
  });

  it('times out with the given message, never polling', async () => {
    const signal = new Signal<object, void>({});
    let checks = 0;
    const error = await waitUntil(
      () => {
        checks++;
        return false;
      },
      [signal],
      50,
      'idle',
      'not ready'
    ).catch(e => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toBe('not ready');
    expect(checks).toBe(1);
  });
});
