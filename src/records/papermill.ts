/**
 * A notebook executed by plain papermill as a run record (`source:
 * "papermill"`), by the contract's `papermill` rule: the result cell's output
 * and papermill's `metadata.papermill`. The twin of
 * `jupyterlab_device_bench/papermill_records.py`; the golden fixture
 * `tests/golden/papermill.json` holds both to the same records.
 *
 * Nothing of papermill's metadata that names a path (`input_path`,
 * `output_path`, `environment_variables`) is copied; parameters keep only
 * base names of paths, errors are scrubbed.
 */
import type { PartialJSONObject } from '@lumino/coreutils';
import {
  CONTRACT,
  LIMITS,
  RECORD_DEVICE_PATTERN,
  RESULT_CELL_TAG,
  RESULT_MIME,
  truncateUnits
} from '../common/contract';
import { recordParams } from '../common/scrub';
import {
  errorRecord,
  type IRecordIdentity,
  RESULT_FIELDS,
  resultRecord
} from './build';

const RULE = CONTRACT.papermill;
const SOURCE = CONTRACT.record.sources.papermill;
const TIME = new RegExp(RULE.time_pattern);
const DEVICE_LINE = new RegExp(RULE.device_line);
const LABEL = new RegExp(RULE.label_pattern);
const MACHINE_TAG = CONTRACT.tags.machine;
type JSONObject = Record<string, unknown>;

/**
 * What reading a papermill notebook gave: its run record, or why there is
 * none (`metadata.papermill` that is not papermill's).
 */
export interface IPapermillRead {
  record: PartialJSONObject | null;
  problem: string | null;
}

function isObject(value: unknown): value is JSONObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether papermill executed the notebook (it has `metadata.papermill`).
 */
export function isPapermillNotebook(notebook: unknown): boolean {
  return (
    isObject(notebook) &&
    isObject(notebook.metadata) &&
    Object.prototype.hasOwnProperty.call(notebook.metadata, RULE.metadata_key)
  );
}

function time(value: unknown): string | null {
  const match = typeof value === 'string' ? TIME.exec(value) : null;
  return match ? match[0] + 'Z' : null;
}

function tags(cell: JSONObject): string[] {
  const metadata = cell.metadata;
  const list = isObject(metadata) ? metadata.tags : undefined;
  return Array.isArray(list)
    ? list.filter((tag): tag is string => typeof tag === 'string')
    : [];
}

function outputs(cell: JSONObject): JSONObject[] {
  return Array.isArray(cell.outputs) ? cell.outputs.filter(isObject) : [];
}

function cellStatus(cell: JSONObject): unknown {
  const metadata = cell.metadata;
  const papermill = isObject(metadata) ? metadata.papermill : undefined;
  return isObject(papermill) ? papermill.status : undefined;
}

function cellName(cell: JSONObject, index: number): string {
  const named = tags(cell).filter(tag => tag !== 'papermill-error-cell-tag');
  return named.length ? `cell ${named[0]}` : `cell ${index + 1}`;
}

function resultOf(cells: JSONObject[]): JSONObject | null {
  for (const cell of cells) {
    if (cell.cell_type !== 'code' || !tags(cell).includes(RESULT_CELL_TAG)) {
      continue;
    }
    const found = outputs(cell)
      .map(output => (isObject(output.data) ? output.data[RESULT_MIME] : null))
      .filter(value => value !== null && value !== undefined);
    const last = found[found.length - 1];
    if (isObject(last)) {
      return last;
    }
  }
  return null;
}

function failureOf(cells: JSONObject[]): string | null {
  for (let index = 0; index < cells.length; index++) {
    const cell = cells[index];
    if (cell.cell_type !== 'code') {
      continue;
    }
    const errors = outputs(cell).filter(o => o.output_type === 'error');
    if (errors.length || cellStatus(cell) === RULE.failed_cell_status) {
      const error = errors[0] ?? {};
      const ename = error.ename === undefined ? 'Error' : String(error.ename);
      const evalue = error.evalue === undefined ? '' : String(error.evalue);
      const text = `${ename}: ${evalue}`.replace(/[: ]+$/, '');
      return `${text} (${cellName(cell, index)})`;
    }
  }
  return null;
}

