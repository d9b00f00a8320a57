/**
 * The panel's "Recorded runs" section: the runs in the followed notebook's
 * metadata as a table and a bar chart (with the published figures as an
 * optional series), and the export buttons. React escapes every text; the
 * chart is `layoutChart`'s rows drawn as HTML bars sized in percent, so that
 * they fit the sidebar (the exported SVG keeps the fixed-width layout).
 *
 * A section of its own, so that the benchmark's progress (twice a second
 * during a run) does not re-render the table and the chart.
 */
import { VDomRenderer } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { barSeries, type IChartRow, layoutChart } from './chart';
import { displayText } from '../common/escape';
import {
  formatAccuracy,
  formatBytes,
  formatRate,
  formatSeconds,
  formatShare
} from '../common/format';
import {
  type IReadResult,
  type IRunRecord,
  PEAK_FIGURES,
  peakFigure,
  slowestCell
} from '../records';
import { mergeRuns } from './merge';
import { REFERENCE_SERIES_LABEL } from './reference';
import type { RecordedRunsModel } from './model';

/**
 * A bar's length as a percentage of the longest possible one.
 */
function barPercent(row: IChartRow, barArea: number): number {
  const width = row.barWidth ?? 0;
  return barArea > 0 ? Math.round((1000 * width) / barArea) / 10 : 0;
}

/**
 * Whether a run times a user's notebook (`kind: "notebook"`), not the MNIST
 * benchmark.
 */
function isNotebookRun(run: object): boolean {
  return (run as { kind?: unknown }).kind === 'notebook';
}

/**
 * What a peak memory figure measures, in the user's language.
 */
function memoryKind(
  trans: TranslationBundle,
  key: (typeof PEAK_FIGURES)[number]
): string {
  switch (key) {
    case 'max_allocated_bytes':
      return trans.__('allocated on the device');
    case 'driver_allocated_bytes':
      return trans.__('driver memory');
    default:
      return trans.__("the kernel process's resident memory");
  }
}

/**
 * The slowest cell, as "cell 29 · 52%", or ''.
 */
function slowestText(run: object): string {
  const slowest = slowestCell(run);
  return slowest
    ? `${displayText(slowest.label, 40)} \u00b7 ${formatShare(slowest.share)}`
    : '';
}

/**
 * The tooltip of a run's breakdown: the slowest cell and the peak memory in
 * words, or undefined when the record has neither (older MNIST records).
 */
function breakdownTitle(
  trans: TranslationBundle,
  run: object
): string | undefined {
  const slowest = slowestCell(run);
  const peak = peakFigure((run as { peak_memory?: unknown }).peak_memory);
  const parts: string[] = [];
  if (slowest) {
    parts.push(
      trans.__(
        "Slowest cell: %1, %2 s, %3 of the cells' time.",
        displayText(slowest.label, 40),
        formatSeconds(slowest.seconds),
        formatShare(slowest.share)
      )
    );
  }
  if (peak) {
    parts.push(
      trans.__(
        'Peak memory: %1 (%2).',
        formatBytes(peak.bytes),
        memoryKind(trans, peak.key)
      )
    );
  }
  return parts.length ? parts.join(' ') : undefined;
}

/**
 * The peak memory figure of a run, e.g. "360.0 MiB", or ''.
 */
function peakText(run: object): string {
  const peak = peakFigure((run as { peak_memory?: unknown }).peak_memory);
  return peak ? formatBytes(peak.bytes) : '';
}

/**
 * The chart's label for a screen reader: its bars and the machines of the
 * MNIST runs they come from; timing runs of users' notebooks (not charted)
 * and their machines counted apart, only where there are some.
 */
export function barsLabel(
  trans: TranslationBundle,
  bars: number,
  runs: readonly IRunRecord[]
): string {
  const mnist = new Set<string>();
  const timed = new Set<string>();
  let timings = 0;
  for (const run of runs) {
    if (isNotebookRun(run)) {
      timings++;
      timed.add(run.machine_label);
    } else {
      mnist.add(run.machine_label);
    }
  }
  return timings
    ? trans.__(
        'Median seconds of the timed training loop (shorter is faster) for %1 bar(s) on %2 machine(s) with MNIST runs; %3 notebook timing run(s) on %4 machine(s) are not charted.',
        bars,
        mnist.size,
        timings,
        timed.size
      )
    : trans.__(
        'Median seconds of the timed training loop (shorter is faster) for %1 bar(s) on %2 machine(s).',
        bars,
        mnist.size
      );
}

export class RecordedRunsView extends VDomRenderer<RecordedRunsModel> {
  constructor(options: RecordedRunsView.IOptions) {
    super(options.model);
    this._trans = options.trans;
    this._exportReport = options.exportReport;
    this.addClass('jp-DeviceBench-recorded');
    this.node.dataset.section = 'recorded';
    this.title.label = this._trans.__('Recorded runs');
  }

