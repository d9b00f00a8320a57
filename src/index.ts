/**
 * jupyterlab-device-bench: plugin wiring only.
 */
import type { JupyterFrontEndPlugin } from '@jupyterlab/application';
import { probePlugin } from './kernel/plugin';
import { deviceCellPlugin } from './notebook/plugin';
import { panelPlugin } from './panel/plugin';

export * from './tokens';

const plugins: JupyterFrontEndPlugin<any>[] = [
  probePlugin,
  panelPlugin,
  deviceCellPlugin
];

export default plugins;
