/**
 * Runs left behind: a device whose `running` marker is still in a notebook
 * that this page is not running (the page that ran it was reloaded or
 * closed, or the server restarted). On opening such a notebook the marker
 * becomes an `interrupted` record, saved, and the user is told — and told
 * when the kernel still works on the interrupted device, with a way to
 * stop it, so that no orphaned kernel keeps a GPU busy unseen.
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import { KernelAPI } from '@jupyterlab/services';
import type { PartialJSONObject } from '@lumino/coreutils';
import { waitUntil } from '../common/timeout';
import { METADATA_KEY } from '../common/contract';
import { interruptedRecord, readMetadata } from '../records';

/**
 * The `running` records of a notebook's `device_bench` metadata.
 */
export function leftRunning(metadata: unknown): PartialJSONObject[] {
  const runs =
    metadata && typeof metadata === 'object' && !Array.isArray(metadata)
      ? (metadata as { runs?: unknown }).runs
      : undefined;
  if (!Array.isArray(runs)) {
    return [];
  }
  return runs.filter(
    (run): run is PartialJSONObject =>
      !!run &&
      typeof run === 'object' &&
      (run as PartialJSONObject).status === 'running'
  );
}

/**
 * Turn the notebook's `running` records into `interrupted` ones, in the
 * model; every other field and run is kept. Returns the devices resolved.
 */
export function resolveLeftRunning(panel: NotebookPanel): string[] {
  const model = panel.content.model;
  if (!model) {
    return [];
  }
  let metadata;
  try {
    metadata = readMetadata(model);
  } catch {
    return []; // Malformed metadata is never rewritten.
  }
  const left = leftRunning(metadata);
  if (!left.length) {
    return [];
  }
  const now = new Date().toISOString();
  const runs = (metadata!.runs as PartialJSONObject[]).map(run =>
    run?.status === 'running' ? interruptedRecord(run, now) : run
  );
  model.setMetadata(METADATA_KEY, { ...metadata, runs });
  return left.map(run => String(run.device ?? '?').slice(0, 20));
}

/**
 * What the page should tell the user about runs left behind.
 */
export interface ILeftoverNotice {
  /** The devices whose run did not end in a page. */
  devices: string[];
  /**
   * The notebook's kernel is busy: perhaps still with that device (left
   * running by a page that was reloaded or closed), perhaps run by another
   * tab. Nothing was resolved: the user decides (stop the kernel, or let
   * the other tab finish).
   */
  kernelBusy: boolean;
}

/**
 * Whether the notebook's kernel is busy. A page that just (re)connected to a
 * kernel in the middle of a long cell does not know yet (`unknown`: no status
 * message comes until the cell ends), so the server, which follows every
 * kernel's status, is asked.
 */
export async function isBusy(
  panel: NotebookPanel,
  graceMs = BUSY_GRACE_MS
): Promise<boolean> {
  const kernel = panel.sessionContext.session?.kernel;
  if (!kernel) {
    return false;
  }
  const serverSaysBusy = async () => {
    try {
      const model = await KernelAPI.getKernelModel(
        kernel.id,
        kernel.serverSettings
      );
      return model?.execution_state === 'busy';
    } catch {
      return false;
    }
  };
  if (kernel.status !== 'busy' && !(await serverSaysBusy())) {
    return false;
  }
  // Busy for a moment (the device panel asking the kernel, say) is not
  // busy with a benchmark left behind: give it `graceMs` to become idle.
  try {
    await waitUntil(
      () => kernel.isDisposed || kernel.status === 'idle',
      [kernel.statusChanged],
      graceMs,
      'the kernel to be idle'
    );
    return false;
  } catch {
    return kernel.status === 'busy' || (await serverSaysBusy());
  }
}

/**
 * How long a busy kernel gets to become idle before it is taken for busy
 * with a run left behind.
 */
export const BUSY_GRACE_MS = 8_000;

/**
 * Once `panel` is loaded and its kernel known: when it holds `running`
 * records and `isRunningHere(panel)` is false, call `notify`. When the
 * kernel is not busy, the records are first resolved to `interrupted` and
 * saved (when the notebook had no other unsaved change). With
 * `freshKernel` (the kernel was just replaced) it is not asked. Never throws.
 */
export async function checkLeftovers(
  panel: NotebookPanel,
  isRunningHere: (panel: NotebookPanel) => boolean,
  notify: (notice: ILeftoverNotice) => void,
  freshKernel = false
): Promise<void> {
  try {
    await panel.context.ready;
    await panel.sessionContext.ready;
    if (panel.isDisposed || isRunningHere(panel)) {
      return;
    }
    const model = panel.content.model;
    const left = leftRunning(model?.getMetadata(METADATA_KEY));
    if (!model || !left.length) {
      return;
    }
    if (!freshKernel && (await isBusy(panel))) {
      notify({
        devices: left.map(run => String(run.device ?? '?').slice(0, 20)),
        kernelBusy: true
      });
      return;
    }
    const wasDirty = model.dirty;
    const devices = resolveLeftRunning(panel);
    if (!devices.length) {
      return;
    }
    if (!wasDirty) {
      await panel.context.save().catch(() => undefined);
    }
    notify({ devices, kernelBusy: false });
  } catch (error) {
    console.warn('jupyterlab-device-bench: runs left behind', error);
  }
}
