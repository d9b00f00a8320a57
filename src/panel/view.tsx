/**
 * The device panel's view: renders the model's state. React escapes every
 * text it renders; nothing here builds HTML from strings.
 */
import { VDomRenderer } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import type { IProbeFix } from '../kernel/types';
import type { IProbeReport } from '../tokens';
import { probeErrorText } from '../common/probetext';
import { diagnosticText } from './diagnostics';
import { fixText } from './fixtext';
import { backendReasonText } from './reasontext';
import type { DevicePanelModel } from './model';

/**
 * What the view asks of its host.
 */
export interface IDevicePanelActions {
  /**
   * Refresh the probe.
   */
  refresh(): void;
  /**
   * Insert or update the device cell of the current notebook.
   */
  useDevice(device: string): void;
  /**
   * Copy a fix command to the clipboard.
   */
  copyFix?(command: string): void;
  /**
   * Insert a fix cell at the top of the current notebook (never run).
   */
  insertFixCell?(cell: string): void;
  /**
   * Restart the kernel and probe it again.
   */
  restartAndCheck?(expect: string | null): void;
}

/**
 * The command a fix shows for this OS: PowerShell on Windows, else POSIX.
 */
export function shownCommand(fix: IProbeFix, os: string | null): string | null {
  const wanted = os === 'Windows' ? 'powershell' : 'posix';
  return (
    (fix.commands ?? []).find(c => c.shell === wanted)?.command ??
    (fix.commands ?? []).find(c => c.shell !== 'notebook')?.command ??
    null
  );
}

/**
 * Format a byte count for people (GiB with one decimal).
 */
export function formatBytes(bytes: number | null | undefined): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes <= 0) {
    return '';
  }
  const gib = bytes / 1024 ** 3;
  return gib >= 1
    ? `${gib.toFixed(1)} GiB`
    : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

/**
 * The "Devices" section: the followed kernel, the probe's state, the
 * backends, diagnostics with their fixes, and the devices to pick from.
 * (Whether the kernel is asked at all follows the sidebar's visibility, see
 * `DeviceSidebar`, not this section's: it may be collapsed.)
 */
export class DevicePanelView extends VDomRenderer<DevicePanelModel> {
  constructor(options: DevicePanelView.IOptions) {
    super(options.model);
    this._trans = options.trans;
    this._actions = options.actions;
    this.addClass('jp-DeviceBench-panel');
    this.addClass('jp-DeviceBench-section-devices');
    this.node.dataset.section = 'devices';
    this.title.label = this._trans.__('Devices');
  }

  protected render(): React.ReactElement {
    return (
      <div className="jp-DeviceBench-content">
        {this._renderKernelLine()}
        {this._renderState()}
      </div>
    );
  }

  private _renderKernelLine(): React.ReactElement | null {
    const session = this.model.session;
    if (!session) {
      return null;
    }
    return (
      <div className="jp-DeviceBench-kernel">
        <span className="jp-DeviceBench-label">{this._trans.__('Kernel')}</span>{' '}
        <span>{session.kernelDisplayName}</span>
      </div>
    );
  }

  private _renderState(): React.ReactElement {
    const trans = this._trans;
    const model = this.model;
    const message = (text: string, kind = 'info') => (
      <div
        className={`jp-DeviceBench-status jp-DeviceBench-status-${kind}`}
        role="status"
      >
        {text}
      </div>
    );
    switch (model.state) {
      case 'no-kernel':
        return message(
          trans.__(
            'Open a notebook or console with a Python kernel to see its devices.'
          )
        );
      case 'starting':
        return message(trans.__('The kernel is starting…'));
      case 'waiting':
        return message(
          trans.__(
            'Waiting for the kernel: a cell is running. The devices show when it finishes.'
          )
        );
      case 'probing':
        return message(
          trans.__('Asking the kernel which devices PyTorch can use…')
        );
      case 'not-python':
        return message(
          trans.__(
            'This kernel runs %1, not Python. The device panel needs a Python kernel with PyTorch.',
            model.language || trans.__('another language')
          ),
          'warning'
        );
      case 'error':
        return (
          <div>
            {message(this._errorText(), 'error')}
            <button
              type="button"
              className="jp-mod-styled jp-mod-accept jp-DeviceBench-retry"
              onClick={() => this._actions.refresh()}
            >
              {trans.__('Retry')}
            </button>
          </div>
        );
      case 'no-torch':
      case 'ready':
        return this._renderReport(model.report);
    }
  }

