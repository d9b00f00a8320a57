/**
 * Merging the runs of several notebooks and reports into one report:
 * duplicates (same run id) count once; successful runs are grouped by
 * machine, device, profile and workload (data and settings); speed-ups are
 * computed only against the CPU of the same machine with the same profile and
 * workload; mixed comparisons are flagged in words.
 */
import { displayText } from '../common/escape';
import type {
  IMergedReport,
  IMergedRun,
  IReportInvalidEntry,
  IReportSource,
  IRunGroup,
  IWorkload
} from './types';
import { interruptedRecord, isRunning } from '../records/metadata';
import type { IReadResult, IRunRecord } from '../records/types';

/**
 * At most this many warnings are listed (then one "and N more").
 */
export const MAX_WARNINGS = 50;

/**
 * At most this many problems of one source are listed as warnings.
 */
const MAX_SOURCE_PROBLEMS = 5;

/**
 * How many characters of an untrusted name a warning sentence quotes.
 */
const NAME_MAX = 80;

/**
 * A merge input from what reading a notebook or report found.
 */
export function sourceFromRead(
  name: string,
  result: IReadResult
): IReportSource {
  return {
    name,
    runs: result.runs,
    invalid: result.invalid,
    problems: result.problems
  };
}

/**
 * The base name of a path (what reports show of a source).
 */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/**
 * Whether a run is a timing run of a user's notebook (`kind: "notebook"`)
 * rather than of the MNIST benchmark (no kind, or `"mnist"`).
 */
export function isNotebookRun(record: IRunRecord): boolean {
  return (record as { kind?: unknown }).kind === 'notebook';
}

/**
 * Merge the runs of several sources into one report.
 */
export function mergeRuns(sources: IReportSource[]): IMergedReport {
  const warnings = new Warnings();
  const byId = new Map<string, IMergedRun>();
  const runs: IMergedRun[] = [];
  const invalidEntries: IReportInvalidEntry[] = [];
  let duplicates = 0;

  for (const source of sources) {
    const problems = source.problems ?? [];
    problems.slice(0, MAX_SOURCE_PROBLEMS).forEach(problem => {
      warnings.add(`${quote(source.name)}: ${displayText(problem, 300)}.`);
    });
    if (problems.length > MAX_SOURCE_PROBLEMS) {
      warnings.add(
        `${quote(source.name)}: ${problems.length - MAX_SOURCE_PROBLEMS} more problems.`
      );
    }
    for (const entry of source.invalid ?? []) {
      invalidEntries.push({
        source: source.name,
        index: entry.index,
        reason: entry.reason
      });
    }
    const invalid = (source.invalid ?? []).filter(entry => entry.index >= 0);
    if (invalid.length && !problems.length) {
      warnings.add(
        `${quote(source.name)}: ${invalid.length} invalid run record${plural(invalid.length)} left out.`
      );
    }
    for (const found of source.runs) {
      // A `running` marker in a saved file is a run that never finished.
      const record = isRunning(found)
        ? interruptedRecord(found, found.finished_at)
        : found;
      const seen = byId.get(record.id);
      if (seen) {
        duplicates++;
        if (!seen.sources.includes(source.name)) {
          seen.sources.push(source.name);
        }
        if (conflicts(seen.record, record)) {
          warnings.add(
            `Run ${quote(record.id)} appears with different figures in ${quote(seen.sources[0])} and ${quote(source.name)}; the first one is used.`
          );
        }
        continue;
      }
      const merged: IMergedRun = { record, sources: [source.name] };
      byId.set(record.id, merged);
      runs.push(merged);
    }
  }

  const failed: IRunRecord[] = [];
  const failedCounts = new Map<string, number>();
  const members = new Map<string, IRunRecord[]>();
  const machines = new Set<string>();
  const missingSeconds = new Map<string, number>();
  const notebooks: IRunRecord[] = [];

  for (const { record } of runs) {
    machines.add(record.machine_label);
    if (isNotebookRun(record)) {
      notebooks.push(record);
      continue;
    }
    if (record.status !== 'ok') {
      failed.push(record);
      const key = deviceKey(record);
      failedCounts.set(key, (failedCounts.get(key) ?? 0) + 1);
      continue;
    }
    if (!isFiniteNumber(record.train_seconds)) {
      const key = deviceKey(record);
      missingSeconds.set(key, (missingSeconds.get(key) ?? 0) + 1);
      continue;
    }
    const key = groupKey(record);
    const list = members.get(key);
    if (list) {
      list.push(record);
    } else {
      members.set(key, [record]);
    }
  }

  const groups: IRunGroup[] = [];
  for (const [key, list] of members) {
    groups.push(makeGroup(key, list, failedCounts));
  }
  sortGroups(groups);

  for (const [key, count] of missingSeconds) {
    const [machine, device, profile] = JSON.parse(key) as string[];
    warnings.add(
      `${count} successful run${plural(count)} of ${describe(machine, device, profile)} recorded no training time and ${count === 1 ? 'is' : 'are'} left out of the figures.`
    );
  }

  computeSpeedups(groups, warnings);
  flagMixed(groups, warnings);

  return {
    sources: sources.map(source => source.name),
    runs,
    groups,
    failed,
    notebooks,
    machines: [...machines].sort(compareStrings),
    duplicates,
    warnings: warnings.list(),
    invalid: invalidEntries
  };
}

