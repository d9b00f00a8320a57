/**
 * The fault suite's table: each spec adds one row per fault it injected, and
 * the suite's global teardown (`printTable`) prints them all once jest ends.
 */
import { ServiceManager } from '@jupyterlab/services';
import type { PartialJSONObject } from '@lumino/coreutils';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readDeviceBench } from '../records/validate';
import { savedMetadata } from '../__tests__/notebook';

/**
 * One row: a fault, how often it was injected, and what it cost.
 */
export interface IFaultRow {
  fault: string;
  tries: number;
  /**
   * Completed records (saved before or by the fault) missing afterwards.
   */
  lost: number;
  /**
   * Times the saved metadata was invalid after a fault.
   */
  invalid: number;
  /**
   * Unhandled errors and promise rejections while the fault ran.
   */
  uncaught: number;
  /**
   * Anything else worth printing (timings, counts).
   */
  notes?: string;
}

/**
 * Where rows go (one JSON document a line), beside the repository.
 */
export const TABLE_FILE = path.resolve(
  __dirname,
  '..',
  '..',
  'faults-report.jsonl'
);

export function addRow(row: IFaultRow): void {
  fs.appendFileSync(TABLE_FILE, JSON.stringify(row) + '\n');
}

/**
 * Add the row to the table, then require that the fault cost nothing: no
 * record lost, no invalid metadata, no uncaught error.
 */
export function expectNothingLost(row: IFaultRow): void {
  addRow(row);
  expect({
    lost: row.lost,
    invalid: row.invalid,
    errors: row.uncaught
  }).toEqual({ lost: 0, invalid: 0, errors: 0 });
}

// A spec's own server: shared with the integration specs.
export {
  type ITestServer as IFaultServer,
  useServer
} from '../__tests__/server';

/**
 * Count unhandled errors and rejections from now until the returned
 * function is called (which also stops counting and returns the count).
 */
export function countUncaught(): () => number {
  let count = 0;
  const onError = (error: unknown) => {
    count++;
    console.error('uncaught during fault:', error);
  };
  process.on('unhandledRejection', onError);
  process.on('uncaughtException', onError);
  return () => {
    process.off('unhandledRejection', onError);
    process.off('uncaughtException', onError);
    return count;
  };
}

/**
 * How many of the run's records are on disk, and whether the metadata there
 * is valid.
 */
export async function diskState(
  manager: ServiceManager.IManager,
  name: string,
  records: PartialJSONObject[]
): Promise<{ lost: number; invalid: number }> {
  const read = readDeviceBench(await savedMetadata(manager, name));
  const onDisk = new Set<string>(read.runs.map(r => r.id));
  return {
    lost: records.filter(r => !onDisk.has(String(r.id))).length,
    invalid: read.problems.length + read.invalid.length ? 1 : 0
  };
}
