/**
 * The probe against a real Jupyter server and a real ipykernel with torch.
 *
 * `python` on PATH must be the project's venv (with torch); `make test`
 * puts `.venv/bin` first on PATH.
 */
import { SessionContext } from '@jupyterlab/apputils';
import {
  type Kernel,
  KernelManager,
  KernelSpecManager,
  type KernelMessage,
  SessionManager
} from '@jupyterlab/services';
import { JupyterServer } from '@jupyterlab/testing';
import { KERNEL, startServer, waitFor } from '../../__tests__/server';
import { kernelInfoReply } from '../../common/reply';
import { DevicePanelModel, type PanelState } from '../../panel/model';
import type { IDeviceProbe, ProbeOutcome } from '../../tokens';
import { DeviceProbeService } from '../service';

/**
 * Run code visibly (like a user's cell) and return the reply content.
 */
async function run(
  kernel: Kernel.IKernelConnection,
  code: string
): Promise<KernelMessage.IExecuteReplyMsg['content']> {
  const future = kernel.requestExecute({ code });
  try {
    const reply = await future.done;
    return reply.content;
  } finally {
    future.dispose();
  }
}

/**
 * Evaluate expressions silently and return their text/plain values.
 */
async function ask(
  kernel: Kernel.IKernelConnection,
  expressions: Record<string, string>
): Promise<Record<string, string>> {
  const future = kernel.requestExecute({
    code: '',
    silent: true,
    store_history: false,
    user_expressions: expressions
  });
  try {
    const reply = await future.done;
    const content =
      reply.content as KernelMessage.IExecuteReplyMsg['content'] & {
        user_expressions: Record<
          string,
          { status: string; data: Record<string, string> }
        >;
      };
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(content.user_expressions)) {
      expect(value.status).toBe('ok');
      out[key] = value.data['text/plain'];
    }
    return out;
  } finally {
    future.dispose();
  }
}

function ready(outcome: ProbeOutcome) {
  if (outcome.kind !== 'ready') {
    throw new Error(`expected a report, got ${JSON.stringify(outcome)}`);
  }
  return outcome.report;
}

