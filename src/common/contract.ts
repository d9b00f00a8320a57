/**
 * The contract TypeScript and Python share, as constants and the few pure
 * helpers that apply its rules. The data is `jupyterlab_device_bench/contract.json`
 * (generated into `./_generated/contract.ts` at build time); Python reads the
 * same file (`jupyterlab_device_bench/contract.py`), and the golden fixtures in
 * `jupyterlab_device_bench/tests/golden/` hold both to the same results.
 *
 * Nothing here imports another module of the extension.
 */
import { CONTRACT } from './_generated/contract';

export { CONTRACT };

/**
 * The name of the notebook metadata key owned by the extension.
 */
export const METADATA_KEY = CONTRACT.metadata.key;

/**
 * The metadata (and run record) schema version this extension reads and writes.
 */
export const SCHEMA_VERSION = CONTRACT.metadata.schema_version;

/**
 * The default number of runs kept.
 */
export const DEFAULT_HISTORY = CONTRACT.metadata.history.default;

/**
 * Length limits of run record fields (UTF-16 code units).
 */
export const LIMITS = CONTRACT.record.limits;

/**
 * The tag that marks the device-selection cell.
 */
export const DEVICE_CELL_TAG = CONTRACT.tags.device;

/**
 * The tag papermill gives the parameters cell.
 */
export const PARAMETERS_TAG = CONTRACT.tags.parameters;

/**
 * The tag papermill gives the cell it injects after the parameters cell.
 */
export const INJECTED_PARAMETERS_TAG = CONTRACT.tags.injected_parameters;

/**
 * The tag of the notebook's result cell.
 */
export const RESULT_CELL_TAG = CONTRACT.tags.result;

/**
 * The tags of the first and the last timed cell of a user notebook (at most
 * one of each; without them the whole notebook is timed).
 */
export const TIMED_START_TAG = CONTRACT.tags.timed_start;
export const TIMED_STOP_TAG = CONTRACT.tags.timed_stop;

/**
 * The mime type of the notebook's result bundle.
 */
export const RESULT_MIME = CONTRACT.mime.result;

/**
 * The mime type of the notebook's progress display.
 */
export const PROGRESS_MIME = CONTRACT.mime.progress;

/**
 * The devices a cell may name: `auto`, `cpu`, `mps`, `cuda`, `cuda:N`,
 * `xpu`, `xpu:N` (N up to three digits, no leading zeros).
 */
export const DEVICE_PATTERN = new RegExp(CONTRACT.devices.cell_pattern);

/**
 * The devices a run record may name (a resolved device, never `auto`).
 */
export const RECORD_DEVICE_PATTERN = new RegExp(
  CONTRACT.devices.record_pattern
);

/**
 * `template` with every `{name}` replaced by `values[name]`, in one pass.
 */
export function fillTemplate(
  template: string,
  values: Readonly<Record<string, string>>
): string {
  return template.replace(/\{([a-z_]+)\}/g, (_, name: string) => values[name]);
}

/**
 * At most `limit` UTF-16 code units of `text`; a character the cut would
 * split (half of a surrogate pair) is dropped. The contract's rule for every
 * length limit, so that both languages cut alike.
 */
export function truncateUnits(text: string, limit: number): string {
  if (text.length <= limit) {
    return text;
  }
  const cut = text.slice(0, Math.max(0, limit));
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
