/**
 * The probe service's error texts, shown in the user's language.
 *
 * The service (kernel/service.ts) reports a failed probe with one of these English
 * texts (they go to the console and to tests alike); the panel words them
 * through the translator (common/texttable.ts). Any other text (an exception
 * from the kernel) is shown as it is.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ITextPattern, TextTable } from './texttable';
import { shown, translateKnown } from './texttable';

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

const PROBE_ERROR_TEXTS: TextTable = {
  [PROBE_ERRORS.noResult]: trans =>
    trans.__('The kernel sent no probe result.'),
  [PROBE_ERRORS.unexpectedValue]: trans =>
    trans.__('The kernel answered the probe with an unexpected value.'),
  [PROBE_ERRORS.unexpectedDocument]: trans =>
    trans.__('The kernel answered the probe with an unexpected document.'),
  [PROBE_ERRORS.notRunning]: trans => trans.__('The kernel is not running.'),
  [PROBE_ERRORS.noKernelInfo]: trans =>
    trans.__('The kernel did not answer kernel_info.'),
  [PROBE_ERRORS.aborted]: trans =>
    trans.__('The kernel dropped the probe after an error in a running cell.')
};

const PROBE_ERROR_PATTERNS: readonly ITextPattern[] = [
  {
    pattern: /^The probe failed in the kernel: ?(.*)$/s,
    names: ['detail'],
    word: (trans, p) =>
      trans.__('The probe failed in the kernel: %1', shown(p.detail))
  },
  {
    pattern: /^The kernel refused the probe \((.*)\)\.$/s,
    names: ['status'],
    word: (trans, p) =>
      trans.__('The kernel refused the probe (%1).', shown(p.status))
  },
  {
    pattern: /^The kernel stopped before answering: (.*)$/s,
    names: ['why'],
    word: (trans, p) =>
      trans.__('The kernel stopped before answering: %1', shown(p.why))
  },
  {
    pattern: /^The kernel did not answer within (\d+) s\.$/,
    names: ['seconds'],
    word: (trans, p) =>
      trans.__('The kernel did not answer within %1 s.', shown(p.seconds))
  }
];

/**
 * A probe error in the user's language; other texts as they are.
 */
export function probeErrorText(
  trans: TranslationBundle,
  message: string
): string {
  return translateKnown(trans, PROBE_ERROR_TEXTS, message, {
    patterns: PROBE_ERROR_PATTERNS
  });
}