describe('kernel probe against a real kernel', () => {
  const server = new JupyterServer();
  let kernels: KernelManager;
  let kernel: Kernel.IKernelConnection;

  beforeAll(async () => {
    await startServer(server);
    kernels = new KernelManager();
    await kernels.ready;
    kernel = await kernels.startNew({ name: KERNEL });
    await kernel.info;
  }, 180_000);

  afterAll(async () => {
    kernels?.dispose();
    await server.shutdown();
  });

  it('answers what the kernel says when asked directly', async () => {
    const service = new DeviceProbeService();
    const report = ready(await service.probe(kernel));
    const direct = await ask(kernel, {
      version: '__import__("torch").__version__',
      cuda: '__import__("torch").cuda.is_available()',
      build: 'repr(__import__("torch").version.cuda)',
      threads: '__import__("torch").get_num_threads()',
      mps: '__import__("torch").backends.mps.is_available()'
    });
    expect(report.torch.installed).toBe(true);
    expect(`'${report.torch.version}'`).toBe(direct.version);
    expect(String(report.cuda.available)).toBe(
      direct.cuda === 'True' ? 'true' : 'false'
    );
    expect(
      report.torch.cuda_build === null
        ? "'None'"
        : `'${report.torch.cuda_build}'`
    ).toBe(direct.build);
    expect(String(report.torch.num_threads)).toBe(direct.threads);
    expect(String(report.mps.available)).toBe(
      direct.mps === 'True' ? 'true' : 'false'
    );
    // This machine has no accelerator: the CPU is listed and recommended.
    expect(report.devices.map(d => d.id)).toContain('cpu');
    expect(report.recommended).toBe(direct.cuda === 'True' ? 'cuda:0' : 'cpu');
    service.dispose();
  });

  it('leaves no trace: execution count and namespace unchanged, no output', async () => {
    const service = new DeviceProbeService();
    const before = await run(kernel, 'device_bench_marker = 1');
    const names = { names: 'sorted(get_ipython().user_ns)' };
    const namesBefore = (await ask(kernel, names)).names;
    const outputs: string[] = [];
    const onIOPub = (
      _: Kernel.IKernelConnection,
      msg: KernelMessage.IIOPubMessage
    ) => {
      if (msg.header.msg_type !== 'status') {
        outputs.push(msg.header.msg_type);
      }
    };
    kernel.iopubMessage.connect(onIOPub);
    ready(await service.probe(kernel, { force: true }));
    kernel.iopubMessage.disconnect(onIOPub);
    const namesAfter = (await ask(kernel, names)).names;
    const after = await run(kernel, 'pass');
    expect(outputs).toEqual([]);
    expect(namesAfter).toBe(namesBefore);
    expect(namesBefore).toContain("'device_bench_marker'");
    expect(after.execution_count).toBe((before.execution_count as number) + 1);
    expect(namesAfter).not.toContain("'torch'");
    service.dispose();
  });

  it('caches by kernel id and shares concurrent requests', async () => {
    const service = new DeviceProbeService();
    const emitted: string[] = [];
    service.probed.connect((_, args) => emitted.push(args.kernelId));
    const [a, b] = await Promise.all([
      service.probe(kernel),
      service.probe(kernel)
    ]);
    expect(a).toBe(b);
    expect(service.cached(kernel.id)).toBe(a);
    expect(await service.probe(kernel)).toBe(a);
    expect(emitted).toEqual([kernel.id]);
    service.dispose();
  });

  it('drops a late reply for a kernel that was invalidated meanwhile', async () => {
    const service = new DeviceProbeService();
    const emitted: ProbeOutcome[] = [];
    service.probed.connect((_, args) => emitted.push(args.outcome));
    const pending = service.probe(kernel);
    service.invalidate(kernel.id); // e.g. the kernel restarted
    const outcome = await pending;
    expect(outcome.kind).toBe('ready');
    expect(service.cached(kernel.id)).toBeUndefined();
    expect(emitted).toEqual([]);
    service.dispose();
  });

  it('times out with a clear message, and a retry works', async () => {
    const service = new DeviceProbeService();
    // The probe's clock starts once the kernel works on it, so a busy kernel
    // would not do: the next request with user expressions (the probe) is
    // made to take 2.5 s in the kernel, ten times the timeout, whatever the
    // load. The kernel's own method is back for every request after it.
    const stall = await run(
      kernel,
      [
        'def _device_bench_stall():',
        '    import time',
        '    shell = get_ipython()',
        '    plain = shell.user_expressions',
        '    def stalled(expressions):',
        '        if expressions:',
        '            del shell.user_expressions',
        '            time.sleep(2.5)',
        '        return plain(expressions)',
        '    shell.user_expressions = stalled',
        '_device_bench_stall()',
        'del _device_bench_stall'
      ].join('\n')
    );
    expect(stall.status).toBe('ok');
    const outcome = await service.probe(kernel, {
      force: true,
      timeoutMs: 250
    });
    expect(outcome).toMatchObject({ kind: 'error', reason: 'timeout' });
    expect((outcome as { message: string }).message).toMatch(/did not answer/);
    expect(service.cached(kernel.id)).toBeUndefined();
    expect((await service.probe(kernel)).kind).toBe('ready');
    service.dispose();
  });

  it('answers a connection made while a long cell runs, without timing out', async () => {
    const service = new DeviceProbeService();
    // The cell runs twice as long as the probe's timeout, which leaves the
    // probe 3 s to answer once the cell ends (it takes well under 1 s).
    const sleeper = kernel.requestExecute({
      code: 'import time; time.sleep(6)'
    });
    await waitFor(() => kernel.status === 'busy', 'the long cell to start');
    // As when the page loads during a long cell: this connection's
    // kernel_info is answered only once the cell ends.
    const late = kernels.connectTo({ model: kernel.model });
    try {
      const outcome = await service.probe(late, { timeoutMs: 3000 });
      await sleeper.done;
      expect(outcome.kind).toBe('ready');
    } finally {
      sleeper.dispose();
      late.dispose();
      service.dispose();
    }
  });

  it('forgets a kernel restarted by someone else, and one that is gone', async () => {
    const service = new DeviceProbeService();
    const other = kernels.connectTo({ model: kernel.model });
    try {
      expect((await service.probe(other)).kind).toBe('ready');
      expect(service.cached(other.id)?.kind).toBe('ready');
      // Restarted through another connection (the running-kernels list, say).
      // This connection may hear the new process say 'starting', but that
      // message can be lost (published before the server's IOPub
      // subscription reached the new process); the service also knows the
      // new process by the session id of the next reply on this connection,
      // as when the user next runs a cell here. Its reply, not `done`:
      // the request's idle on IOPub can be lost on this connection right
      // after a restart elsewhere (src/common/reply.ts; 1 in 12 under load).
      await kernel.restart();
      const reply = await kernelInfoReply(
        other,
        60_000,
        'the restarted kernel to answer the other connection'
      );
      expect(reply?.header.session).toBeTruthy();
      expect(service.cached(other.id)).toBeUndefined();
      expect((await service.probe(other)).kind).toBe('ready');
      expect(service.size).toBe(1);
      other.dispose();
      expect(service.cached(kernel.id)).toBeUndefined();
      expect(service.size).toBe(0);
    } finally {
      other.dispose();
      service.dispose();
    }
  });

  it('recognises a non-Python kernel without executing anything', async () => {
    const service = new DeviceProbeService();
    const echo = await kernels.startNew({ name: 'echo' });
    try {
      const executed: string[] = [];
      echo.anyMessage.connect((_, args) => {
        if (
          args.direction === 'send' &&
          args.msg.header.msg_type === 'execute_request'
        ) {
          executed.push(args.msg.header.msg_id);
        }
      });
      const outcome = await service.probe(echo);
      expect(outcome).toEqual({ kind: 'not-python', language: 'echo' });
      expect(executed).toEqual([]);
    } finally {
      await echo.shutdown();
      service.dispose();
    }
  });

  it('panel model: waits for a busy kernel, then follows a restart', async () => {
    const sessions = new SessionManager({ kernelManager: kernels });
    const specs = new KernelSpecManager();
    await Promise.all([sessions.ready, specs.ready]);
    const context = new SessionContext({
      sessionManager: sessions,
      specsManager: specs,
      path: 'device-bench-model.ipynb',
      type: 'notebook',
      kernelPreference: { name: KERNEL }
    });
    const probe: IDeviceProbe = new DeviceProbeService();
    const model = new DevicePanelModel(probe);
    const states: PanelState[] = [];
    model.stateChanged.connect(() => states.push(model.state));
    try {
      await context.initialize();
      await context.ready;
      const sessionKernel = context.session!.kernel!;
      await sessionKernel.info;
      // While the panel is hidden, nothing is asked of the kernel.
      const executed: string[] = [];
      const count = (_: unknown, args: Kernel.IAnyMessageArgs) => {
        if (
          args.direction === 'send' &&
          args.msg.header.msg_type === 'execute_request'
        ) {
          executed.push(args.msg.header.msg_id);
        }
      };
      sessionKernel.anyMessage.connect(count);
      model.setSession(context, true);
      await new Promise(resolve => setTimeout(resolve, 1000));
      expect(executed).toEqual([]);
      expect(model.report).toBeNull();
      model.setActive(true);
      await waitFor(
        () => model.state === 'ready',
        'the shown panel to probe the kernel'
      );
      expect(executed).toHaveLength(1);
      sessionKernel.anyMessage.disconnect(count);
      model.setSession(null);
      probe.invalidate(sessionKernel.id);

      // A long cell is running when the panel starts following the kernel.
      const cell = sessionKernel.requestExecute({
        code: 'import time; time.sleep(2)'
      });
      await waitFor(
        () => sessionKernel.status === 'busy',
        'the long cell to start'
      );
      model.setSession(context, true);
      expect(model.state).toBe('waiting');
      await cell.done;
      cell.dispose();
      await waitFor(
        () => model.state === 'ready',
        'the panel to probe once the long cell ended'
      );
      expect(model.report?.torch.installed).toBe(true);

      states.length = 0;
      await context.restartKernel();
      await waitFor(
        () => model.state === 'ready' && states.includes('starting'),
        'the panel to follow the restart and probe again'
      );
      expect(states[0]).toBe('starting');
      expect(probe.cached(sessionKernel.id)?.kind).toBe('ready');

      // A reply that arrives after the panel moved on is dropped.
      const late = model.refresh(true);
      model.setSession(null);
      await late;
      expect(model.state).toBe('no-kernel');
      expect(model.report).toBeNull();
    } finally {
      model.dispose();
      probe.dispose();
      await context.shutdown();
      context.dispose();
      sessions.dispose();
      specs.dispose();
    }
  });
});
