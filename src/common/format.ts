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

/**
 * A number of bytes in binary units with one decimal above 1 MiB, e.g.
 * `412.3 MiB`, `1.2 GiB`, `800 KiB`; '' when not a number of bytes.
 */
export function formatBytes(value: number | null | undefined): string {
  if (!isFiniteNumber(value) || value < 0) {
    return '';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return unit < 2
    ? `${Math.round(n)} ${units[unit]}`
    : `${n.toFixed(1)} ${units[unit]}`;
}

/**
 * A share (0..1) as a whole percentage, e.g. `92%`; '' when unknown.
 */
export function formatShare(value: number | null | undefined): string {
  return isFiniteNumber(value) ? `${Math.round(value * 100)}%` : '';
}
