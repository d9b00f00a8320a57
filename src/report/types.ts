/**
 * Types of the timing reports: the merged report every export format is made
 * from. The run record itself and what reading records found are the records
 * module's (`src/records`).
 */
import type { IInvalidEntry, IRunRecord } from '../records/types';

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
   * Failed and cancelled runs of the MNIST benchmark (they feed no figure).
   */
  failed: IRunRecord[];
  /**
   * Timing runs of users' own notebooks (`kind: "notebook"`, any status),
   * in first-seen order: listed on their own, never in the benchmark's
   * figures, chart or failed runs (their times are of other code).
   */
  notebooks: IRunRecord[];
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
