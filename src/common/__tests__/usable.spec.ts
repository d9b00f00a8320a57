/**
 * ensureUsable's rules on a fake kernel connection (the real one behind a
 * Kernel Gateway: src/kernel/__tests__/gateway.integration.spec.ts).
 */
import type { Kernel } from '@jupyterlab/services';
import { Signal } from '@lumino/signaling';
import { TimeoutError } from '../timeout';
import { ensureUsable } from '../usable';

/**
 * A connection that answers kernel_info only after `deafUntil`
 * reconnections (a deaf websocket), then says idle.
 */
class FakeKernel {
  constructor(
    readonly deafUntil: number,
    readonly idleLost = false
  ) {}
  status: Kernel.Status = 'starting';
  connectionStatus: Kernel.ConnectionStatus = 'connected';
  isDisposed = false;
  reconnects = 0;
  requests = 0;
  statusChanged = new Signal<this, Kernel.Status>(this);
  connectionStatusChanged = new Signal<this, Kernel.ConnectionStatus>(this);

  username = 'fake';
  clientId = 'fake-client';
  disposed = 0;

  /**
   * A kernel_info request's future: it never settles while deaf; else
   * its reply comes, then the status says idle.
   */
  sendShellMessage(msg: { header: { msg_type: string } }) {
    expect(msg.header.msg_type).toBe('kernel_info_request');
    this.requests++;
    const reply = { content: { status: 'ok' } };
    const deaf = this.reconnects < this.deafUntil;
    if (!deaf) {
      setTimeout(() => {
        this.status = 'idle';
        this.statusChanged.emit('idle');
      }, 1);
    }
    const future = {
      onReply: undefined as ((reply: unknown) => void) | undefined,
      done:
        deaf || this.idleLost
          ? new Promise(() => undefined)
          : Promise.resolve(reply),
      dispose: () => {
        this.disposed++;
      }
    };
    if (!deaf && this.idleLost) {
      // The reply comes; its idle on IOPub never does, so `done` would
      // never settle.
      setTimeout(() => future.onReply?.(reply), 1);
    }
    return future;
  }

  reconnect(): Promise<void> {
    this.reconnects++;
    this.connectionStatus = 'connecting';
    this.connectionStatusChanged.emit('connecting');
    return new Promise(resolve =>
      setTimeout(() => {
        this.connectionStatus = 'connected';
        this.connectionStatusChanged.emit('connected');
        resolve();
      }, 1)
    );
  }
}

/**
 * A pending kernel_info future as JupyterLab keeps it in the connection's
 * private `_futures`; `settle()` ends it as its reply and idle would.
 */
function pendingFuture(id: string) {
  let settle = () => undefined as void;
  const future = {
    msg: {
      channel: 'shell',
      header: { msg_id: id, msg_type: 'kernel_info_request' }
    },
    isDisposed: false,
    done: new Promise<void>(resolve => {
      settle = () => {
        future.isDisposed = true;
        resolve();
      };
    }),
    settle: () => settle()
  };
  return future;
}

/**
 * A kernel that answers, with JupyterLab's private `_futures` holding
 * requests sent before ensureUsable's, and `_sendMessage` recording what is
 * sent again (a request sent again is answered at once).
 */
class FakeWithPending extends FakeKernel {
  readonly _futures: Map<string, ReturnType<typeof pendingFuture>>;
  readonly sentAgain: string[] = [];
  constructor(pending: ReturnType<typeof pendingFuture>[]) {
    super(0);
    this._futures = new Map(
      pending.map(future => [future.msg.header.msg_id, future])
    );
  }
  _sendMessage(msg: { header: { msg_id: string } }) {
    this.sentAgain.push(msg.header.msg_id);
    setTimeout(() => this._futures.get(msg.header.msg_id)?.settle(), 1);
  }
}

const asKernel = (fake: FakeKernel) =>
  fake as unknown as Kernel.IKernelConnection;

describe('ensureUsable', () => {
  it('resolves at once for a kernel that answers', async () => {
    const fake = new FakeKernel(0);
    const result = await ensureUsable(asKernel(fake), 5000, { infoMs: 50 });
    expect(result.reconnects).toBe(0);
    expect(fake.requests).toBe(1);
    expect(fake.status).toBe('idle');
  });

  it('counts the reply alone when its idle status is lost', async () => {
    const fake = new FakeKernel(0, true);
    const result = await ensureUsable(asKernel(fake), 5000, { infoMs: 200 });
    expect(result.reconnects).toBe(0);
    expect(fake.requests).toBe(1);
    expect(fake.disposed).toBe(1);
  });

  it('sends again only a pending kernel_info that does not settle by itself', async () => {
    // `onTheWay` gets its idle 20 ms after ensureUsable's answer; `lost`
    // never would (sent on a deaf websocket, or its idle lost).
    const onTheWay = pendingFuture('on-the-way');
    const lost = pendingFuture('lost');
    const fake = new FakeWithPending([onTheWay, lost]);
    fake.statusChanged.connect((_, status) => {
      if (status === 'idle') {
        setTimeout(() => onTheWay.settle(), 20);
      }
    });
    const result = await ensureUsable(asKernel(fake), 5000, { infoMs: 200 });
    expect(result.resent).toBe(1);
    expect(fake.sentAgain).toEqual(['lost']);
    expect(lost.isDisposed).toBe(true);
  });

  it('sends nothing again when no request is pending', async () => {
    const fake = new FakeWithPending([]);
    const result = await ensureUsable(asKernel(fake), 5000, { infoMs: 200 });
    expect(result.resent).toBe(0);
    expect(fake.sentAgain).toEqual([]);
  });

  it('reconnects a deaf connection until the kernel answers', async () => {
    const fake = new FakeKernel(2);
    const result = await ensureUsable(asKernel(fake), 5000, { infoMs: 20 });
    expect(result.reconnects).toBe(2);
    expect(fake.reconnects).toBe(2);
    expect(fake.requests).toBe(3);
    // The deaf tries' futures are not left pending on the connection.
    expect(fake.disposed).toBe(3);
  });

  it('gives up with a TimeoutError naming what it waited for', async () => {
    const fake = new FakeKernel(Infinity);
    const error = await ensureUsable(asKernel(fake), 200, {
      infoMs: 20,
      what: 'the test kernel'
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(String((error as Error).message)).toMatch(/the test kernel/);
    expect(fake.reconnects).toBeGreaterThan(0);
  });

  it('ends at once when the caller says so, or the kernel is dead', async () => {
    const fake = new FakeKernel(Infinity);
    await expect(
      ensureUsable(asKernel(fake), 5000, {
        infoMs: 20,
        check: () => {
          if (fake.reconnects > 0) {
            throw new Error('Cancelled.');
          }
        }
      })
    ).rejects.toThrow('Cancelled.');
    const dead = new FakeKernel(0);
    dead.status = 'dead';
    await expect(ensureUsable(asKernel(dead), 5000)).rejects.toThrow(
      'The kernel is not running.'
    );
    expect(dead.requests).toBe(0);
  });
});
