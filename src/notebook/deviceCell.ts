/**
 * The device-selection cell: one code cell, found by its tag, whose code is
 * built only from validated device strings.
 */
import type { ICodeCellModel } from '@jupyterlab/cells';
import type { INotebookModel } from '@jupyterlab/notebook';
import {
  CONTRACT,
  DEVICE_CELL_TAG,
  DEVICE_PATTERN,
  fillTemplate,
  INJECTED_PARAMETERS_TAG,
  METADATA_KEY,
  PARAMETERS_TAG
} from '../common/contract';
import { readMetadata } from '../records/metadata';

export { DEVICE_PATTERN, INJECTED_PARAMETERS_TAG, PARAMETERS_TAG };

const CELL = CONTRACT.device_cell;
const LABEL_DISALLOWED = new RegExp(CELL.label_disallowed, 'g');
const LABEL_SPACES = new RegExp(CELL.label_spaces, 'g');

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
  const text = label
    .replace(LABEL_DISALLOWED, ' ')
    .replace(LABEL_SPACES, ' ')
    .replace(/^ +| +$/g, '');
  return text.slice(0, CELL.label_max).replace(/^ +| +$/g, '');
}

/**
 * The code of the device cell for a validated device (the contract's
 * device_cell templates, as the headless runner writes it).
 *
 * @throws InvalidDeviceError when the device is not in the allowlist.
 */
export function deviceCellSource(device: string, label = ''): string {
  const valid = validateDevice(device);
  if (!valid) {
    throw new InvalidDeviceError(device);
  }
  if (valid === 'auto') {
    return CELL.auto.join('\n');
  }
  const name = sanitizeLabel(label);
  const values = { device: valid, label: name };
  const comment = fillTemplate(
    name ? CELL.comment_with_label : CELL.comment_without_label,
    values
  );
  return CELL.named
    .map(line => fillTemplate(line, { ...values, comment }))
    .join('\n');
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
