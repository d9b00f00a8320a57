/**
 * The gateway smoke spec, part of `make test` (about a minute and a half on
 * 2 cores): a real Jupyter Kernel Gateway on 127.0.0.1 (a free port), a real
 * Jupyter server with `--gateway-url` to it, a real ipykernel with torch in
 * the gateway. The probe through the gateway, a handful of new kernels each
 * usable within 10 s (in-place restarts too with DEVICE_BENCH_GATEWAY_RESTARTS=1), a two-device quick run (a new kernel
 * through the gateway for each device), and a kernel killed in the gateway
 * recorded as `failed`; and no rejection left unhandled on the way (the one
 * JupyterLab can leave after a reconnection, docs/gateway.md). The full
 * suite is `make test-gateway` (gateway.integration.spec.ts).
 */
import { SessionContext } from '@jupyterlab/apputils';
import { ServerConnection, ServiceManager } from '@jupyterlab/services';
import { JupyterServer } from '@jupyterlab/testing';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import {
  figures,
  GATEWAY_WS,
  gatewaySocket,
  startGateway,
  type IGateway
} from '../../__tests__/gateway';
import {
  closeNotebook,
  openNotebook,
  savedRuns
} from '../../__tests__/notebook';
import { KERNEL, startServer, waitFor } from '../../__tests__/server';
import { SMALL_RUN } from '../../__tests__/smallRun';
import { BenchmarkDriver, replaceKernel } from '../../benchmark/driver';
import { withTimeout } from '../../common/timeout';
import { kernelInfoReply } from '../../common/reply';
import { ensureUsable } from '../../common/usable';
import { DevicePanelModel } from '../../panel/model';
import { DeviceProbeService } from '../service';

/**
 * What the issue asks of every restart or new kernel through the gateway.
 */
const USABLE_MS = 10_000;

/**
 * Restarts and new kernels in a row (the full suite does 20).
 */
const STEPS = 5;

