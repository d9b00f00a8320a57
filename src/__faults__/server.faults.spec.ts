/**
 * Fault: the Jupyter server restarted mid-run (stopped, which shuts its
 * kernels down, and started again on the same port, token and folder, as a
 * service restart or a JupyterHub single-user server restart does).
 *
 * The records of the devices that ended must still be on disk with valid
 * metadata; the device that was running must have a record (failed, or its
 * `running` marker, which reads as interrupted): never a silent gap; the
 * run must end, and the next device must run on the restarted server.
 */
import { PageConfig } from '@jupyterlab/coreutils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import { type PartialJSONObject, UUID } from '@lumino/coreutils';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BenchmarkDriver, RecordNotSavedError } from '../benchmark/driver';
import { closeNotebook, openNotebook, savedRuns } from '../__tests__/notebook';
import { freePort } from '../__tests__/server';
import { SMALL_RUN } from '../__tests__/smallRun';
import {
  countUncaught,
  diskState,
  expectNothingLost,
  useServer
} from './table';

const TRIES = 3;

describe('fault: the Jupyter server restarts mid-run', () => {
  let port: number | undefined;
  const token = UUID.uuid4();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'device-bench-restart-'));
  // The same server every time: port, token and folder; JupyterServer makes
  // a token of its own each start, ours stays.
  const served = useServer({
    serverApp: async () => ({
      port: (port ??= await freePort()),
      token,
      root_dir: root
    }),
    started: () => PageConfig.setOption('token', token)
  });

  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it(`keeps every record over ${TRIES} server restarts, and the next device runs`, async () => {
    const name = 'fault-server-restart.ipynb';
    const panel: NotebookPanel = await openNotebook(served.manager, name);
    const uncaught = countUncaught();
    const driver = new BenchmarkDriver({ contents: served.manager.contents });
    const restartMs: number[] = [];
    let restarts = 0;
    let restarting: Promise<void> | null = null;
    driver.changed.connect((_, event) => {
      // Devices 1, 3, 5, ...: the server goes away while they train.
      if (
        event.index % 2 === 1 &&
        event.index < 2 * TRIES &&
        event.phase === 'running' &&
        event.progress &&
        restarts === (event.index - 1) / 2
      ) {
        restarts++;
        const began = performance.now();
        restarting = served.restart().then(() => {
          restartMs.push(performance.now() - began);
        });
      }
    });
    const records: PartialJSONObject[] = [];
    driver.changed.connect((_, event) => {
      if (event.phase === 'recorded') {
        records.push(event.record!);
      }
    });
    let lost = 0;
    let invalid = 0;
    let notSaved: RecordNotSavedError | null = null;
    try {
      await driver
        .run(panel, {
          devices: Array(2 * TRIES + 1).fill('cpu'),
          profile: 'quick',
          params: { ...SMALL_RUN, epochs: 4, repeat_to: 8192 },
          machineLabel: 'fault suite'
        })
        .catch(error => {
          if (!(error instanceof RecordNotSavedError)) {
            throw error;
          }
          notSaved = error;
        });
      await restarting;
      // A record the server was not there to take is a lost one too.
      const state = await diskState(served.manager, name, records);
      lost = state.lost;
      invalid = state.invalid;
      const saved = await savedRuns(served.manager, name);
      const errors = uncaught();
      expectNothingLost({
        fault: 'Jupyter server restarted mid-run',
        tries: restarts,
        lost,
        invalid,
        uncaught: errors,
        notes:
          (notSaved ? `run stopped: ${(notSaved as Error).message}; ` : '') +
          `records ${records.map(r => r.status).join(', ')}; ` +
          `on disk ${saved.map(r => r.status).join(', ')}; ` +
          `server back in ${restartMs.map(ms => (ms / 1000).toFixed(1)).join(', ')} s`
      });
      expect(restarts).toBe(TRIES);
      // Every device that started has a record on disk: ok, failed, or its
      // marker (read as interrupted).
      expect(saved.length).toBe(2 * TRIES + 1);
      for (let i = 0; i < 2 * TRIES; i += 2) {
        expect(saved[i].status).toBe('ok');
      }
      for (let i = 1; i < 2 * TRIES; i += 2) {
        expect(['failed', 'running', 'interrupted']).toContain(saved[i].status);
      }
      expect(saved[2 * TRIES].status).toBe('ok');
    } finally {
      uncaught();
      driver.dispose();
      await closeNotebook(panel);
    }
  }, 900_000);
});
