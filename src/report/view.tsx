/**
 * The panel's "Recorded runs" section: the runs in the followed notebook's
 * metadata as a table and a bar chart (with the published figures as an
 * optional series), and the export buttons. React escapes every text; the
 * chart is drawn as React SVG elements from `layoutChart`.
 *
 * A section of its own, so that the benchmark's progress (twice a second
 * during a run) does not re-render the table and the chart.
 */
import { VDomRenderer } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { layoutChart } from './chart';
import { displayText } from './escape';
import { formatAccuracy, formatRate, formatSeconds } from './format';
import { mergeRuns } from './merge';
import type { RecordedRunsModel } from './model';

export class RecordedRunsView extends VDomRenderer<RecordedRunsModel> {
  constructor(options: RecordedRunsView.IOptions) {
    super(options.model);
    this._trans = options.trans;
    this._exportReport = options.exportReport;
    this.addClass('jp-DeviceBench-recorded');
  }

  protected render(): React.ReactElement | null {
    const trans = this._trans;
    const recorded = this.model.recorded;
    if (
      !recorded.runs.length &&
      !recorded.invalid.length &&
      !recorded.problems.length
    ) {
      return null;
    }
    const runs = [...recorded.runs].reverse();
    return (
      <section
        className="jp-DeviceBench-content jp-DeviceBench-results"
        aria-label={trans.__('Recorded runs')}
      >
        <h3 className="jp-DeviceBench-sectionTitle">
          {trans.__('Recorded runs')}
        </h3>
        {recorded.problems.map((problem, i) => (
          <div
            key={i}
            className="jp-DeviceBench-status jp-DeviceBench-status-warning"
          >
            {displayText(problem)}
          </div>
        ))}
        <table className="jp-DeviceBench-runs">
          <thead>
            <tr>
              <th scope="col">{trans.__('Device')}</th>
              <th scope="col">{trans.__('Profile')}</th>
              <th scope="col">{trans.__('Seconds')}</th>
              <th scope="col">{trans.__('Samples/s')}</th>
              <th scope="col">{trans.__('Accuracy')}</th>
            </tr>
          </thead>
          <tbody>
            {runs.map(run => (
              <tr
                key={run.id}
                data-status={run.status}
                title={displayText(
                  `${run.machine_label} · ${run.device_name ?? ''}`
                )}
              >
                <td>{displayText(run.device, 40)}</td>
                <td>{displayText(run.profile, 40)}</td>
                <td>
                  {run.status === 'ok'
                    ? formatSeconds(run.train_seconds)
                    : displayText(run.status, 20)}
                </td>
                <td>{formatRate(run.samples_per_second)}</td>
                <td>{formatAccuracy(run.accuracy)}</td>
              </tr>
            ))}
            {recorded.invalid.map(entry => (
              <tr
                key={`invalid-${entry.index}`}
                className="jp-DeviceBench-invalid"
              >
                <td colSpan={5}>
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
        {this._renderChart()}
        {this._renderExport()}
      </section>
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
        <svg
          viewBox={`0 0 ${layout.width} ${layout.height}`}
          role="img"
          aria-label={layout.description}
          className="jp-DeviceBench-chartSvg"
        >
          {layout.rows.map((row, i) => (
            <g key={i} className={`jp-DeviceBench-chart-${row.kind}`}>
              <title>{row.title}</title>
              <text
                x={row.kind === 'machine' ? 8 : 24}
                y={row.y}
                className="jp-DeviceBench-chart-label"
              >
                {row.label}
              </text>
              {row.kind === 'bar' && row.barWidth !== undefined ? (
                <>
                  <rect
                    x={row.barX}
                    y={row.barY}
                    width={row.barWidth}
                    height={row.barHeight}
                    className={`jp-DeviceBench-chart-bar jp-DeviceBench-chart-${
                      row.series === 'reference'
                        ? 'reference'
                        : row.cpu
                          ? 'cpu'
                          : 'runs'
                    }`}
                  />
                  <text
                    x={(row.barX ?? 0) + row.barWidth + 4}
                    y={row.y}
                    className="jp-DeviceBench-chart-value"
                  >
                    {row.value}
                  </text>
                </>
              ) : null}
            </g>
          ))}
        </svg>
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
