/**
 * The run record in one home: its types (derived from
 * `metadata.schema.json` at build time), making records, reading and
 * validating them, appending (validated, deduplicated, capped) and the
 * `running` / `interrupted` markers. Used by the benchmark driver, the panel
 * and the reports; the headless runner's twin is
 * `jupyterlab_device_bench/records.py`.
 */
export type {
  IInvalidEntry,
  IReadResult,
  IRunRecord,
  RunSource,
  RunStatus
} from './types';
export { RUN_SOURCES, RUN_STATUSES } from './_generated/types';
export {
  REPORT_KIND,
  SCHEMA_VERSION,
  kindOf,
  metadataProblem,
  readDeviceBench,
  readReport,
  readSourceFile,
  runProblem
} from './validate';
export {
  RESULT_FIELDS,
  defaultMachineLabel,
  failedRecord,
  newRunId,
  NOTEBOOK_KIND,
  notebookBaseName,
  notebookRecord,
  okRecord,
  recordParams,
  runningRecord,
  stripPaths
} from './record';
export type { INotebookRunFields, IRunContext } from './record';
export {
  cellLabel,
  memoryBytes,
  PEAK_FIGURES,
  peakFigure,
  peakMemory,
  slowestCell,
  timedCell,
  withBreakdown
} from './breakdown';
export type { INotebookCellTiming, ISlowestCell } from './breakdown';
export { isPapermillNotebook, papermillRecord } from './papermill';
export type { IPapermillRead } from './papermill';
export {
  DEFAULT_HISTORY,
  INTERRUPTED_REASON,
  InvalidRecordError,
  METADATA_SCHEMA_VERSION,
  MalformedMetadataError,
  appendRun,
  checkAppendable,
  checkMetadata,
  interruptedRecord,
  isRunning,
  readMetadata,
  resolveInterrupted,
  withRun
} from './metadata';
