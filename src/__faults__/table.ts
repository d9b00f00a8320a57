/**
 * The fault suite's table: each spec adds one row per fault it injected, and
 * the suite's global teardown (`printTable`) prints them all once jest ends.
 */
import { ServiceManager } from '@jupyterlab/services';
import type { PartialJSONObject } from '@lumino/coreutils';
import { readDeviceBench } from '../records/validate';
import { savedMetadata } from '../__tests__/notebook';
import { watchUncaught } from '../__tests__/uncaught';
import { addRow, cost, NOTHING_LOST, type IFaultRow } from './setup';

export { addRow, TABLE_FILE, type IFaultRow } from './setup';

/**
 * Add the row to the table, then require that the fault cost nothing: no
 * record lost, no invalid metadata, no uncaught error.
 */
export function expectNothingLost(row: IFaultRow): void {
  addRow(row);
  expect(cost(row)).toEqual(NOTHING_LOST);
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
  const stop = watchUncaught(error =>
    console.error('uncaught during fault:', error)
  );
  return () => stop().length;
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