function deviceOf(cells: JSONObject[]): [string | null, string | null] {
  for (const cell of cells) {
    if (!tags(cell).includes(MACHINE_TAG)) {
      continue;
    }
    for (const output of outputs(cell)) {
      if (output.output_type !== 'stream' || output.name !== 'stdout') {
        continue;
      }
      const raw = output.text;
      const text = Array.isArray(raw) ? raw.join('') : raw;
      for (const line of typeof text === 'string' ? text.split('\n') : []) {
        const match = DEVICE_LINE.exec(line);
        if (match && RECORD_DEVICE_PATTERN.test(match[1])) {
          return [match[1], match[2] || null];
        }
      }
    }
  }
  return [null, null];
}

function labelOf(parameters: JSONObject, result: JSONObject | null): string {
  const max = CONTRACT.machine_label.max;
  const value = parameters[RULE.label_parameter];
  if (typeof value === 'string' && LABEL.test(value)) {
    return truncateUnits(value, max);
  }
  const cpu = result ? result.cpu : null;
  const model = isObject(cpu) ? cpu.model : null;
  if (typeof model === 'string' && model) {
    return truncateUnits(model, max);
  }
  return CONTRACT.machine_label.unknown;
}

function isScalar(value: unknown): boolean {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

function malformed(problem: string): IPapermillRead {
  return { record: null, problem };
}

/**
 * The run record of a notebook papermill executed: `ok` when the result cell
 * displayed a result and no cell raised, else `failed` with the cell that
 * raised (or that papermill stopped before the end). `check` validates a
 * record (`runProblem`), passed in so that this module needs no validators.
 */
export function papermillRecord(
  notebook: unknown,
  check: (record: PartialJSONObject) => string | null
): IPapermillRead {
  const key = RULE.metadata_key;
  const metadata = isObject(notebook) ? notebook.metadata : undefined;
  const papermill = isObject(metadata) ? metadata[key] : undefined;
  if (!isObject(papermill)) {
    return malformed(`metadata.${key} must be the object papermill writes`);
  }
  const runId = papermill.start_time;
  const started = time(runId);
  if (started === null || typeof runId !== 'string') {
    return malformed(
      `metadata.${key}.start_time is not papermill's time (an ISO date and time)`
    );
  }
  const parameters =
    papermill.parameters === undefined || papermill.parameters === null
      ? {}
      : papermill.parameters;
  if (!isObject(parameters)) {
    return malformed(`metadata.${key}.parameters is not an object`);
  }
  const rawCells = isObject(notebook) ? notebook.cells : undefined;
  if (!Array.isArray(rawCells)) {
    return malformed('the notebook has no list of cells');
  }
  const cells = rawCells.filter(isObject);
  const finished = time(papermill.end_time);
  const params: JSONObject = {};
  for (const [name, value] of Object.entries(parameters)) {
    if (isScalar(value)) {
      params[name] = value;
    }
  }
  const result = resultOf(cells);
  const label = labelOf(parameters, result);
  const id = truncateUnits(RULE.id_prefix + runId, LIMITS.id);
  const identity = {
    id,
    source: SOURCE,
    machineLabel: label,
    params: recordParams(params)
  };
  let failure = failureOf(cells);
  if (failure === null && result !== null && !papermill.exception) {
    const missing = [
      'device',
      'device_name',
      'profile',
      ...RESULT_FIELDS
    ].filter(name => !Object.prototype.hasOwnProperty.call(result, name));
    if (missing.length) {
      failure = `the notebook's result does not make a valid run record: the result document lacks ${missing.join(', ')}`;
    } else {
      const record = resultRecord(
        {
          ...identity,
          status: 'ok',
          device: result.device as string,
          deviceName: result.device_name as string,
          profile: result.profile as string
        },
        result as PartialJSONObject,
        started,
        finished ?? started
      );
      const problem = check(record);
      if (problem === null) {
        return { record, problem: null };
      }
      failure = `the notebook's result does not make a valid run record: ${problem}`;
    }
  }
  if (failure === null) {
    failure =
      finished === null
        ? RULE.unfinished
        : 'the result cell displayed no result';
  }
  const [resolved, name] = deviceOf(cells);
  const device = resolved ?? 'cpu';
  if (resolved === null) {
    failure = `${failure} ${RULE.unresolved_note}`;
  }
  const profile = params.profile;
  const failed: IRecordIdentity = {
    ...identity,
    status: 'failed',
    device,
    deviceName: name,
    profile:
      typeof profile === 'string' && profile
        ? truncateUnits(profile, LIMITS.profile)
        : 'unknown'
  };
  const failedRun = errorRecord(failed, started, finished ?? started, failure);
  const problem = check(failedRun);
  return problem === null
    ? { record: failedRun, problem: null }
    : malformed(
        `the papermill run does not make a valid run record: ${problem}`
      );
}
