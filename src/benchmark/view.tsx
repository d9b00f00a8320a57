/**
 * The panel's "Benchmark" section: device choice, profile, Run / Cancel and
 * the progress of a run. React escapes every text. The runs recorded in the
 * notebook are the report module's section (`src/report/view.tsx`).
 */
import { VDomRenderer } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { METADATA_KEY } from '../common/contract';
import { displayText } from '../common/escape';
import { formatSeconds } from '../common/format';
import type { IProbeDevice } from '../kernel/types';
import { readDeviceBench } from '../records';
import { PROFILES } from './driver';
import type { BenchmarkModel, IDeviceProgress } from './model';
import { runErrorText } from './errortext';
import { describeRecommendation, recommend } from './recommend';

export interface IBenchmarkActions {
  run(devices: string[], profile: string): void;
  cancel(): void;
  openBenchmark(): void;
  /**
   * Set `device` in the notebook's device cell (the picker's command).
   */
  useDevice?(device: string): void;
}

export class BenchmarkView extends VDomRenderer<BenchmarkModel> {
  constructor(options: BenchmarkView.IOptions) {
    super(options.model);
    this._trans = options.trans;
    this._actions = options.actions;
    this._devices = options.devices;
    this.addClass('jp-DeviceBench-benchmark');
    this.node.dataset.section = 'benchmark';
    this.title.label = this._trans.__('Benchmark');
  }

  protected render(): React.ReactElement {
    const trans = this._trans;
    const model = this.model;
    return (
      <section
        className="jp-DeviceBench-content"
        aria-label={trans.__('Benchmark')}
      >
        {model.isBenchmark || model.isTimable
          ? this._renderControls()
          : this._renderOpen()}
        {model.message ? (
          <div
            className="jp-DeviceBench-status jp-DeviceBench-status-warning"
            role="alert"
          >
            {model.message}
          </div>
        ) : null}
        {this._renderProgress()}
        {model.isTimable ? this._renderAnswer() : null}
      </section>
    );
  }

  private _renderOpen(): React.ReactElement {
    const trans = this._trans;
    return (
      <div>
        <p className="jp-DeviceBench-hint">
          {trans.__(
            'Open the MNIST benchmark notebook to time every device of this kernel with one click.'
          )}
        </p>
        <button
          type="button"
          className="jp-mod-styled jp-mod-accept jp-DeviceBench-openBenchmark"
          onClick={() => this._actions.openBenchmark()}
        >
          {trans.__('Open Benchmark Notebook')}
        </button>
      </div>
    );
  }

