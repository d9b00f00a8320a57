/**
 * Renderers for the notebook's own mime types: the result document as a
 * compact table, the progress display as a progress bar. Text only
 * (`textContent`): notebook content is untrusted.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';
import { displayText } from '../report/escape';
import { formatAccuracy, formatRate, formatSeconds } from '../report/format';
import { PROGRESS_MIME, RESULT_MIME } from './record';

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  className?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) {
    node.textContent = text;
  }
  if (className) {
    node.className = className;
  }
  return node;
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * The rows of the result table: label and displayed value.
 */
export function resultRows(
  result: Record<string, unknown>
): [string, string][] {
  const data = record(result.data);
  const versions = record(result.versions);
  const cpu = record(result.cpu);
  const epochs = Array.isArray(result.epoch_seconds)
    ? result.epoch_seconds
    : [];
  const rows: [string, string][] = [
    [
      'Device',
      `${displayText(result.device, 40)} · ${displayText(result.device_name, 100)}`
    ],
    ['Profile', displayText(result.profile, 40)],
    [
      'Data',
      `${displayText(data.source, 40)} (${displayText(data.loader, 40)}), ${displayText(
        data.train_samples,
        20
      )} train / ${displayText(data.test_samples, 20)} test${data.repeated ? ', repeated' : ''}`
    ],
    ['Training', `${formatSeconds(result.train_seconds as number)} s`],
    [
      'Epochs',
      epochs
        .slice(0, 20)
        .map(e => formatSeconds(e as number))
        .join(', ')
    ],
    [
      'Steady epoch',
      `${formatSeconds(result.steady_epoch_seconds as number)} s`
    ],
    ['Samples/s', formatRate(result.samples_per_second as number)],
    [
      'Accuracy',
      formatAccuracy(result.accuracy as number) +
        (typeof result.accuracy_note === 'string'
          ? ` (${displayText(result.accuracy_note, 300)})`
          : '')
    ],
    [
      'Versions',
      `torch ${displayText(versions.torch, 40)}, CUDA ${displayText(
        versions.cuda ?? '—',
        20
      )}, cuDNN ${displayText(versions.cudnn ?? '—', 20)}`
    ],
    [
      'CPU',
      `${displayText(cpu.model, 100)}, ${displayText(cpu.threads, 10)} threads`
    ]
  ];
  return rows;
}

class ResultRenderer extends Widget implements IRenderMime.IRenderer {
  constructor() {
    super();
    this.addClass('jp-DeviceBench-result');
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const result = record(model.data[RESULT_MIME]);
    const table = el('table', undefined, 'jp-DeviceBench-resultTable');
    const body = el('tbody');
    for (const [label, value] of resultRows(result)) {
      const row = el('tr');
      row.append(el('th', label), el('td', value));
      body.append(row);
    }
    table.append(body);
    this.node.replaceChildren(table);
    return Promise.resolve();
  }
}

/**
 * The progress display. Updated in place (JupyterLab reuses the renderer for
 * `update_display_data`): the same two nodes get a new value and text, and
 * the output's size never changes, so an update repaints one line instead
 * of re-laying out the notebook while the benchmark is being timed.
 */
class ProgressRenderer extends Widget implements IRenderMime.IRenderer {
  constructor() {
    super();
    this.addClass('jp-DeviceBench-progressOutput');
    this._bar.max = 1;
    this.node.append(this._bar, this._text);
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const p = record(model.data[PROGRESS_MIME]);
    const steps = Number(p.steps) || 0;
    const epochs = Number(p.epochs) || 0;
    const done =
      epochs && steps
        ? ((Number(p.epoch) - 1) * steps + Number(p.step)) / (epochs * steps)
        : 0;
    this._bar.value = Math.min(1, Math.max(0, done || 0));
    const text = displayText(model.data['text/plain'], 200);
    if (this._text.textContent !== text) {
      this._text.textContent = text;
      this._text.title = text;
    }
    return Promise.resolve();
  }

  private _bar = el('progress');
  private _text = el('span');
}

export const resultRendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [RESULT_MIME],
  createRenderer: () => new ResultRenderer()
};

export const progressRendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [PROGRESS_MIME],
  createRenderer: () => new ProgressRenderer()
};
