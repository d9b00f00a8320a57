/**
 * Reading run records from notebook metadata (`metadata.device_bench`) and
 * from exported JSON reports, validated with the project's JSON Schemas.
 *
 * Never throws and never drops anything silently: whatever is wrong is
 * reported in `problems` (the document) or `invalid` (one run record), and
 * the valid run records are returned all the same.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import * as generated from './_generated/validators';
import { preview } from '../common/escape';
import { SCHEMA_VERSION } from './_generated/types';
import { isPapermillNotebook, papermillRecord } from './papermill';
import type { IReadResult, IRunRecord } from './types';

export { SCHEMA_VERSION };

/**
 * The `kind` of exported JSON reports.
 */
export const REPORT_KIND = 'device-bench-report';

/**
 * How many validation messages are given for one run record.
 */
const MAX_REASONS = 5;

/**
 * The schemas, compiled to code at build time by scripts/compile-schemas.mjs
 * (ajv standalone: no schema compilation on the main thread, no `new
 * Function`).
 */
const validators = {
  metadata: generated.metadata as ValidateFunction,
  report: generated.report as ValidateFunction,
  run: generated.run as ValidateFunction
};

/**
 * Validate one value against the run record schema.
 *
 * @returns null when it is a valid run record, else why not (in words).
 */
export function runProblem(value: unknown): string | null {
  if (!isPlainObject(value)) {
    return `not an object (found ${kindOf(value)})`;
  }
  const validate = validators.run;
  if (validate(value)) {
    return null;
  }
  return formatErrors(validate.errors ?? [], 'run');
}

/**
 * Validate a whole `device_bench` metadata object (its runs included)
 * against the metadata schema, as the headless runner checks the metadata it
 * appends to.
 *
 * @returns null when valid, else the first problem (in words).
 */
export function metadataProblem(value: unknown): string | null {
  const validate = validators.metadata;
  if (validate(value)) {
    return null;
  }
  const errors = [...(validate.errors ?? [])].sort((a, b) =>
    a.instancePath < b.instancePath
      ? -1
      : a.instancePath > b.instancePath
        ? 1
        : 0
  );
  return errors.length ? formatError(errors[0], 'device_bench') : 'not valid';
}

/**
 * Read `metadata.device_bench` of a notebook.
 *
 * Pass the value of the `device_bench` key (the whole notebook metadata is
 * accepted too: it is unwrapped when it has a `device_bench` key and no
 * `schema_version`). `undefined` means "no benchmark metadata": no runs, no
 * problem; so does what the device picker alone writes (`{device}`, no
 * `schema_version` and no `runs`).
 */
export function readDeviceBench(metadata: unknown): IReadResult {
  const result = emptyResult();
  let doc = metadata;
  if (
    isPlainObject(doc) &&
    !hasOwn(doc, 'schema_version') &&
    hasOwn(doc, 'device_bench')
  ) {
    doc = doc.device_bench;
  }
  if (doc === undefined) {
    return result;
  }
  if (!isPlainObject(doc)) {
    const reason = `device_bench must be an object, found ${kindOf(doc)}; no run could be read`;
    result.problems.push(reason);
    result.invalid.push({ index: -1, reason, preview: preview(doc) });
    return result;
  }
  // The device picker alone writes `{device}` without a version (the
  // headless runner accepts it too): a missing version matters only once
  // there are runs to read.
  if (doc.schema_version !== undefined || hasOwn(doc, 'runs')) {
    readVersion(doc, result);
  }
  const validate = validators.metadata;
  if (!validate(withoutRuns(doc))) {
    for (const error of validate.errors ?? []) {
      if (!isHandled(error, ['/runs'])) {
        result.problems.push(formatError(error, 'device_bench'));
      }
    }
  }
  readRuns(doc, result);
  return result;
}

/**
 * Read an exported JSON report (`report.schema.json`), e.g. to merge it with
 * notebooks.
 */
export function readReport(json: unknown): IReadResult {
  const result = emptyResult();
  if (!isPlainObject(json)) {
    const reason = `a report must be a JSON object, found ${kindOf(json)}; no run could be read`;
    result.problems.push(reason);
    result.invalid.push({ index: -1, reason, preview: preview(json) });
    return result;
  }
  if (json.kind !== REPORT_KIND) {
    result.problems.push(
      `kind must be "${REPORT_KIND}", found ${preview(json.kind, 60)}; runs that match the run schema are read anyway`
    );
  }
  readVersion(json, result);
  const validate = validators.report;
  if (!validate(withoutRuns(json))) {
    for (const error of validate.errors ?? []) {
      if (!isHandled(error, ['/runs', '/kind'], 'kind')) {
        result.problems.push(formatError(error, 'report'));
      }
    }
  }
  if (Array.isArray(json.sources)) {
    for (const name of json.sources) {
      if (typeof name === 'string') {
        result.sources.push(name);
      }
    }
  }
  readRuns(json, result);
  return result;
}

/**
 * Read a file the user picked: a notebook (its `metadata.device_bench`; a
 * notebook plain papermill executed also gives its run, see `papermill.ts`),
 * an exported report, or a bare `device_bench` object.
 */