  protected render(): React.ReactElement {
    const trans = this._trans;
    const recorded = this.model.recorded;
    if (
      !recorded.runs.length &&
      !recorded.invalid.length &&
      !recorded.problems.length
    ) {
      return (
        <div className="jp-DeviceBench-content">
          <p className="jp-DeviceBench-hint jp-DeviceBench-noRuns">
            {trans.__(
              'No runs are recorded in this notebook yet. Run the benchmark to see its figures here.'
            )}
          </p>
        </div>
      );
    }
    const runs = [...recorded.runs].reverse();
    const mnist = runs.filter(run => !isNotebookRun(run));
    const notebooks = runs.filter(isNotebookRun);
    return (
      <section
        className="jp-DeviceBench-content jp-DeviceBench-results"
        aria-label={trans.__('Recorded runs')}
      >
        {recorded.problems.map((problem, i) => (
          <div
            key={i}
            className="jp-DeviceBench-status jp-DeviceBench-status-warning"
          >
            {displayText(problem)}
          </div>
        ))}
        {(mnist.length > 0 || recorded.invalid.length > 0) &&
          this._renderMnistRuns(mnist, recorded.invalid)}
        {notebooks.length > 0 && this._renderNotebookRuns(notebooks)}
        {this._renderChart()}
        {this._renderExport()}
      </section>
    );
  }

