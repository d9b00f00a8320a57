/**
 * The driver's error texts, shown in the user's language.
 *
 * A run record's `error` is stored in English whatever the UI language, so
 * that records from every language merge into one report and read alike
 * (stored fields stay language-neutral). The driver writes its own errors
 * from the constants below; the UI words a stored error through the
 * translator when it is one of them (common/texttable.ts), and shows any
 * other text (a traceback line from the kernel) as it is.
 */
import type { ITextPattern, TextTable, Translate } from '../common/texttable';
import { shown, translateKnown } from '../common/texttable';
import { INTERRUPTED_REASON } from '../records';

/**
 * The driver's own errors, as stored (English).
 */
export const RUN_ERRORS = {
  cancelledBeforeStart: 'Cancelled before the device started.',
  kernelNotRunning: 'The kernel is not running.',
  notebookNotLoaded: 'The notebook is not loaded.',
  kernelDied:
    'The kernel died during the run (out of memory, or the process was killed).',
  kernelRestarted: 'The kernel was restarted during the run.',
  notebookClosed: 'The notebook was closed during the run.',
  cancelledByUser: 'Cancelled by the user.',
  noResult: 'The notebook ended without a result.',
  cellNotFinished: 'The cell did not finish',
  timesMissing: 'The timed cells did not all report their times.',
  cellsChanged:
    'The timed cells changed during the run (a cell was moved, added, removed or edited, or a tag changed), so this device was not timed. Run the notebook again.'
} as const;

/**
 * What the driver waits for, as named in its time-out errors.
 */
export const WAITS = {
  restartUnderWay: 'a restart already under way',
  newKernel: 'starting a new kernel',
  newSession: 'starting a new session',
  newKernelIdle: 'a new kernel to be idle',
  newKernelAnswer: 'a new kernel to answer kernel_info',
  restartAfterCancel: "the kernel's restart after Cancel"
} as const;

/**
 * The time-out error of waiting for a kernel (driver.ts waitForKernel).
 */
export function notReadyError(seconds: number, what: string): string {
  return `The kernel was not ready within ${seconds} s (${what}).`;
}

const WAIT_TEXTS: TextTable = {
  [WAITS.restartUnderWay]: trans => trans.__('a restart already under way'),
  [WAITS.newKernel]: trans => trans.__('starting a new kernel'),
  [WAITS.newSession]: trans => trans.__('starting a new session'),
  [WAITS.newKernelIdle]: trans => trans.__('a new kernel to be idle'),
  [WAITS.newKernelAnswer]: trans =>
    trans.__('a new kernel to answer kernel_info'),
  [WAITS.restartAfterCancel]: trans =>
    trans.__("the kernel's restart after Cancel")
};

const RUN_ERROR_TEXTS: TextTable = {
  [RUN_ERRORS.cancelledBeforeStart]: trans =>
    trans.__('Cancelled before the device started.'),
  [RUN_ERRORS.kernelNotRunning]: trans =>
    trans.__('The kernel is not running.'),
  [RUN_ERRORS.notebookNotLoaded]: trans =>
    trans.__('The notebook is not loaded.'),
  [RUN_ERRORS.kernelDied]: trans =>
    trans.__(
      'The kernel died during the run (out of memory, or the process was killed).'
    ),
  [RUN_ERRORS.kernelRestarted]: trans =>
    trans.__('The kernel was restarted during the run.'),
  [RUN_ERRORS.notebookClosed]: trans =>
    trans.__('The notebook was closed during the run.'),
  [RUN_ERRORS.cancelledByUser]: trans => trans.__('Cancelled by the user.'),
  [RUN_ERRORS.noResult]: trans =>
    trans.__('The notebook ended without a result.'),
  [RUN_ERRORS.cellNotFinished]: trans => trans.__('The cell did not finish'),
  [RUN_ERRORS.timesMissing]: trans =>
    trans.__('The timed cells did not all report their times.'),
  [RUN_ERRORS.cellsChanged]: trans =>
    trans.__(
      'The timed cells changed during the run (a cell was moved, added, removed or edited, or a tag changed), so this device was not timed. Run the notebook again.'
    ),
  [INTERRUPTED_REASON]: trans =>
    trans.__(
      'The run was interrupted before this device ended (the page was reloaded or closed, or the server restarted).'
    )
};

function waitText(trans: Translate, what: string | null | undefined) {
  return translateKnown(trans, WAIT_TEXTS, shown(what));
}

const RUN_ERROR_PATTERNS: readonly ITextPattern[] = [
  {
    pattern: /^The kernel was not ready within (\d+) s \((.+)\)\.$/,
    names: ['seconds', 'what'],
    word: (trans, p) =>
      trans.__(
        'The kernel was not ready within %1 s (%2).',
        shown(p.seconds),
        waitText(trans, p.what)
      )
  },
  {
    pattern: /^Gave up after (\d+) s on (.+)\.$/,
    names: ['seconds', 'what'],
    word: (trans, p) =>
      trans.__(
        'Gave up after %1 s on %2.',
        shown(p.seconds),
        waitText(trans, p.what)
      )
  }
];

/**
 * A stored run error in the user's language; other texts as they are.
 */
export function runErrorText(trans: Translate, error: string): string {
  return translateKnown(trans, RUN_ERROR_TEXTS, error, {
    patterns: RUN_ERROR_PATTERNS
  });
}
