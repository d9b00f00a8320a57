/**
 * jupyterlab-device-bench: plugin wiring only.
 */
import type { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { benchmarkPlugin } from './benchmark/plugin';
import { currentKernelWidgetPlugin, probePlugin } from './kernel/plugin';
import { deviceCellPlugin } from './notebook/plugin';
import { panelPlugin } from './panel/plugin';
import { reportPlugin } from './report/plugin';

export * from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [
  probePlugin,
  currentKernelWidgetPlugin,
  panelPlugin,
  deviceCellPlugin,
  benchmarkPlugin,
  reportPlugin
];

export default plugins;
