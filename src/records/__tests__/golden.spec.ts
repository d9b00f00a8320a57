/**
 * The shared golden fixtures (jupyterlab_device_bench/tests/golden/*.json):
 * the same cases run by pytest (test_golden.py), so that the extension and the
 * headless runner compute the same device cells, scrubbed errors, machine
 * labels, parameters and run records from the same contract.
 */
import type { PartialJSONObject } from '@lumino/coreutils';
import { LIMITS, SCHEMA_VERSION } from '../../common/contract';
import { scrubError } from '../../common/scrub';
import { probeExpression } from '../../kernel/service';
import type { IProbeReport } from '../../kernel/types';
import {
  deviceCellSource,
  InvalidDeviceError
} from '../../notebook/deviceCell';
import { parametersSource } from '../../notebook/parametersCell';
import {
  InvalidRecordError,
  isRunning,
  MalformedMetadataError,
  RUN_STATUSES,
  defaultMachineLabel,
  recordParams,
  resolveInterrupted,
  readSourceFile,
  runProblem,
  withRun
} from '..';
import { golden } from '../../__tests__/golden';
import { papermillRecord } from '../papermill';

const cells = golden<{
  cells: { device: string; label: string; source: string }[];
  refused: string[];
}>('device_cells.json');
const scrub = golden<{ cases: { message: string; scrubbed: string }[] }>(
  'scrub.json'
);
const labels = golden<{
  cases: { report: IProbeReport | null; label: string }[];
}>('machine_labels.json');
const params = golden<{
  public: { params: Record<string, unknown>; recorded: PartialJSONObject }[];
  cells: { params: Record<string, unknown>; source: string }[];
}>('params.json');
const records = golden<{
  append: {
    name: string;
    metadata: PartialJSONObject | undefined | null;
    record: PartialJSONObject;
    history: number;
    result?: PartialJSONObject;
    refused?: 'malformed-metadata' | 'invalid-record';
  }[];
  resolve_interrupted: {
    runs: PartialJSONObject[];
    now: string;
    result: PartialJSONObject[];
  }[];
}>('records.json');

const papermill = golden<{
  cases: {
    name: string;
    notebook: Record<string, unknown>;
    record?: PartialJSONObject;
    refused?: string;
  }[];
}>('papermill.json');

describe('golden fixtures shared with pytest', () => {
  it.each(cells.cells)(
    'device cell for $device',
    ({ device, label, source }) => {
      expect(deviceCellSource(device, label)).toBe(source);
    }
  );

  it.each(cells.refused)('refuses the device %j', device => {
    expect(() => deviceCellSource(device)).toThrow(InvalidDeviceError);
  });

  it.each(scrub.cases)('scrubs $message', ({ message, scrubbed }) => {
    expect(scrubError(message)).toBe(scrubbed);
    expect(scrubbed.length).toBeLessThanOrEqual(LIMITS.error);
  });

  it.each(labels.cases)('machine label $label', ({ report, label }) => {
    expect(defaultMachineLabel(report)).toBe(label);
  });

  it.each(params.public)('records parameters %#', ({ params, recorded }) => {
    expect(recordParams(params)).toEqual(recorded);
  });

  it.each(params.cells)('parameters cell %#', ({ params, source }) => {
    expect(parametersSource(params, Object.keys(params))).toBe(source);
  });

  it.each(records.append)(
    'appends: $name',
    ({ metadata, record, history, result, refused }) => {
      // JSON null is Python's None: no metadata yet.
      const existing = metadata === null ? undefined : metadata;
      const append = () => withRun(existing, record, history);
      if (refused === 'malformed-metadata') {
        expect(append).toThrow(MalformedMetadataError);
      } else if (refused === 'invalid-record') {
        expect(append).toThrow(InvalidRecordError);
      } else {
        const updated = append();
        expect(updated).toEqual(result);
        expect(updated.schema_version).toBe(SCHEMA_VERSION);
      }
    }
  );

  it.each(records.resolve_interrupted)(
    'resolves running markers',
    ({ runs, now, result }) => {
      const resolved = resolveInterrupted(runs, now);
      expect(resolved).toEqual(result);
      expect(resolved.some(isRunning)).toBe(false);
      for (const run of resolved) {
        expect(runProblem(run)).toBeNull();
      }
      // The input is not changed.
      expect(runs.some(isRunning)).toBe(true);
    }
  );

  it.each(papermill.cases)(
    'papermill notebook: $name',
    ({ notebook, record, refused }) => {
      const read = papermillRecord(notebook, runProblem);
      const source = readSourceFile(notebook);
      if (refused !== undefined) {
        expect(read).toEqual({ record: null, problem: refused });
        expect(source.runs).toEqual([]);
        expect(
          source.invalid.map(entry => [entry.index, entry.reason])
        ).toEqual([[-1, `not read as a papermill run: ${refused}`]]);
      } else {
        expect(read).toEqual({ record, problem: null });
        expect(runProblem(read.record)).toBeNull();
        // The extension's Merge Timing Reports reads it directly.
        expect(source.runs).toEqual([record]);
        expect(source.invalid).toEqual([]);
      }
    }
  );

  it('knows every status of the schema', () => {
    expect(RUN_STATUSES).toEqual([
      'ok',
      'failed',
      'cancelled',
      'running',
      'interrupted'
    ]);
  });
});

describe('the probe expression shared with pytest', () => {
  const probe = golden<{
    cases: { source: string; args: string[]; expression: string }[];
  }>('probe.json');

  it.each(probe.cases)(
    'probe expression %#',
    ({ source, args, expression }) => {
      const doctor = args.length ? { source: args[0], facts: args[1] } : null;
      expect(probeExpression(source, doctor)).toBe(expression);
    }
  );
});