/**
 * The workload of a run: the parts of data and settings that must match for
 * timings to be comparable; null when the run recorded neither.
 */
export function workloadOf(record: IRunRecord): IWorkload | null {
  const data = isObject(record.data) ? record.data : null;
  const settings = isObject(record.settings) ? record.settings : null;
  if (!data && !settings) {
    return null;
  }
  return {
    source: data?.source,
    dataset: settings?.dataset,
    trainSamples: data?.train_samples,
    repeatTo: data?.repeat_to ?? settings?.repeat_to,
    epochs: settings?.epochs,
    batchSize: settings?.batch_size
  };
}

/**
 * The workload in words, e.g. "mnist-train+test, 60000 training samples,
 * 10 epochs, batch 64". Untrusted parts are cleaned and truncated but not
 * escaped.
 */
export function workloadLabel(workload: IWorkload | null): string {
  return workloadParts(workload).join(', ');
}

/**
 * The workload's parts in words, optionally only those of some fields (e.g.
 * the fields in which workloads differ, see {@link differingWorkloadFields}).
 */
export function workloadParts(
  workload: IWorkload | null,
  only?: (keyof IWorkload)[]
): string[] {
  const none = ['data and settings not recorded'];
  if (!workload) {
    return none;
  }
  const parts: string[] = [];
  const text = (value: unknown) => displayText(value, 40);
  const has = (field: keyof IWorkload) =>
    (!only || only.includes(field)) &&
    workload[field] !== undefined &&
    workload[field] !== null;
  if (has('source')) {
    parts.push(text(workload.source));
  } else if (
    has('dataset') &&
    (only || workload.source === undefined || workload.source === null)
  ) {
    parts.push(text(workload.dataset));
  }
  if (has('trainSamples')) {
    parts.push(`${text(workload.trainSamples)} training samples`);
  }
  if (has('repeatTo')) {
    parts.push(`repeated to ${text(workload.repeatTo)} per epoch`);
  }
  if (has('epochs')) {
    parts.push(
      `${text(workload.epochs)} epoch${workload.epochs === 1 ? '' : 's'}`
    );
  }
  if (has('batchSize')) {
    parts.push(`batch ${text(workload.batchSize)}`);
  }
  return parts.length || only ? parts : none;
}

/**
 * The fields in which workloads differ; null when some did not record one.
 */
export function differingWorkloadFields(
  workloads: (IWorkload | null)[]
): (keyof IWorkload)[] | null {
  if (workloads.some(workload => workload === null)) {
    return null;
  }
  return WORKLOAD_FIELDS.filter(([field]) => {
    const values = new Set(
      workloads.map(workload => JSON.stringify(workload![field] ?? null))
    );
    return values.size > 1;
  }).map(([field]) => field);
}

/**
 * The median of a non-empty list of numbers.
 */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function workloadKey(workload: IWorkload | null): string {
  if (!workload) {
    return '';
  }
  return JSON.stringify([
    workload.source ?? null,
    workload.dataset ?? null,
    workload.trainSamples ?? null,
    workload.repeatTo ?? null,
    workload.epochs ?? null,
    workload.batchSize ?? null
  ]);
}

function deviceKey(record: IRunRecord): string {
  return JSON.stringify([record.machine_label, record.device, record.profile]);
}

