/**
 * How numbers and time stamps are written in reports (shared by the formats).
 */

/**
 * Seconds with two decimals, e.g. `45.02`; '' when not a finite number.
 */
export function formatSeconds(value: number | null | undefined): string {
  return isFiniteNumber(value) ? value.toFixed(2) : '';
}

/**
 * A speed-up, e.g. `1.68×`; '' when unknown.
 */
export function formatSpeedup(value: number | null | undefined): string {
  return isFiniteNumber(value) ? `${value.toFixed(2)}\u00d7` : '';
}

/**
 * Samples per second, rounded, e.g. `12345`; '' when unknown.
 */
export function formatRate(value: number | null | undefined): string {
  return isFiniteNumber(value) ? value.toFixed(0) : '';
}

/**
 * An accuracy (0..1) as a percentage with one decimal, e.g. `98.7%`.
 */
export function formatAccuracy(value: number | null | undefined): string {
  return isFiniteNumber(value) ? `${(value * 100).toFixed(1)}%` : '';
}

/**
 * The report time stamp as ISO 8601 UTC (now when not given). An unparsable
 * string falls back to now.
 */
export function isoTimestamp(value?: string | Date): string {
  const date =
    value === undefined
      ? new Date()
      : value instanceof Date
        ? value
        : new Date(value);
  return Number.isNaN(date.getTime())
    ? new Date().toISOString()
    : date.toISOString();
}

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