export function readSourceFile(json: unknown): IReadResult {
  if (isPlainObject(json)) {
    if (json.kind === REPORT_KIND) {
      return readReport(json);
    }
    if (hasOwn(json, 'cells') && hasOwn(json, 'metadata')) {
      const metadata = json.metadata;
      const bench =
        isPlainObject(metadata) && metadata.device_bench !== undefined;
      const result = bench
        ? readDeviceBench((metadata as Record<string, unknown>).device_bench)
        : emptyResult();
      if (isPapermillNotebook(json)) {
        // Executed by plain papermill: its run is in the result cell's output.
        const read = papermillRecord(json, runProblem);
        if (read.record) {
          result.runs.push(read.record as IRunRecord);
        } else {
          const reason = `not read as a papermill run: ${read.problem}`;
          result.problems.push(reason);
          result.invalid.push({
            index: -1,
            reason,
            preview: preview(metadata)
          });
        }
      } else if (!bench) {
        result.problems.push('the notebook has no device_bench metadata');
      }
      return result;
    }
    if (hasOwn(json, 'schema_version')) {
      return readDeviceBench(json);
    }
  }
  const result = emptyResult();
  const reason = `not a notebook or a device-bench report (found ${kindOf(json)})`;
  result.problems.push(reason);
  result.invalid.push({ index: -1, reason, preview: preview(json) });
  return result;
}

function emptyResult(): IReadResult {
  return {
    runs: [],
    invalid: [],
    schemaVersion: null,
    problems: [],
    sources: []
  };
}

function readVersion(doc: Record<string, unknown>, result: IReadResult): void {
  const version = doc.schema_version;
  if (typeof version === 'number' && Number.isFinite(version)) {
    result.schemaVersion = version;
  }
  if (version === SCHEMA_VERSION) {
    return;
  }
  if (version === undefined) {
    result.problems.push(
      `schema_version is missing; read as version ${SCHEMA_VERSION}`
    );
  } else if (typeof version !== 'number') {
    result.problems.push(
      `schema_version must be the number ${SCHEMA_VERSION}, found ${preview(version, 60)} (${kindOf(version)}); read as version ${SCHEMA_VERSION}`
    );
  } else if (version > SCHEMA_VERSION) {
    result.problems.push(
      `schema_version ${preview(version, 30)} is newer than this extension reads (${SCHEMA_VERSION}): runs that still match version ${SCHEMA_VERSION} are read, the others are listed as invalid; update the extension to read them all`
    );
  } else {
    result.problems.push(
      `schema_version ${preview(version, 30)} is not a known version (this extension reads ${SCHEMA_VERSION}); runs that match version ${SCHEMA_VERSION} are read`
    );
  }
}

function readRuns(doc: Record<string, unknown>, result: IReadResult): void {
  const runs = doc.runs;
  if (runs === undefined) {
    return;
  }
  if (!Array.isArray(runs)) {
    const reason = `runs must be an array, found ${kindOf(runs)}; no run could be read`;
    result.problems.push(reason);
    result.invalid.push({ index: -1, reason, preview: preview(runs) });
    return;
  }
  for (let index = 0; index < runs.length; index++) {
    const item: unknown = runs[index];
    const reason = runProblem(item);
    if (reason === null) {
      result.runs.push({ ...(item as IRunRecord) });
    } else {
      result.invalid.push({ index, reason, preview: preview(item) });
    }
  }
  if (result.invalid.some(entry => entry.index >= 0)) {
    const count = result.invalid.filter(entry => entry.index >= 0).length;
    result.problems.push(
      `${count} of ${runs.length} run record${runs.length === 1 ? '' : 's'} ${count === 1 ? 'is' : 'are'} not valid and ${count === 1 ? 'was' : 'were'} left out`
    );
  }
}

/**
 * The document with an empty `runs` (runs are validated one by one).
 */
function withoutRuns(doc: Record<string, unknown>): Record<string, unknown> {
  return Array.isArray(doc.runs) ? { ...doc, runs: [] } : doc;
}

/**
 * Whether a document-level error is one that `readVersion`, `readRuns` or the
 * caller already reports in its own words.
 */
function isHandled(
  error: ErrorObject,
  paths: string[],
  required?: string
): boolean {
  if (
    error.instancePath === '/schema_version' ||
    paths.includes(error.instancePath)
  ) {
    return true;
  }
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty?: string })
      .missingProperty;
    return missing === 'schema_version' || missing === required;
  }
  return false;
}

function formatErrors(errors: ErrorObject[], subject: string): string {
  const messages: string[] = [];
  const missing: string[] = [];
  for (const error of errors) {
    if (error.keyword === 'required' && !error.instancePath) {
      missing.push(
        String((error.params as { missingProperty?: string }).missingProperty)
      );
      continue;
    }
    const message = formatError(error, subject);
    if (!messages.includes(message)) {
      messages.push(message);
    }
  }
  if (missing.length) {
    messages.unshift(`missing ${missing.join(', ')}`);
  }
  const shown = messages.slice(0, MAX_REASONS).join('; ');
  const more = messages.length - MAX_REASONS;
  return more > 0 ? `${shown}; and ${more} more` : shown;
}

function formatError(error: ErrorObject, subject: string): string {
  const path = error.instancePath
    ? error.instancePath
        .slice(1)
        .split('/')
        .map(part => part.replace(/~1/g, '/').replace(/~0/g, '~'))
        .join('.')
    : subject;
  let message = error.message ?? error.keyword;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    message = `must be one of ${params.allowedValues.join(', ')}`;
  } else if (error.keyword === 'type') {
    message = `must be ${String(params.type).split(',').join(' or ')}`;
  } else if (error.keyword === 'pattern') {
    message =
      path === 'device'
        ? `must be ${subject === 'device_bench' ? 'auto, ' : ''}cpu, mps, cuda, cuda:N, xpu or xpu:N`
        : 'does not have the expected form';
  }
  return `${path} ${message}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasOwn(value: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(value, key);
}

/**
 * The JSON type of a value, in words.
 */
export function kindOf(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  if (Array.isArray(value)) {
    return 'an array';
  }
  switch (typeof value) {
    case 'object':
      return 'an object';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    default:
      return typeof value;
  }
}
