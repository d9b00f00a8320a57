/**
 * The probe service's error texts, shown in the user's language.
 *
 * The service (kernel/service.ts) reports a failed probe with one of these English
 * texts (they go to the console and to tests alike); the panel words them
 * through the translator. Any other text (an exception from the kernel) is
 * shown as it is.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

export const PROBE_ERRORS = {
  noResult: 'The kernel sent no probe result.',
  unexpectedValue: 'The kernel answered the probe with an unexpected value.',
  unexpectedDocument:
    'The kernel answered the probe with an unexpected document.',
  notRunning: 'The kernel is not running.',
  noKernelInfo: 'The kernel did not answer kernel_info.',
  aborted: 'The kernel dropped the probe after an error in a running cell.'
} as const;

/** `The probe failed in the kernel: <ename>: <evalue>` */
export function raisedError(detail: string): string {
  return `The probe failed in the kernel: ${detail}`.trim();
}

/** `The kernel refused the probe (<status>).` */
export function refusedError(status: string): string {
  return `The kernel refused the probe (${status}).`;
}

/** `The kernel stopped before answering: <why>` */
export function stoppedError(why: string): string {
  return `The kernel stopped before answering: ${why}`;
}

/** `The kernel did not answer within <n> s.` */
export function timeoutError(seconds: number): string {
  return `The kernel did not answer within ${seconds} s.`;
}

const RAISED = /^The probe failed in the kernel: ?(.*)$/s;
const REFUSED = /^The kernel refused the probe \((.*)\)\.$/s;
const STOPPED = /^The kernel stopped before answering: (.*)$/s;
const TIMEOUT = /^The kernel did not answer within (\d+) s\.$/;

/**
 * A probe error in the user's language; other texts as they are.
 */
export function probeErrorText(
  trans: TranslationBundle,
  message: string
): string {
  switch (message) {
    case PROBE_ERRORS.noResult:
      return trans.__('The kernel sent no probe result.');
    case PROBE_ERRORS.unexpectedValue:
      return trans.__(
        'The kernel answered the probe with an unexpected value.'
      );
    case PROBE_ERRORS.unexpectedDocument:
      return trans.__(
        'The kernel answered the probe with an unexpected document.'
      );
    case PROBE_ERRORS.notRunning:
      return trans.__('The kernel is not running.');
    case PROBE_ERRORS.noKernelInfo:
      return trans.__('The kernel did not answer kernel_info.');
    case PROBE_ERRORS.aborted:
      return trans.__(
        'The kernel dropped the probe after an error in a running cell.'
      );
  }
  let match = RAISED.exec(message);
  if (match) {
    return trans.__('The probe failed in the kernel: %1', match[1]);
  }
  match = REFUSED.exec(message);
  if (match) {
    return trans.__('The kernel refused the probe (%1).', match[1]);
  }
  match = STOPPED.exec(message);
  if (match) {
    return trans.__('The kernel stopped before answering: %1', match[1]);
  }
  match = TIMEOUT.exec(message);
  if (match) {
    return trans.__('The kernel did not answer within %1 s.', match[1]);
  }
  return message;
}