  /**
   * The error in the user's language; the kernel's own words (English, or
   * whatever the kernel said) only as the detail of a failure.
   */
  private _errorText(): string {
    const trans = this._trans;
    switch (this.model.errorReason) {
      case 'timeout':
        return trans.__(
          'The kernel did not answer in time. Its first import of torch can take longer than the probe timeout (Settings, Device Bench).'
        );
      case 'dead':
        return trans.__(
          'The kernel is not running. Restart it to see its devices.'
        );
      case 'aborted':
        return trans.__(
          'The kernel dropped the question after an error in a running cell.'
        );
      default:
        return trans.__(
          'The kernel could not answer: %1',
          probeErrorText(trans, this.model.errorMessage)
        );
    }
  }

  private _renderReport(report: IProbeReport | null): React.ReactElement {
    if (!report) {
      return <div />;
    }
    return (
      <div className="jp-DeviceBench-report">
        {this._renderBackends(report)}
        {this._renderCheck()}
        {this._renderDiagnostics(report)}
        {report.torch.installed ? this._renderDevices(report) : null}
        {this._renderTiming()}
      </div>
    );
  }

  private _renderDevices(report: IProbeReport): React.ReactElement {
    const trans = this._trans;
    const canInsert = this.model.isNotebook;
    const anyAvailable = report.devices.some(d => d.available);
    return (
      <section
        className="jp-DeviceBench-section"
        aria-label={trans.__('Devices')}
      >
        <ul className="jp-DeviceBench-devices">
          {report.devices.map(device => (
            <li
              key={device.id}
              className={`jp-DeviceBench-device ${
                device.available ? 'jp-mod-available' : 'jp-mod-unavailable'
              }`}
              data-device={device.id}
            >
              <div className="jp-DeviceBench-deviceMain">
                <span className="jp-DeviceBench-deviceId">{device.id}</span>
                <span className="jp-DeviceBench-deviceName">
                  {device.name ?? ''}
                </span>
                <span className="jp-DeviceBench-deviceState">
                  {device.available
                    ? trans.__('available')
                    : trans.__('not available')}
                </span>
              </div>
              <div className="jp-DeviceBench-deviceDetail">
                {[formatBytes(device.total_memory), device.detail ?? '']
                  .filter(Boolean)
                  .join(' · ')}
              </div>
              {canInsert && device.available ? (
                <button
                  type="button"
                  className="jp-mod-styled jp-DeviceBench-use"
                  onClick={() => this._actions.useDevice(device.id)}
                  title={trans.__(
                    'Insert or update the device cell with %1',
                    device.id
                  )}
                >
                  {trans.__('Use %1', device.id)}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
        {canInsert && anyAvailable ? (
          <button
            type="button"
            className="jp-mod-styled jp-DeviceBench-use jp-DeviceBench-useAuto"
            onClick={() => this._actions.useDevice('auto')}
            title={trans.__(
              'Portable code: CUDA, then MPS, then CPU, chosen when it runs'
            )}
          >
            {trans.__('Use auto')}
          </button>
        ) : null}
      </section>
    );
  }

  private _renderDiagnostics(report: IProbeReport): React.ReactElement | null {
    if (!report.diagnostics.length) {
      return null;
    }
    const trans = this._trans;
    return (
      <section
        className="jp-DeviceBench-section"
        aria-label={trans.__('Diagnostics')}
      >
        <ul className="jp-DeviceBench-diagnostics">
          {report.diagnostics.map(d => {
            const words = diagnosticText(trans, d, report);
            return (
              <li
                key={d.code}
                className={`jp-DeviceBench-status jp-DeviceBench-status-${d.severity} jp-DeviceBench-diagnostic`}
                data-code={d.code}
                data-severity={d.severity}
              >
                <p className="jp-DeviceBench-diagnosticMessage">
                  {/* Severity in words too, not by colour alone. */}
                  <span className="jp-DeviceBench-severity">
                    {d.severity === 'error'
                      ? trans.__('Problem:')
                      : d.severity === 'warning'
                        ? trans.__('Warning:')
                        : trans.__('Note:')}
                  </span>{' '}
                  {words.text}
                </p>
                {words.detail !== null ? (
                  <p className="jp-DeviceBench-diagnosticDetail" lang="en">
                    {words.detail}
                  </p>
                ) : null}
                {d.fixes?.length ? (
                  this._renderFixes(d.fixes, report)
                ) : d.fix ? (
                  <p className="jp-DeviceBench-diagnosticFix" lang="en">
                    {d.fix}
                  </p>
                ) : null}
              </li>
            );
          })}
        </ul>
      </section>
    );
  }

  private _renderBackends(report: IProbeReport): React.ReactElement | null {
    const rows = report.backends ?? [];
    if (!rows.length) {
      return null;
    }
    const trans = this._trans;
    const names: Record<string, string> = {
      cuda: trans.__('CUDA'),
      rocm: trans.__('ROCm'),
      mps: trans.__('MPS'),
      xpu: trans.__('XPU'),
      cpu: trans.__('CPU')
    };
    return (
      <section
        className="jp-DeviceBench-section"
        aria-label={trans.__('Backends')}
      >
        <ul className="jp-DeviceBench-backends">
          {rows.map(row => (
            <li
              key={row.backend}
              className={`jp-DeviceBench-backend ${
                row.usable ? 'jp-mod-available' : 'jp-mod-unavailable'
              }`}
              data-backend={row.backend}
              data-usable={String(row.usable)}
            >
              <span className="jp-DeviceBench-backendName">
                {names[row.backend] ?? row.backend}
              </span>{' '}
              <span className="jp-DeviceBench-backendState">
                {row.usable ? trans.__('usable') : trans.__('not usable')}
              </span>{' '}
              <span className="jp-DeviceBench-backendReason">
                {backendReasonText(trans, row)}
              </span>
            </li>
          ))}
        </ul>
      </section>
    );
  }

  private _renderFixes(
    fixes: IProbeFix[],
    report: IProbeReport
  ): React.ReactElement {
    const trans = this._trans;
    const actions = this._actions;
    const canInsert = this.model.isNotebook;
    return (
      <ol className="jp-DeviceBench-fixes">
        {fixes.map((fix, index) => {
          const command = shownCommand(fix, report.python.os);
          const words = fixText(trans, fix);
          return (
            <li
              key={index}
              className="jp-DeviceBench-fix"
              data-primary={String(fix.primary)}
            >
              <p className="jp-DeviceBench-fixTitle">
                <span className="jp-DeviceBench-severity">
                  {fix.primary ? trans.__('Fix:') : trans.__('Or:')}
                </span>{' '}
                {words.title}
              </p>
              <p className="jp-DeviceBench-fixReason">{words.reason}</p>
              {words.steps.map((step, i) => (
                <p key={i} className="jp-DeviceBench-fixStep">
                  {step}
                </p>
              ))}
              {command ? (
                <pre className="jp-DeviceBench-fixCommand">{command}</pre>
              ) : null}
              <div className="jp-DeviceBench-fixActions">
                {command && actions.copyFix ? (
                  <button
                    type="button"
                    className="jp-mod-styled jp-DeviceBench-copyFix"
                    onClick={() => actions.copyFix?.(command)}
                    title={trans.__('Copy the command to the clipboard')}
                  >
                    {trans.__('Copy')}
                  </button>
                ) : null}
                {fix.cell && canInsert && actions.insertFixCell ? (
                  <button
                    type="button"
                    className="jp-mod-styled jp-DeviceBench-insertFix"
                    onClick={() => actions.insertFixCell?.(fix.cell as string)}
                    title={trans.__(
                      'Insert this as a cell at the top of the notebook (it is not run)'
                    )}
                  >
                    {trans.__('Insert as cell')}
                  </button>
                ) : null}
                {fix.commands?.length && actions.restartAndCheck ? (
                  <button
                    type="button"
                    className="jp-mod-styled jp-DeviceBench-restartCheck"
                    onClick={() => actions.restartAndCheck?.(fix.expect)}
                  >
                    {trans.__('Restart kernel and check again')}
                  </button>
                ) : null}
              </div>
            </li>
          );
        })}
      </ol>
    );
  }

  private _renderCheck(): React.ReactElement | null {
    const result = this.model.checkResult;
    if (!result) {
      return null;
    }
    const trans = this._trans;
    let text: string;
    if (result.status === 'fixed') {
      text = result.device
        ? trans.__('Fixed: %1 is now available', result.device)
        : trans.__('Fixed: nothing stands in the way any more');
    } else if (result.status === 'failed') {
      text = trans.__('The restarted kernel did not answer the probe.');
    } else {
      text = result.device
        ? trans.__('%1 is still not available.', result.device)
        : trans.__('Not fixed yet.');
      if (result.remaining.length) {
        text +=
          ' ' + trans.__('Still in the way: %1', result.remaining.join(' '));
      }
    }
    return (
      <div
        className={`jp-DeviceBench-status jp-DeviceBench-check jp-DeviceBench-status-${
          result.status === 'fixed' ? 'info' : 'error'
        }`}
        role="status"
        data-check={result.status}
      >
        {text}
      </div>
    );
  }

  private _renderTiming(): React.ReactElement | null {
    const ms = this.model.roundTripMs;
    if (ms === null) {
      return null;
    }
    return (
      <div className="jp-DeviceBench-timing" data-round-trip-ms={ms.toFixed(1)}>
        {this._trans.__('Kernel answered in %1 ms', Math.round(ms))}
      </div>
    );
  }

  private _trans: TranslationBundle;
  private _actions: IDevicePanelActions;
}

export namespace DevicePanelView {
  export interface IOptions {
    model: DevicePanelModel;
    trans: TranslationBundle;
    actions: IDevicePanelActions;
  }
}

/**
 * The "Environment" section: what the kernel's Python and PyTorch are.
 */
export class EnvironmentView extends VDomRenderer<DevicePanelModel> {
  constructor(options: EnvironmentView.IOptions) {
    super(options.model);
    this._trans = options.trans;
    this.addClass('jp-DeviceBench-section-environment');
    this.node.dataset.section = 'environment';
    this.title.label = this._trans.__('Environment');
  }

  protected render(): React.ReactElement {
    const report = this.model.report;
    return (
      <div className="jp-DeviceBench-content">
        {report ? (
          this._renderVersions(report)
        ) : (
          <p className="jp-DeviceBench-hint">
            {this._trans.__('The kernel has not reported its environment yet.')}
          </p>
        )}
      </div>
    );
  }

  private _renderVersions(report: IProbeReport): React.ReactElement {
    const trans = this._trans;
    const rows: [string, string | number | null | undefined][] = [
      [trans.__('Python'), report.python.version],
      [trans.__('Interpreter'), report.python.executable],
      [
        trans.__('PyTorch'),
        report.torch.installed
          ? report.torch.version
          : trans.__('not installed')
      ],
      [trans.__('Torch build'), report.environment?.torch_variant],
      [trans.__('Installed with'), report.environment?.torch_installer],
      [trans.__('Environment kind'), report.environment?.env_kind],
      [trans.__('Built for CUDA'), report.torch.cuda_build],
      [trans.__('NVIDIA driver'), report.cuda.driver_version],
      [trans.__('Driver supports CUDA'), report.cuda.driver_cuda_version],
      ...(report.cuda.nvml_gpus ?? []).map((gpu): [string, string] => [
        trans.__('NVIDIA GPU %1', gpu.index),
        gpu.capability
          ? trans.__('%1, compute capability %2', gpu.name, gpu.capability)
          : gpu.name
      ]),
      [trans.__('cuDNN'), report.torch.cudnn],
      [trans.__('ROCm (HIP)'), report.torch.hip],
      [trans.__('CPU'), report.cpu.model],
      [trans.__('Logical cores'), report.cpu.logical_cores],
      [
        trans.__('Torch threads'),
        report.torch.installed ? report.cpu.torch_threads : null
      ]
    ];
    return (
      <section
        className="jp-DeviceBench-section"
        aria-label={trans.__('Versions')}
      >
        <table className="jp-DeviceBench-versions">
          <tbody>
            {rows
              .filter(
                ([, value]) =>
                  value !== null && value !== undefined && value !== ''
              )
              .map(([label, value]) => (
                <tr key={label}>
                  <th scope="row">{label}</th>
                  <td>{String(value)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </section>
    );
  }

  private _trans: TranslationBundle;
}

export namespace EnvironmentView {
  export interface IOptions {
    model: DevicePanelModel;
    trans: TranslationBundle;
  }
}
