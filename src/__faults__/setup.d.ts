/**
 * Types of setup.js: the fault suite's table.
 */

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
export const TABLE_FILE: string;

/**
 * What a fault that cost nothing costs.
 */
export const NOTHING_LOST: Readonly<{
  lost: 0;
  invalid: 0;
  errors: 0;
}>;

/**
 * Add a row to the table.
 */
export function addRow(row: IFaultRow): void;

/**
 * What a row says the fault cost, to compare with `NOTHING_LOST`.
 */
export function cost(row: Pick<IFaultRow, 'lost' | 'invalid' | 'uncaught'>): {
  lost: number;
  invalid: number;
  errors: number;
};

export function readRows(): IFaultRow[];

/**
 * Print the table (the suite's global teardown).
 */
export function printTable(): void;