  /**
   * The MNIST benchmark's runs (and the invalid entries): training seconds,
   * samples per second, accuracy; under the seconds, for runs that have a
   * breakdown, the slowest cell and the peak memory.
   */
  private _renderMnistRuns(
    runs: readonly IRunRecord[],
    invalid: IReadResult['invalid']
  ): React.ReactElement {
    const trans = this._trans;
    return (
      <table className="jp-DeviceBench-runs">
        <thead>
          <tr>
            <th scope="col">{trans.__('Device, profile')}</th>
            <th scope="col" className="jp-DeviceBench-number">
              {trans.__('Train seconds')}
            </th>
            <th scope="col" className="jp-DeviceBench-number">
              {trans.__('Samples per second')}
            </th>
            <th scope="col" className="jp-DeviceBench-number">
              {trans.__('Accuracy')}
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map(run => {
            const slowest = slowestText(run);
            const peak = peakText(run);
            return (
              <tr
                key={run.id}
                data-status={run.status}
                title={displayText(
                  `${run.machine_label} · ${run.device_name ?? ''}`
                )}
              >
                <td>
                  {displayText(run.device, 40)}
                  <div className="jp-DeviceBench-runProfile">
                    {displayText(run.profile, 40)}
                  </div>
                </td>
                <td
                  className="jp-DeviceBench-number"
                  title={breakdownTitle(trans, run)}
                >
                  {run.status !== 'ok'
                    ? displayText(run.status, 20)
                    : formatSeconds(run.train_seconds)}
                  {(slowest || peak) && (
                    <div className="jp-DeviceBench-runBreakdown">
                      {slowest && (
                        <span className="jp-DeviceBench-slowestCell">
                          {slowest}
                        </span>
                      )}
                      {slowest && peak && ' '}
                      {peak && (
                        <span className="jp-DeviceBench-peakMemory">
                          {trans.__('peak %1', peak)}
                        </span>
                      )}
                    </div>
                  )}
                </td>
                <td className="jp-DeviceBench-number">
                  {formatRate(run.samples_per_second)}
                </td>
                <td
                  className="jp-DeviceBench-number"
                  title={
                    typeof run.accuracy_note === 'string'
                      ? displayText(run.accuracy_note, 300)
                      : undefined
                  }
                >
                  {formatAccuracy(run.accuracy)}
                  {typeof run.accuracy_note === 'string' && (
                    <div className="jp-DeviceBench-accuracyNote">
                      {run.accuracy_note.startsWith('too short')
                        ? trans.__('too short to judge')
                        : trans.__('not meaningful')}
                    </div>
                  )}
                </td>
              </tr>
            );
          })}
          {invalid.map(entry => (
            <tr
              key={`invalid-${entry.index}`}
              className="jp-DeviceBench-invalid"
            >
              <td colSpan={4}>
                {trans.__(
                  'Invalid entry %1: %2',
                  entry.index,
                  displayText(entry.reason)
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }

  /**
   * Timing runs of users' own notebooks, under their own headings: the
   * notebook, the timed range's total, the slowest cell, the peak memory.
   */
  private _renderNotebookRuns(runs: readonly IRunRecord[]): React.ReactElement {
    const trans = this._trans;
    return (
      <table className="jp-DeviceBench-notebookRuns">
        <caption>{trans.__('Timed notebooks')}</caption>
        <thead>
          <tr>
            <th scope="col">{trans.__('Device, notebook')}</th>
            <th scope="col" className="jp-DeviceBench-number">
              {trans.__('Total seconds')}
            </th>
            <th scope="col">{trans.__('Slowest cell')}</th>
            <th scope="col" className="jp-DeviceBench-number">
              {trans.__('Peak memory')}
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map(run => {
            const value = run as {
              notebook?: unknown;
              total_seconds?: unknown;
            };
            return (
              <tr
                key={run.id}
                data-status={run.status}
                title={displayText(
                  `${run.machine_label} · ${run.device_name ?? ''}`
                )}
              >
                <td>
                  {displayText(run.device, 40)}
                  <div className="jp-DeviceBench-runProfile">
                    {displayText(value.notebook ?? '', 60)}
                  </div>
                </td>
                <td className="jp-DeviceBench-number">
                  {run.status !== 'ok'
                    ? displayText(run.status, 20)
                    : formatSeconds(
                        typeof value.total_seconds === 'number'
                          ? value.total_seconds
                          : null
                      )}
                </td>
                <td title={breakdownTitle(trans, run)}>{slowestText(run)}</td>
                <td className="jp-DeviceBench-number">{peakText(run)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    );
  }

  private _renderExport(): React.ReactElement {
    const trans = this._trans;
    const formats: [string, string][] = [
      ['csv', 'CSV'],
      ['json', 'JSON'],
      ['markdown', 'Markdown'],
      ['html', 'HTML'],
      ['svg', trans.__('Chart SVG')],
      ['png', trans.__('Chart PNG')]
    ];
    return (
      <div
        className="jp-DeviceBench-export"
        role="group"
        aria-label={trans.__('Export')}
      >
        <span className="jp-DeviceBench-label">{trans.__('Export')}</span>
        {formats.map(([format, label]) => (
          <button
            key={format}
            type="button"
            className="jp-mod-styled jp-DeviceBench-exportButton"
            data-format={format}
            title={trans.__(
              'Write a %1 report next to the notebook and download it',
              label
            )}
            onClick={() => this._exportReport(format)}
          >
            {label}
          </button>
        ))}
      </div>
    );
  }

  private _renderChart(): React.ReactElement | null {
    const trans = this._trans;
    const model = this.model;
    const runs = model.recorded.runs;
    if (!runs.some(r => r.status === 'ok')) {
      return null;
    }
    const merged = mergeRuns([{ name: 'notebook', runs }]);
    const layout = layoutChart(merged, {
      includeReference: model.showReference
    });
    return (
      <figure className="jp-DeviceBench-chart">
        {/* HTML bars sized in percent, so that they fit a narrow sidebar;
            the exported SVG and PNG use the same layout at a fixed width. */}
        <div className="jp-DeviceBench-bars-legend" aria-hidden="true">
          {layout.legend.map(item => (
            <span key={item.series}>
              <span
                className={`jp-DeviceBench-bars-swatch jp-DeviceBench-bars-${item.series}`}
              />
              {chartLabel(trans, item.label)}
            </span>
          ))}
        </div>
        <ul
          className="jp-DeviceBench-bars"
          aria-label={barsLabel(
            trans,
            layout.rows.filter(row => row.kind === 'bar').length,
            merged.runs.map(run => run.record)
          )}
        >
          {layout.rows.map((row, i) =>
            row.kind === 'bar' ? (
              <li key={i} className="jp-DeviceBench-bars-row" title={row.title}>
                <span className="jp-DeviceBench-bars-label">{row.label}</span>
                <span className="jp-DeviceBench-bars-track">
                  <span className="jp-DeviceBench-bars-area">
                    <span
                      className={`jp-DeviceBench-bars-bar jp-DeviceBench-bars-${barSeries(row)}`}
                      style={{ width: `${barPercent(row, layout.barArea)}%` }}
                    />
                  </span>
                  <span className="jp-DeviceBench-bars-value">{row.value}</span>
                </span>
              </li>
            ) : (
              <li
                key={i}
                className={`jp-DeviceBench-bars-${row.kind}`}
                title={
                  row.kind === 'note' ? chartLabel(trans, row.title) : row.title
                }
              >
                {row.kind === 'note' ? chartLabel(trans, row.label) : row.label}
              </li>
            )
          )}
        </ul>
        <figcaption>
          <label>
            <input
              type="checkbox"
              checked={model.showReference}
              onChange={() => (model.showReference = !model.showReference)}
            />{' '}
            {trans.__('Show the published reference figures (2023 article)')}
          </label>
        </figcaption>
        {merged.warnings.map((w, i) => (
          <p key={i} className="jp-DeviceBench-hint">
            {displayText(w)}
          </p>
        ))}
      </figure>
    );
  }

  private _trans: TranslationBundle;
  private _exportReport: (format: string) => void;
}

export namespace RecordedRunsView {
  export interface IOptions {
    model: RecordedRunsModel;
    trans: TranslationBundle;
    /**
     * Write a report of the given format next to the notebook and download it.
     */
    exportReport: (format: string) => void;
  }
}

/**
 * The chart's own English labels (layoutChart writes them for the exported
 * reports, which are English) in the user's language; names as they are.
 */
function chartLabel(trans: TranslationBundle, label: string): string {
  switch (label) {
    case 'accelerator (median of runs)':
      return trans.__('accelerator (median of runs)');
    case 'CPU':
      return trans.__('CPU');
    case REFERENCE_SERIES_LABEL:
      return trans.__('published reference (2023 article)');
    case 'no successful run':
      return trans.__('no successful run');
    case 'no runs':
      return trans.__('no runs');
    default:
      return label;
  }
}
