/**
 * Types of the timing reports: run records as notebooks store them
 * (`metadata.device_bench.runs`, see `metadata.schema.json`), what reading
 * them found, and the merged report every export format is made from.
 *
 * Field names of run records follow the JSON Schema (snake_case) because the
 * records are stored and exported as they are.
 */

/**
 * The status of a recorded run.
 */
export type RunStatus = 'ok' | 'failed' | 'cancelled';

/**
 * One recorded benchmark run (`$defs/run` of `metadata.schema.json`).
 *
 * Only records that passed validation have this type. Fields this version does
 * not know are kept (the index signature), never dropped.
 */
export interface IRunRecord {
  /**
   * A random identifier (UUID); the same run merged twice counts once.
   */
  id: string;
  status: RunStatus;
  /**
   * What recorded the run.
   */
  source: 'jupyterlab' | 'headless';
  /**
   * Identifies the machine in reports (at most 200 characters).
   */
  machine_label: string;
  /**
   * The torch device, e.g. `cpu`, `mps`, `cuda:0`.
   */
  device: string;
  device_name?: string | null;
  profile: string;
  params: Record<string, unknown>;
  settings?: Record<string, unknown> | null;
  data?: Record<string, unknown> | null;
  train_seconds?: number | null;
  epoch_seconds?: number[] | null;
  steady_epoch_seconds?: number | null;
  samples_per_second?: number | null;
  accuracy?: number | null;
  /**
   * Why the accuracy says nothing (e.g. the run was too short to judge it), or null.
   */
  accuracy_note?: string | null;
  versions?: Record<string, unknown> | null;
  cpu?: Record<string, unknown> | null;
  started_at: string;
  finished_at: string;
  error?: string | null;
  [key: string]: unknown;
}

/**
 * A run record that was left out, and why.
 */
export interface IInvalidEntry {
  /**
   * Its index in the `runs` array (-1 when the whole `runs` value was unusable).
   */
  index: number;
  /**
   * Why it was left out, in words (validation messages).
   */
  reason: string;
  /**
   * A short JSON-like preview of the value (at most about 200 characters);
   * untrusted text: escape it before display.
   */
  preview: string;
}

/**
 * A run record that a merged report left out: which source had it, where,
 * and why.
 */
export interface IReportInvalidEntry {
  /**
   * The base name of the source (notebook or report).
   */
  source: string;
  /**
   * Its index in that source's `runs` array (-1 when the whole `runs` value,
   * or the whole document, was unusable).
   */
  index: number;
  /**
   * Why it was left out, in words; untrusted text: escape before display.
   */
  reason: string;
}

/**
 * What reading notebook metadata or an exported report found.
 */
export interface IReadResult {
  /**
   * The valid run records, in their order.
   */
  runs: IRunRecord[];
  /**
   * The run records that were left out.
   */
  invalid: IInvalidEntry[];
  /**
   * `schema_version` as found when it is a number, else null.
   */
  schemaVersion: number | null;
  /**
   * Problems with the document as a whole (wrong types, unknown version), in
   * words; untrusted text may appear in them: escape before display.
   */
  problems: string[];
  /**
   * For exported reports: the `sources` the report names (else empty).
   */
  sources: string[];
}

/**
 * One input of a merge: the runs of one notebook or report, with what reading
 * it found (so that the report can say what was left out).
 */
export interface IReportSource {
  /**
   * Base name of the notebook or report (shown in reports).
   */
  name: string;
  runs: IRunRecord[];
  invalid?: IInvalidEntry[];
  problems?: string[];
}

/**
 * The parts of a run's data and settings that must match for two timings to
 * be comparable. Values are as recorded (untrusted, any JSON type).
 */
export interface IWorkload {
  /**
   * `data.source` (e.g. `mnist-train+test`, `synthetic`).
   */
  source: unknown;
  /**
   * `settings.dataset` (`mnist` or `synthetic`).
   */
  dataset: unknown;
  /**
   * `data.train_samples`.
   */
  trainSamples: unknown;
  /**
   * `data.repeat_to`.
   */
  repeatTo: unknown;
  /**
   * `settings.epochs`.
   */
  epochs: unknown;
  /**
   * `settings.batch_size`.
   */
  batchSize: unknown;
}

/**
 * A run of the merged report and the sources it was found in.
 */
export interface IMergedRun {
  record: IRunRecord;
  /**
   * Names of the sources that contained this run id, in merge order.
   */
  sources: string[];
}

/**
 * The successful runs of one machine, device, profile and workload.
 */
export interface IRunGroup {
  /**
   * A unique key of the group (JSON text; not for display).
   */
  key: string;
  machine: string;
  device: string;
  /**
   * The device name of the group's most recent run that has one.
   */
  deviceName: string | null;
  profile: string;
  /**
   * The recorded workload, or null when the runs did not record data and
   * settings.
   */
  workload: IWorkload | null;
  /**
   * The workload in words (untrusted parts included: escape before display).
   */
  workloadLabel: string;
  /**
   * Successful runs with a training time.
   */
  count: number;
  medianSeconds: number;
  minSeconds: number;
  /**
   * Mean of the runs' samples per second (null when none recorded it).
   */
  meanSamplesPerSecond: number | null;
  /**
   * Mean test accuracy, 0..1 (null when none recorded it).
   */
  meanAccuracy: number | null;
  /**
   * Median CPU seconds of the same machine, profile and workload divided by
   * this group's median seconds; 1 for the CPU group itself; null when there
   * is no such CPU group.
   */
  speedup: number | null;
  /**
   * True for the CPU group (the baseline of its machine, profile and data).
   */
  baseline: boolean;
  /**
   * Failed or cancelled runs of the same machine, device and profile.
   */
  failed: number;
  runIds: string[];
}

/**
 * The merged runs of several notebooks or reports.
 */
export interface IMergedReport {
  /**
   * Source names, in merge order.
   */
  sources: string[];
  /**
   * Every distinct run (by id), in first-seen order.
   */
  runs: IMergedRun[];
  /**
   * Figures of the successful runs, sorted by machine, profile, workload and
   * device (accelerators first, CPU last).
   */
  groups: IRunGroup[];
  /**
   * Failed and cancelled runs (they feed no figure).
   */
  failed: IRunRecord[];
  /**
   * Every machine label seen (runs of any status), sorted.
   */
  machines: string[];
  /**
   * How many run records repeated an id already merged.
   */
  duplicates: number;
  /**
   * Human sentences: mixed comparisons, missing baselines, left-out records.
   * Untrusted text may appear in them: escape before display.
   */
  warnings: string[];
  /**
   * Every run record of the sources that was left out as not valid, in
   * source order.
   */
  invalid: IReportInvalidEntry[];
}

/**
 * One published reference figure.
 */
export interface IReferenceFigure {
  machine: string;
  device: string;
  device_name: string;
  seconds: number;
  profile: 'seed';
  label: 'published reference';
}

/**
 * Options of every export format.
 */
export interface IFormatOptions {
  /**
   * Include the published reference figures (default: false).
   */
  includeReference?: boolean;
  /**
   * The report's time stamp (default: now). Pass it for stable output.
   */
  generatedAt?: string | Date;
}