function groupKey(record: IRunRecord): string {
  return JSON.stringify([
    record.machine_label,
    record.device,
    record.profile,
    workloadKey(workloadOf(record))
  ]);
}

function makeGroup(
  key: string,
  list: IRunRecord[],
  failedCounts: Map<string, number>
): IRunGroup {
  const first = list[0];
  const seconds = list.map(record => record.train_seconds as number);
  const rates = list
    .map(record => record.samples_per_second)
    .filter(isFiniteNumber);
  const accuracies = list.map(record => record.accuracy).filter(isFiniteNumber);
  let deviceName: string | null = null;
  let latest = '';
  for (const record of list) {
    if (
      typeof record.device_name === 'string' &&
      record.device_name &&
      (deviceName === null || String(record.finished_at) >= latest)
    ) {
      deviceName = record.device_name;
      latest = String(record.finished_at);
    }
  }
  const workload = workloadOf(first);
  return {
    key,
    machine: first.machine_label,
    device: first.device,
    deviceName,
    profile: first.profile,
    workload,
    workloadLabel: workloadLabel(workload),
    count: list.length,
    medianSeconds: median(seconds),
    minSeconds: seconds.reduce((a, b) => Math.min(a, b)),
    meanSamplesPerSecond: rates.length ? mean(rates) : null,
    meanAccuracy: accuracies.length ? mean(accuracies) : null,
    speedup: null,
    baseline: false,
    failed: failedCounts.get(deviceKey(first)) ?? 0,
    runIds: list.map(record => record.id)
  };
}

function computeSpeedups(groups: IRunGroup[], warnings: Warnings): void {
  const cpuByKey = new Map<string, IRunGroup>();
  const cpusByMachine = new Map<string, IRunGroup[]>();
  for (const group of groups) {
    if (group.device === 'cpu') {
      cpuByKey.set(comparableKey(group), group);
      const list = cpusByMachine.get(group.machine) ?? [];
      list.push(group);
      cpusByMachine.set(group.machine, list);
    }
  }
  const noCpu = new Set<string>();
  for (const group of groups) {
    if (!group.workload) {
      if (group.device !== 'cpu') {
        warnings.add(
          `${describe(group.machine, group.device, group.profile)}: the runs recorded no data or settings, so no speed-up is computed.`
        );
      }
      continue;
    }
    if (group.device === 'cpu') {
      group.baseline = true;
      group.speedup = 1;
      continue;
    }
    const cpu = cpuByKey.get(comparableKey(group));
    if (cpu) {
      group.speedup =
        group.medianSeconds > 0
          ? cpu.medianSeconds / group.medianSeconds
          : null;
      continue;
    }
    const others = cpusByMachine.get(group.machine) ?? [];
    if (others.length) {
      const used = listOf(
        others.map(
          other => `profile ${quote(other.profile)}, ${other.workloadLabel}`
        ),
        '; '
      );
      warnings.add(
        `${describe(group.machine, group.device, group.profile)} (${group.workloadLabel}) has no CPU run of the same machine with the same profile, data and settings (the CPU runs used: ${used}), so no speed-up is computed.`
      );
    } else {
      noCpu.add(group.machine);
    }
  }
  if (noCpu.size) {
    const one = noCpu.size === 1;
    warnings.add(
      `${one ? 'Machine' : 'Machines'} ${listOf([...noCpu].map(quote))} ${one ? 'has' : 'have'} no successful CPU run, so ${one ? 'its' : 'their'} devices have no speed-up.`
    );
  }
}

/**
 * Say when the groups a report compares differ in profile or workload.
 */