describe('kernels behind a Jupyter Kernel Gateway (smoke)', () => {
  const server = new JupyterServer();
  let gateway: IGateway;
  let manager: ServiceManager.IManager;
  // Every rejection left unhandled while a test runs: each test ends with
  // none.
  const unhandled: string[] = [];
  const onUnhandled = (reason: unknown) => {
    unhandled.push(String((reason as Error)?.message ?? reason));
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    gateway = await startGateway();
    await startServer(server, {}, { gatewayUrl: gateway.url });
    manager = new ServiceManager({
      serverSettings: ServerConnection.makeSettings({
        WebSocket: gatewaySocket()
      }),
      standby: 'never'
    });
    console.log(`gateway specs: ${GATEWAY_WS} websockets`);
    await manager.ready;
  }, 180_000);

  afterEach(() => {
    const seen = unhandled.splice(0);
    expect(seen).toEqual([]);
  });

  afterAll(async () => {
    manager?.dispose();
    await server.shutdown();
    if (gateway && process.env.DEVICE_BENCH_GATEWAY_LOG) {
      // The gateway's own log, for a failure to be looked into.
      writeFileSync(process.env.DEVICE_BENCH_GATEWAY_LOG, gateway.log());
    }
    await gateway?.stop();
    process.off('unhandledRejection', onUnhandled);
  });

  it('probes a kernel that runs in the gateway', async () => {
    const panel = await openNotebook(manager, 'gws-probe.ipynb');
    const probe = new DeviceProbeService();
    const model = new DevicePanelModel(probe);
    try {
      model.setSession(panel.sessionContext, true);
      model.setActive(true);
      await waitFor(
        () => model.state === 'ready',
        'the panel to be ready',
        60_000
      );
      expect(model.report?.torch.installed).toBe(true);
      expect(model.report?.devices.map(d => d.id)).toContain('cpu');
      const listed = (await (
        await fetch(`${gateway.url}/api/kernels`)
      ).json()) as { id: string }[];
      expect(listed.map(k => k.id)).toContain(
        panel.sessionContext.session!.kernel!.id
      );
    } finally {
      model.dispose();
      probe.dispose();
      await closeNotebook(panel);
    }
  }, 120_000);

  it(`${STEPS} new kernels in a row each reach a usable kernel within 10 s`, async () => {
    const context = new SessionContext({
      sessionManager: manager.sessions,
      specsManager: manager.kernelspecs,
      path: 'gws-restarts.ipynb',
      type: 'notebook',
      kernelPreference: { name: KERNEL }
    });
    const times: number[] = [];
    const lines: string[] = [];
    try {
      await context.initialize();
      await context.ready;
      await ensureUsable(context.session!.kernel!, 60_000);
      for (let i = 0; i < STEPS; i++) {
        // In-place restarts alternate with new kernels in the full suite
        // only: after JupyterLab's own restart through the gateway, a
        // connection that answered once can go deaf again (1 run in 5 here
        // with a core busy; docs/gateway.md, not fixed yet). The product's
        // own ways to a fresh kernel (the driver's devices, the panel's
        // Restart and check again) take a new kernel, as here.
        const how = process.env.DEVICE_BENCH_GATEWAY_RESTARTS
          ? i % 2 === 0
            ? 'restart'
            : 'new kernel'
          : 'new kernel';
        const started = performance.now();
        let reconnects = 0;
        if (how === 'restart') {
          // JupyterLab's own restart, as the toolbar's button does it.
          // Bounded: a restart whose websocket never opens must fail
          // this test, not hang it.
          await withTimeout(context.restartKernel(), USABLE_MS, 'the restart');
          reconnects = (await ensureUsable(context.session!.kernel!, USABLE_MS))
            .reconnects;
        } else {
          // The driver's way to a fresh kernel for each device.
          await replaceKernel(context, KERNEL, USABLE_MS);
        }
        const ms = performance.now() - started;
        // Usable means a reply on this connection, whatever the status says.
        // (The reply, not `done`: see src/common/reply.ts.)
        const info = await kernelInfoReply(
          context.session!.kernel!,
          USABLE_MS,
          'a kernel_info reply after the kernel was usable'
        );
        expect(info?.content.status).toBe('ok');
        times.push(ms);
        lines.push(
          `${i + 1} ${how.padEnd(10)} ${(ms / 1000).toFixed(2)} s` +
            (reconnects ? ` (${reconnects} reconnection(s))` : '')
        );
      }
    } finally {
      console.log(
        `gateway smoke: ${times.length} restarts/new kernels usable: ${figures(times)}\n${lines.join('\n')}`
      );
      await context.shutdown();
      context.dispose();
    }
    expect(times).toHaveLength(STEPS);
    expect(Math.max(...times)).toBeLessThan(USABLE_MS);
  }, 180_000);

  it('records a two-device quick run, each device on a new kernel', async () => {
    const name = 'gws-run.ipynb';
    const panel = await openNotebook(manager, name);
    const driver = new BenchmarkDriver();
    const started = performance.now();
    try {
      const records = await driver.run(panel, {
        devices: ['cpu', 'cpu'],
        profile: 'quick',
        params: SMALL_RUN,
        machineLabel: 'gateway'
      });
      console.log(
        `gateway smoke: 2-device quick run in ${((performance.now() - started) / 1000).toFixed(1)} s`
      );
      expect(records.map(r => [r.status, r.error])).toEqual([
        ['ok', null],
        ['ok', null]
      ]);
      const saved = await savedRuns(manager, name);
      expect(saved.map(r => r.id)).toEqual(records.map(r => r.id));
    } finally {
      driver.dispose();
      await closeNotebook(panel);
    }
  }, 300_000);

  it('records a device whose kernel is killed in the gateway as failed', async () => {
    const name = 'gws-kill.ipynb';
    const panel = await openNotebook(manager, name);
    const driver = new BenchmarkDriver();
    let killed = false;
    driver.changed.connect((_, event) => {
      if (!killed && event.index === 0 && event.progress) {
        killed = true;
        // SIGKILL the kernel's process in the gateway, as the OOM killer
        // would: its connection file names its id.
        execFileSync('pkill', [
          '-KILL',
          '-f',
          `kernel-${panel.sessionContext.session!.kernel!.id}`
        ]);
      }
    });
    try {
      const records = await driver.run(panel, {
        devices: ['cpu', 'cpu'],
        profile: 'quick',
        params: { ...SMALL_RUN, epochs: 2, repeat_to: 4096 },
        machineLabel: 'gateway'
      });
      expect(killed).toBe(true);
      expect(records.map(r => r.status)).toEqual(['failed', 'ok']);
      expect(String(records[0].error)).toMatch(/kernel died/);
      expect((await savedRuns(manager, name)).map(r => r.status)).toEqual([
        'failed',
        'ok'
      ]);
    } finally {
      driver.dispose();
      await closeNotebook(panel);
    }
  }, 300_000);
});
