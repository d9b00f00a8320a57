/**
 * The device-selection cell: one code cell, found by its tag, whose code is
 * built only from validated device strings.
 */
import type { ICodeCellModel } from '@jupyterlab/cells';
import type { INotebookModel } from '@jupyterlab/notebook';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { DEVICE_CELL_TAG, METADATA_KEY } from '../tokens';

/**
 * The devices a cell may name: `auto`, `cpu`, `mps`, `cuda`, `cuda:N`,
 * `xpu`, `xpu:N` (N up to three digits, no leading zeros).
 */
export const DEVICE_PATTERN =
  /^(auto|cpu|mps|(cuda|xpu)(:(0|[1-9][0-9]{0,2}))?)$/;

/**
 * The tag papermill gives the parameters cell.
 */
export const PARAMETERS_TAG = 'parameters';

/**
 * The tag papermill gives the cell it injects after the parameters cell.
 */
export const INJECTED_PARAMETERS_TAG = 'injected-parameters';

/**
 * A device refused by the allowlist.
 */
export class InvalidDeviceError extends Error {
  constructor(readonly device: unknown) {
    super(
      `"${String(device).slice(0, 40)}" is not a device this extension can select: use auto, cpu, mps, cuda, cuda:N, xpu or xpu:N.`
    );
    this.name = 'InvalidDeviceError';
  }
}

/**
 * Metadata that cannot be updated without losing what is there.
 */
export class MalformedMetadataError extends Error {
  constructor(problem = 'is not an object') {
    super(
      `The notebook's "${METADATA_KEY}" metadata ${problem}; fix or remove it first (nothing was changed).`
    );
    this.name = 'MalformedMetadataError';
  }
}

/**
 * Return the device if it matches the allowlist, or null.
 */
export function validateDevice(value: unknown): string | null {
  return typeof value === 'string' && DEVICE_PATTERN.test(value) ? value : null;
}

/**
 * Reduce a device name from the kernel to text safe in a Python comment:
 * one line of plain characters, at most 80 of them.
 */
export function sanitizeLabel(label: unknown): string {
  if (typeof label !== 'string') {
    return '';
  }
  return label
    .replace(/[^A-Za-z0-9 .,_()@+/-]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 80)
    .trim();
}

/**
 * The code of the device cell for a validated device.
 *
 * @throws InvalidDeviceError when the device is not in the allowlist.
 */
export function deviceCellSource(device: string, label = ''): string {
  const valid = validateDevice(device);
  if (!valid) {
    throw new InvalidDeviceError(device);
  }
  const name = sanitizeLabel(label);
  if (valid === 'auto') {
    return [
      '# Device chosen with jupyterlab-device-bench: auto (CUDA, then MPS, then CPU)',
      'import torch',
      '',
      'if torch.cuda.is_available():',
      '    device = torch.device("cuda")',
      'elif torch.backends.mps.is_available():',
      '    device = torch.device("mps")',
      'else:',
      '    device = torch.device("cpu")'
    ].join('\n');
  }
  const comment = name ? `${name} (${valid})` : valid;
  return [
    `# Device chosen with jupyterlab-device-bench: ${comment}`,
    'import torch',
    '',
    `device = torch.device("${valid}")`
  ].join('\n');
}

/**
 * The tags of a cell's metadata, or an empty list when malformed.
 */
function tagsOf(metadata: unknown): string[] {
  const tags = (metadata as { tags?: unknown } | undefined)?.tags;
  return Array.isArray(tags)
    ? tags.filter((t): t is string => typeof t === 'string')
    : [];
}

/**
 * Index of the first cell carrying `tag`, or -1.
 */
export function findTaggedCell(model: INotebookModel, tag: string): number {
  const cells = model.sharedModel.cells;
  return cells.findIndex(cell => tagsOf(cell.metadata).includes(tag));
}

/**
 * Where a new device cell goes: after the parameters cell (and papermill's
 * injected parameters), otherwise at the top.
 */
export function deviceCellInsertIndex(model: INotebookModel): number {
  const parameters = findTaggedCell(model, PARAMETERS_TAG);
  if (parameters < 0) {
    return 0;
  }
  const injected = findTaggedCell(model, INJECTED_PARAMETERS_TAG);
  return Math.max(parameters, injected) + 1;
}

/**
 * The extension's notebook metadata, checked: an object, or undefined.
 *
 * @throws MalformedMetadataError when present but not an object.
 */
export function readMetadata(
  model: INotebookModel
): ReadonlyPartialJSONObject | undefined {
  const value = model.getMetadata(METADATA_KEY);
  if (value === undefined) {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MalformedMetadataError();
  }
  return value as ReadonlyPartialJSONObject;
}

/**
 * What `setDeviceCell` did.
 */
export interface IDeviceCellResult {
  /**
   * The index of the device cell.
   */
  index: number;
  /**
   * Whether the cell was created (rather than updated).
   */
  created: boolean;
  /**
   * Whether cells below it have run already (they must be re-run).
   */
  staleBelow: boolean;
}

/**
 * Insert or update the notebook's one device cell and record the choice in
 * the notebook metadata. The notebook is left unchanged on any error.
 */
export function setDeviceCell(
  model: INotebookModel,
  device: string,
  label = ''
): IDeviceCellResult {
  const source = deviceCellSource(device, label);
  const previous = readMetadata(model);
  const shared = model.sharedModel;
  const tagged = shared.cells.flatMap((cell, i) =>
    tagsOf(cell.metadata).includes(DEVICE_CELL_TAG) ? [i] : []
  );
  if (tagged.length > 1) {
    // A copied cell keeps its tags: updating one would leave the other
    // choosing its old device further down.
    throw new Error(
      `${tagged.length} cells are tagged "${DEVICE_CELL_TAG}"; keep the tag on one of them (nothing was changed).`
    );
  }
  let index = tagged.length ? tagged[0] : -1;
  const created = index < 0;
  if (created) {
    index = deviceCellInsertIndex(model);
    shared.insertCell(index, {
      cell_type: 'code',
      source,
      metadata: { tags: [DEVICE_CELL_TAG] }
    });
  } else {
    const cell = model.cells.get(index);
    if (cell.type !== 'code') {
      throw new Error(
        `The cell tagged "${DEVICE_CELL_TAG}" is not a code cell; remove the tag or the cell first (nothing was changed).`
      );
    }
    if (cell.sharedModel.getSource() !== source) {
      cell.sharedModel.setSource(source);
      if (cell.type === 'code') {
        // The old outputs describe another device.
        const code = cell as ICodeCellModel;
        code.outputs.clear();
        code.executionCount = null;
      }
    }
  }
  model.setMetadata(METADATA_KEY, { ...(previous ?? {}), device });
  let staleBelow = false;
  for (let i = index + 1; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (
      cell.type === 'code' &&
      (cell as ICodeCellModel).executionCount !== null
    ) {
      staleBelow = true;
      break;
    }
  }
  return { index, created, staleBelow };
}
