/**
 * The driver's error texts, shown in the user's language.
 *
 * A run record's `error` is stored in English whatever the UI language, so
 * that records from every language merge into one report and read alike
 * (stored fields stay language-neutral). The driver writes its own errors
 * from the constants below; the UI words a stored error through the
 * translator when it is one of them, and shows any other text (a traceback
 * line from the kernel) as it is.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
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

const NOT_READY = /^The kernel was not ready within (\d+) s \((.+)\)\.$/;
const GAVE_UP = /^Gave up after (\d+) s on (.+)\.$/;

function waitText(trans: TranslationBundle, what: string): string {
  switch (what) {
    case WAITS.restartUnderWay:
      return trans.__('a restart already under way');
    case WAITS.newKernel:
      return trans.__('starting a new kernel');
    case WAITS.newSession:
      return trans.__('starting a new session');
    case WAITS.newKernelIdle:
      return trans.__('a new kernel to be idle');
    case WAITS.newKernelAnswer:
      return trans.__('a new kernel to answer kernel_info');
    case WAITS.restartAfterCancel:
      return trans.__("the kernel's restart after Cancel");
    default:
      return what;
  }
}

/**
 * A stored run error in the user's language; other texts as they are.
 */
export function runErrorText(trans: TranslationBundle, error: string): string {
  switch (error) {
    case RUN_ERRORS.cancelledBeforeStart:
      return trans.__('Cancelled before the device started.');
    case RUN_ERRORS.kernelNotRunning:
      return trans.__('The kernel is not running.');
    case RUN_ERRORS.notebookNotLoaded:
      return trans.__('The notebook is not loaded.');
    case RUN_ERRORS.kernelDied:
      return trans.__(
        'The kernel died during the run (out of memory, or the process was killed).'
      );
    case RUN_ERRORS.kernelRestarted:
      return trans.__('The kernel was restarted during the run.');
    case RUN_ERRORS.notebookClosed:
      return trans.__('The notebook was closed during the run.');
    case RUN_ERRORS.cancelledByUser:
      return trans.__('Cancelled by the user.');
    case RUN_ERRORS.noResult:
      return trans.__('The notebook ended without a result.');
    case RUN_ERRORS.cellNotFinished:
      return trans.__('The cell did not finish');
    case RUN_ERRORS.timesMissing:
      return trans.__('The timed cells did not all report their times.');
    case RUN_ERRORS.cellsChanged:
      return trans.__(
        'The timed cells changed during the run (a cell was moved, added, removed or edited, or a tag changed), so this device was not timed. Run the notebook again.'
      );
    case INTERRUPTED_REASON:
      return trans.__(
        'The run was interrupted before this device ended (the page was reloaded or closed, or the server restarted).'
      );
  }
  const notReady = NOT_READY.exec(error);
  if (notReady) {
    return trans.__(
      'The kernel was not ready within %1 s (%2).',
      notReady[1],
      waitText(trans, notReady[2])
    );
  }
  const gaveUp = GAVE_UP.exec(error);
  if (gaveUp) {
    return trans.__(
      'Gave up after %1 s on %2.',
      gaveUp[1],
      waitText(trans, gaveUp[2])
    );
  }
  return error;
}