function flagMixed(groups: IRunGroup[], warnings: Warnings): void {
  const profiles = unique(groups.map(group => group.profile)).sort(
    compareStrings
  );
  if (profiles.length > 1) {
    warnings.add(
      `This report mixes profiles (${listOf(profiles.map(quote))}): seconds are comparable only within one profile, and speed-ups are computed only against the CPU of the same machine with the same profile, data and settings.`
    );
  }
  const byProfile = new Map<string, IRunGroup[]>();
  for (const group of groups) {
    const list = byProfile.get(group.profile) ?? [];
    list.push(group);
    byProfile.set(group.profile, list);
  }
  for (const profile of profiles) {
    const inProfile = byProfile.get(profile) ?? [];
    const byWorkload = new Map<string, IRunGroup[]>();
    for (const group of inProfile) {
      const key = workloadKey(group.workload);
      const list = byWorkload.get(key) ?? [];
      list.push(group);
      byWorkload.set(key, list);
    }
    if (byWorkload.size < 2) {
      continue;
    }
    const variants = [...byWorkload.values()].map(list => {
      const machines = unique(list.map(group => group.machine));
      return `${list[0].workloadLabel} (${machines.length === 1 ? 'machine' : 'machines'} ${listOf(machines.map(quote))})`;
    });
    const differ = differingFields(
      [...byWorkload.values()].map(list => list[0].workload)
    );
    warnings.add(
      `Profile ${quote(profile)} was run with different data or settings${differ.length ? ` (they differ in ${differ.join(', ')})` : ''}: ${listOf(variants, '; ')}. Seconds of different data or settings are not comparable.`
    );
  }
}

const WORKLOAD_FIELDS: [keyof IWorkload, string][] = [
  ['source', 'data source'],
  ['dataset', 'dataset'],
  ['trainSamples', 'training samples'],
  ['repeatTo', 'repeat_to'],
  ['epochs', 'epochs'],
  ['batchSize', 'batch size']
];

function differingFields(workloads: (IWorkload | null)[]): string[] {
  const fields = differingWorkloadFields(workloads);
  if (fields === null) {
    return ['whether data and settings were recorded'];
  }
  return WORKLOAD_FIELDS.filter(([field]) => fields.includes(field)).map(
    ([, label]) => label
  );
}

function comparableKey(group: IRunGroup): string {
  return JSON.stringify([
    group.machine,
    group.profile,
    workloadKey(group.workload)
  ]);
}

/**
 * Sort by machine, profile, workload, then device (accelerators first, CPU
 * last), computing each workload key once.
 */
function sortGroups(groups: IRunGroup[]): void {
  const keyed = groups.map(group => ({
    group,
    workload: workloadKey(group.workload)
  }));
  keyed.sort(
    ({ group: a, workload: wa }, { group: b, workload: wb }) =>
      compareStrings(a.machine, b.machine) ||
      compareStrings(a.profile, b.profile) ||
      compareStrings(wa, wb) ||
      Number(a.device === 'cpu') - Number(b.device === 'cpu') ||
      compareStrings(a.device, b.device)
  );
  keyed.forEach(({ group }, i) => {
    groups[i] = group;
  });
}

/**
 * Code-unit order: the same everywhere, whatever the locale.
 */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Two records with the same id that disagree on what a report shows.
 */
function conflicts(a: IRunRecord, b: IRunRecord): boolean {
  return (
    a.status !== b.status ||
    a.machine_label !== b.machine_label ||
    a.device !== b.device ||
    a.profile !== b.profile ||
    a.train_seconds !== b.train_seconds ||
    workloadKey(workloadOf(a)) !== workloadKey(workloadOf(b))
  );
}

function describe(machine: string, device: string, profile: string): string {
  return `${quote(machine)} ${quote(device)} (profile ${quote(profile)})`;
}

/**
 * An untrusted name, cleaned, truncated and quoted for a warning sentence.
 */
function quote(value: unknown): string {
  return `\u201c${displayText(value, NAME_MAX)}\u201d`;
}

/**
 * At most ten items of a list, then how many more.
 */
function listOf(items: string[], separator = ', '): string {
  const shown = items.slice(0, 10).join(separator);
  return items.length > 10
    ? `${shown}${separator}and ${items.length - 10} more`
    : shown;
}

function plural(count: number): string {
  return count === 1 ? '' : 's';
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Distinct warnings in order, capped at MAX_WARNINGS.
 */
class Warnings {
  add(sentence: string): void {
    if (this._seen.has(sentence)) {
      return;
    }
    this._seen.add(sentence);
    this._list.push(sentence);
  }

  list(): string[] {
    if (this._list.length <= MAX_WARNINGS) {
      return [...this._list];
    }
    const more = this._list.length - (MAX_WARNINGS - 1);
    return [
      ...this._list.slice(0, MAX_WARNINGS - 1),
      `… and ${more} more warnings.`
    ];
  }

  private _seen = new Set<string>();
  private _list: string[] = [];
}