  private _renderControls(): React.ReactElement {
    const trans = this._trans;
    const model = this.model;
    const devices = this._devices().filter(d => d.available);
    const chosen = devices.filter(d => model.isSelected(d.id)).map(d => d.id);
    return (
      <div className="jp-DeviceBench-controls">
        <fieldset
          className="jp-DeviceBench-deviceChoice"
          disabled={model.running}
        >
          <legend>{trans.__('Devices')}</legend>
          {devices.length ? null : (
            <span className="jp-DeviceBench-hint">
              {trans.__('Waiting for the kernel to report its devices…')}
            </span>
          )}
          {devices.map(d => (
            <label
              key={d.id}
              className="jp-DeviceBench-checkbox"
              title={d.name}
            >
              <input
                type="checkbox"
                checked={model.isSelected(d.id)}
                onChange={() => model.toggle(d.id)}
                data-device={d.id}
              />{' '}
              {d.id}
            </label>
          ))}
        </fieldset>
        {model.isTimable ? (
          <p className="jp-DeviceBench-hint">
            {trans.__(
              'Times this notebook cell by cell on each device, in a fresh kernel with the device cell set (from the cell tagged device-bench-start to the one tagged device-bench-stop, or the whole notebook).'
            )}
          </p>
        ) : null}
        <label className="jp-DeviceBench-profile" hidden={model.isTimable}>
          {trans.__('Profile')}{' '}
          <select
            className="jp-mod-styled"
            value={model.profile}
            disabled={model.running}
            onChange={event => (model.profile = event.target.value)}
          >
            {PROFILES.map(p => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <div className="jp-DeviceBench-buttons">
          <button
            type="button"
            className="jp-mod-styled jp-mod-accept jp-DeviceBench-run"
            title={trans.__(
              'Run the benchmark on %1 device(s), one after the other',
              chosen.length
            )}
            disabled={model.running || !chosen.length}
            onClick={() => this._actions.run(chosen, model.profile)}
          >
            {trans.__('Run')}
          </button>
          <button
            type="button"
            className="jp-mod-styled jp-mod-warn jp-DeviceBench-cancel"
            disabled={!model.running}
            onClick={() => this._actions.cancel()}
          >
            {trans.__('Cancel')}
          </button>
        </div>
      </div>
    );
  }

  private _renderProgress(): React.ReactElement | null {
    const rows = this.model.progress;
    if (!rows.length) {
      return null;
    }
    const trans = this._trans;
    const label = (row: IDeviceProgress): string => {
      const p = row.progress;
      switch (row.state) {
        case 'waiting':
          return trans.__('waiting');
        case 'restarting':
          return trans.__('starting a fresh kernel');
        case 'running':
          return p?.epoch !== undefined
            ? trans.__(
                'epoch %1/%2, step %3/%4',
                p.epoch,
                p.epochs ?? '?',
                p.step ?? '?',
                p.steps ?? '?'
              )
            : trans.__('running');
        case 'ok':
          return trans.__('done');
        case 'failed':
          return trans.__(
            'failed: %1',
            displayText(runErrorText(trans, row.error ?? ''), 120)
          );
        case 'cancelled':
          return trans.__('cancelled');
      }
    };
    const elsewhere = this.model.progressElsewhere;
    return (
      <>
        {elsewhere !== null ? (
          <p className="jp-DeviceBench-hint jp-DeviceBench-progressFor">
            {trans.__('Running in %1', displayText(elsewhere, 80))}
          </p>
        ) : null}
        <ul className="jp-DeviceBench-progress" aria-live="polite">
          {rows.map((row, i) => (
            <li
              key={`${row.device}-${i}`}
              data-state={row.state}
              data-device={row.device}
            >
              <span className="jp-DeviceBench-deviceId">{row.device}</span>{' '}
              <span>{label(row)}</span>{' '}
              <span className="jp-DeviceBench-elapsed">
                {row.state === 'waiting'
                  ? ''
                  : `${(row.elapsedMs / 1000).toFixed(1)} s`}
              </span>
            </li>
          ))}
        </ul>
      </>
    );
  }

  /**
   * The recommendation and the per-device, per-cell breakdown of the
   * notebook's timing runs (its `kind: "notebook"` records).
   */
  private _renderAnswer(): React.ReactElement | null {
    const panel = this.model.notebook;
    const metadata = panel?.content.model?.getMetadata(METADATA_KEY);
    const runs = readDeviceBench(metadata ?? {}).runs.filter(
      r => (r as { kind?: unknown }).kind === 'notebook'
    );
    const answer = recommend(runs as never);
    if (!answer.devices.length) {
      return null;
    }
    const trans = this._trans;
    const best = answer.best;
    const indexes = [
      ...new Set(answer.devices.flatMap(d => d.cells.map(c => c.index)))
    ].sort((a, b) => a - b);
    const labels = new Map(
      answer.devices.flatMap(d => d.cells.map(c => [c.index, c.label]))
    );
    return (
      <div className="jp-DeviceBench-answer">
        <p
          className="jp-DeviceBench-recommendation"
          data-verdict={answer.verdict}
        >
          {describeRecommendation(answer, trans)}
        </p>
        <table className="jp-DeviceBench-breakdown">
          <thead>
            <tr>
              <th scope="col">{trans.__('Device')}</th>
              <th scope="col">{trans.__('Total (s)')}</th>
              <th scope="col">{trans.__('Spread (s)')}</th>
              {indexes.map(i => (
                <th scope="col" key={i}>
                  {displayText(labels.get(i) ?? '', 20)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {answer.devices.map(d => {
              const byIndex = new Map(d.cells.map(c => [c.index, c.seconds]));
              return (
                <tr
                  key={d.device}
                  data-device={d.device}
                  data-best={d.device === best ? 'true' : undefined}
                >
                  <th scope="row">{displayText(d.device, 20)}</th>
                  <td>{formatSeconds(d.median)}</td>
                  <td title={trans.__('%1 run(s)', d.runs)}>
                    {d.runs > 1 ? formatSeconds(d.spread) : '–'}
                  </td>
                  {indexes.map(i => {
                    const value = byIndex.get(i);
                    const share =
                      value !== undefined && d.median > 0
                        ? Math.min(1, value / d.median)
                        : 0;
                    return (
                      <td key={i} className="jp-DeviceBench-cellTime">
                        <span
                          className="jp-DeviceBench-bar"
                          style={{ width: `${(share * 100).toFixed(0)}%` }}
                        />
                        <span>
                          {value === undefined ? '' : formatSeconds(value)}
                        </span>
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
        {best && this._actions.useDevice && answer.verdict !== 'tie' ? (
          <button
            type="button"
            className="jp-mod-styled jp-DeviceBench-useDevice"
            disabled={this.model.running}
            onClick={() => this._actions.useDevice!(best)}
          >
            {trans.__('Use %1 in This Notebook', best)}
          </button>
        ) : null}
      </div>
    );
  }

  private _trans: TranslationBundle;
  private _actions: IBenchmarkActions;
  private _devices: () => IProbeDevice[];
}

export namespace BenchmarkView {
  export interface IOptions {
    model: BenchmarkModel;
    trans: TranslationBundle;
    actions: IBenchmarkActions;
    /**
     * The devices the followed kernel reports.
     */
    devices: () => IProbeDevice[];
  }
}
