/**
 * Which device should this notebook use? A pure function of the notebook's
 * `kind: "notebook"` run records, the twin of
 * jupyterlab_device_bench/recommend.py. The rule's numbers are data,
 * `recommend_rule.json`, embedded at build time (the same file Python reads):
 * nothing here re-encodes them. The words are the panel's (translated).
 */
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { RECOMMEND_RULE } from './_generated/celltiming';

/**
 * The rule, as recommend_rule.json says it.
 */
export interface IRecommendRule {
  min_relative_difference: number;
  baseline_preference: string[];
  dominant_share: number;
  speedup_decimals: number;
}

export const RULE: IRecommendRule = JSON.parse(RECOMMEND_RULE);

/**
 * One device's summary over its ok runs.
 */
export interface IDeviceSummary {
  device: string;
  median: number;
  spread: number;
  runs: number;
  /**
   * Per timed cell (by index, in notebook order): the median seconds.
   */
  cells: { index: number; label: string; seconds: number }[];
}

export interface IRecommendation {
  verdict: 'faster' | 'tie' | 'single' | 'none';
  best: string | null;
  baseline: string | null;
  speedup: number | null;
  /**
   * The best device's slowest cell and its share of the time, when it is
   * at least the rule's dominant share.
   */
  dominant: { index: number; label: string; share: number } | null;
  /**
   * For a tie: the gap between the two fastest, the larger spread, and why
   * it is a tie (within the spread, or under the relative difference).
   */
  tie: {
    second: string;
    gap: number;
    spread: number;
    why: 'spread' | 'relative';
  } | null;
  /**
   * By median, fastest first.
   */
  devices: IDeviceSummary[];
  /**
   * ok runs of other code (another code hash) that were left out.
   */
  leftOut: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface ICellLike {
  index?: unknown;
  label?: unknown;
  seconds?: unknown;
}

/**
 * The ok notebook records of `runs`, summarised per device in the order
 * the devices first appear (recommend.device_summaries).
 */
export function deviceSummaries(
  runs: readonly ReadonlyPartialJSONObject[]
): IDeviceSummary[] {
  const grouped = new Map<string, ReadonlyPartialJSONObject[]>();
  for (const run of runs) {
    if (
      run.kind !== 'notebook' ||
      run.status !== 'ok' ||
      typeof run.total_seconds !== 'number'
    ) {
      continue;
    }
    const device = String(run.device);
    grouped.set(device, [...(grouped.get(device) ?? []), run]);
  }
  return [...grouped].map(([device, found]) => {
    const totals = found.map(run => run.total_seconds as number);
    const perCell = new Map<number, { label: string; values: number[] }>();
    for (const run of found) {
      const cells = Array.isArray(run.cells) ? (run.cells as ICellLike[]) : [];
      for (const cell of cells) {
        if (
          typeof cell?.seconds !== 'number' ||
          typeof cell.index !== 'number'
        ) {
          continue;
        }
        const entry = perCell.get(cell.index) ?? {
          label:
            typeof cell.label === 'string'
              ? cell.label
              : `cell ${cell.index + 1}`,
          values: []
        };
        entry.values.push(cell.seconds);
        perCell.set(cell.index, entry);
      }
    }
    return {
      device,
      median: median(totals),
      spread: Math.max(...totals) - Math.min(...totals),
      runs: totals.length,
      cells: [...perCell]
        .sort((a, b) => a[0] - b[0])
        .map(([index, { label, values }]) => ({
          index,
          label,
          seconds: median(values)
        }))
    };
  });
}

/**
 * The answer for the runs of one notebook: only ok records with the code
 * hash of the last ok one count (recommend.recommend).
 */
export function recommend(
  runs: readonly ReadonlyPartialJSONObject[],
  rule: IRecommendRule = RULE
): IRecommendation {
  const ok = runs.filter(r => r.kind === 'notebook' && r.status === 'ok');
  const hash = ok.length ? ok[ok.length - 1].code_sha256 : null;
  const same = ok.filter(r => r.code_sha256 === hash);
  const summaries = deviceSummaries(same);
  // A stable sort: equal medians keep the order the devices appeared in.
  const ranked = [...summaries].sort((a, b) => a.median - b.median);
  const answer: IRecommendation = {
    verdict: 'none',
    best: null,
    baseline: null,
    speedup: null,
    dominant: null,
    tie: null,
    devices: ranked,
    leftOut: ok.length - same.length
  };
  if (!ranked.length) {
    return answer;
  }
  const top = ranked[0];
  answer.best = top.device;
  if (top.median > 0 && top.cells.length) {
    const slowest = top.cells.reduce((a, b) => (b.seconds > a.seconds ? b : a));
    const share = slowest.seconds / top.median;
    if (share >= rule.dominant_share) {
      answer.dominant = { index: slowest.index, label: slowest.label, share };
    }
  }
  if (ranked.length === 1) {
    answer.verdict = 'single';
    return answer;
  }
  const second = ranked[1];
  const gap = second.median - top.median;
  const spread = Math.max(top.spread, second.spread);
  if (gap <= spread || gap < rule.min_relative_difference * second.median) {
    answer.verdict = 'tie';
    answer.dominant = null;
    answer.tie = {
      second: second.device,
      gap,
      spread,
      why: gap <= spread ? 'spread' : 'relative'
    };
    return answer;
  }
  const preferred = rule.baseline_preference.filter(
    d => d !== top.device && summaries.some(s => s.device === d)
  );
  const baseline = preferred.length
    ? preferred[0]
    : ranked[ranked.length - 1].device;
  const base = summaries.find(s => s.device === baseline)!;
  answer.verdict = 'faster';
  answer.baseline = baseline;
  answer.speedup = top.median > 0 ? base.median / top.median : null;
  return answer;
}

/**
 * Seconds with three significant digits, as recommend.py writes them.
 */
function seconds3(value: number): string {
  return `${Number(value.toPrecision(3))} s`;
}

/**
 * The recommendation in words (recommend.py's sentences, translated).
 */
export function describeRecommendation(
  answer: IRecommendation,
  trans: Pick<TranslationBundle, '__'>,
  rule: IRecommendRule = RULE
): string {
  const best = answer.best ?? '';
  const top = answer.devices[0];
  const cell = answer.dominant
    ? trans.__(
        '; %1 is %2% of the time',
        answer.dominant.label,
        (answer.dominant.share * 100).toFixed(0)
      )
    : '';
  switch (answer.verdict) {
    case 'single':
      return trans.__(
        'Only %1 ran: %2 for this notebook%3.',
        best,
        seconds3(top.median),
        cell
      );
    case 'tie': {
      const tie = answer.tie!;
      const why =
        tie.why === 'spread'
          ? trans.__('within the run-to-run spread (%1)', seconds3(tie.spread))
          : trans.__(
              'less than %1%',
              (rule.min_relative_difference * 100).toFixed(0)
            );
      return trans.__(
        '%1 and %2 differ by %3 for this notebook, %4: no device is clearly faster.',
        best,
        tie.second,
        seconds3(tie.gap),
        why
      );
    }
    case 'faster':
      return trans.__(
        '%1 is %2× faster than %3 for this notebook%4.',
        best,
        answer.speedup === null
          ? '∞'
          : answer.speedup.toFixed(rule.speedup_decimals),
        answer.baseline ?? '',
        cell
      );
    default:
      return trans.__('No finished run of this notebook to compare.');
  }
}
