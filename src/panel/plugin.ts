/**
 * The device panel in the left sidebar, and its commands.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ILayoutRestorer } from '@jupyterlab/application';
import { Clipboard, ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStateDB } from '@jupyterlab/statedb';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import {
  CommandToolbarButton,
  downloadIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONValue } from '@lumino/coreutils';
import type { Widget } from '@lumino/widgets';
import { chipIcon } from '../icons';
import { SETTINGS_ID, translateSettingsSchema } from '../settings';
import {
  CommandIDs,
  ICurrentKernelWidget,
  IDevicePanel,
  IDeviceProbe,
  TRANSLATION_DOMAIN
} from '../tokens';
import { DevicePanelModel } from './model';
import { DeviceSidebar } from './sidebar';
import { DevicePanelView, EnvironmentView } from './view';

/**
 * The state database key of the sidebar's collapsed sections.
 */
export const STATE_KEY = 'jupyterlab-device-bench:sidebar';

/**
 * The collapsed section keys saved in the state database, or null.
 */
export function readCollapsed(value: unknown): string[] | null {
  const list =
    value && typeof value === 'object' && !Array.isArray(value)
      ? (value as { collapsed?: unknown }).collapsed
      : undefined;
  return Array.isArray(list) && list.every(k => typeof k === 'string')
    ? (list as string[]).filter(k => /^[a-z][a-z0-9-]{0,40}$/.test(k))
    : null;
}

/**
 * The id of the panel widget (also its restorer key).
 */
export const PANEL_ID = 'jp-DeviceBench-panel';

export const panelPlugin: JupyterFrontEndPlugin<IDevicePanel> = {
  id: SETTINGS_ID,
  description: 'A sidebar panel that shows which devices the kernel can use.',
  autoStart: true,
  requires: [IDeviceProbe, ICurrentKernelWidget],
  provides: IDevicePanel,
  optional: [
    ITranslator,
    ILayoutRestorer,
    ICommandPalette,
    IStateDB,
    ISettingRegistry
  ],
  activate: (
    app: JupyterFrontEnd,
    probe: IDeviceProbe,
    current: ICurrentKernelWidget,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    state: IStateDB | null,
    settingRegistry: ISettingRegistry | null
  ): IDevicePanel => {
    // The Settings Editor's titles and descriptions in the UI language
    // (nothing to do in English).
    translateSettingsSchema(settingRegistry, translator, TRANSLATION_DOMAIN);
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const model = new DevicePanelModel(probe);
    const view = new DevicePanelView({
      model,
      trans,
      actions: {
        refresh: () => void app.commands.execute(CommandIDs.refresh),
        useDevice: device =>
          void app.commands.execute(CommandIDs.insertDeviceCell, { device }),
        copyFix: command =>
          void app.commands.execute(CommandIDs.copyFix, { command }),
        insertFixCell: cell =>
          void app.commands.execute(CommandIDs.insertFixCell, { cell }),
        restartAndCheck: expect =>
          void app.commands.execute(
            CommandIDs.restartAndCheck,
            expect ? { expect } : {}
          )
      }
    });
    const panel = new DeviceSidebar({
      model,
      title: trans.__('PyTorch devices'),
      translator: translator ?? undefined
    });
    panel.id = PANEL_ID;
    panel.title.icon = chipIcon;
    panel.title.caption = trans.__('PyTorch devices');
    panel.node.setAttribute('role', 'region');
    panel.node.setAttribute('aria-label', trans.__('PyTorch devices'));
    panel.toolbar.addItem(
      'refresh',
      new CommandToolbarButton({
        commands: app.commands,
        id: CommandIDs.refresh,
        icon: refreshIcon,
        label: ''
      })
    );
    // The report plugin registers the command; the button follows it.
    panel.toolbar.addItem(
      'export',
      new CommandToolbarButton({
        commands: app.commands,
        id: CommandIDs.exportReport,
        args: { format: 'html', download: true },
        icon: downloadIcon,
        label: ''
      })
    );
    // Toolbar buttons follow their command's state.
    model.stateChanged.connect(() => {
      app.commands.notifyCommandChanged(CommandIDs.refresh);
      app.commands.notifyCommandChanged(CommandIDs.restartAndCheck);
    });
    current.changed.connect(() => {
      if (app.commands.hasCommand(CommandIDs.exportReport)) {
        app.commands.notifyCommandChanged(CommandIDs.exportReport);
      }
    });
    panel.addWidget(view);
    const environment = new EnvironmentView({ model, trans });
    panel.addWidget(environment);
    panel.disposed.connect(() => model.dispose());

    // Which sections are collapsed survives a reload.
    if (state) {
      void Promise.all([state.fetch(STATE_KEY), app.restored])
        .then(([value]) => {
          const collapsed = readCollapsed(value);
          if (collapsed) {
            panel.setCollapsed(collapsed);
          }
        })
        .catch(reason => console.warn('device-bench: sidebar state', reason))
        .then(() => {
          panel.collapsedChanged.connect((_, collapsed) => {
            const value: ReadonlyPartialJSONValue = { collapsed };
            void state.save(STATE_KEY, value);
          });
        });
    }

    // The kernel of the notebook or console last made current.
    const follow = () =>
      model.setSession(
        current.current?.sessionContext ?? null,
        current.isNotebook
      );
    current.changed.connect(follow);
    follow();

    app.shell.add(panel, 'left', { rank: 700 });
    restorer?.add(panel, PANEL_ID);

    app.commands.addCommand(CommandIDs.openPanel, {
      label: trans.__('Show PyTorch Devices'),
      caption: trans.__('Open the device panel in the left sidebar'),
      icon: args => (args.isPalette ? undefined : chipIcon),
      describedBy: { args: { type: 'object', properties: {} } },
      execute: () => {
        app.shell.activateById(PANEL_ID);
      }
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Refresh PyTorch Devices'),
      caption: trans.__('Ask the kernel again which devices PyTorch can use'),
      icon: args => (args.isPalette ? undefined : refreshIcon),
      describedBy: { args: { type: 'object', properties: {} } },
      isEnabled: () => model.session !== null,
      execute: () => model.refresh(true)
    });
    app.commands.addCommand(CommandIDs.copyFix, {
      label: trans.__('Copy Fix Command'),
      caption: trans.__('Copy an install doctor command to the clipboard'),
      describedBy: {
        args: {
          type: 'object',
          properties: { command: { type: 'string' } },
          required: ['command']
        }
      },
      execute: args => {
        const command = validFixText(args.command);
        if (command === null) {
          throw new Error(trans.__('copy-fix needs {command: string}'));
        }
        Clipboard.copyToSystem(command);
      }
    });
    app.commands.addCommand(CommandIDs.insertFixCell, {
      label: trans.__('Insert Fix Cell'),
      caption: trans.__(
        'Insert an install doctor cell at the top of the notebook, without running it'
      ),
      describedBy: {
        args: {
          type: 'object',
          properties: { cell: { type: 'string' } },
          required: ['cell']
        }
      },
      isEnabled: () => !!current.currentNotebook,
      execute: args => {
        const cell = validFixCell(args.cell);
        const notebook = current.currentNotebook?.content.model;
        if (cell === null) {
          throw new Error(
            trans.__(
              'insert-fix-cell needs {cell: string} of %pip, %conda or !uv lines'
            )
          );
        }
        if (!notebook) {
          throw new Error(trans.__('No notebook is open.'));
        }
        // Through the notebook model only: the cell is placed, never run.
        notebook.sharedModel.insertCell(0, {
          cell_type: 'code',
          source: cell,
          metadata: { tags: ['device-bench-fix'] }
        });
      }
    });
    app.commands.addCommand(CommandIDs.restartAndCheck, {
      label: trans.__('Restart Kernel and Check Devices Again'),
      caption: trans.__(
        'Restart the kernel, ask it again which devices PyTorch can use and say whether the fix worked'
      ),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            expect: { type: 'string', pattern: '^(cpu|mps|(cuda|xpu):[0-9]+)$' }
          }
        }
      },
      isEnabled: () => model.session !== null,
      execute: async args => {
        const expect = args.expect;
        if (
          expect !== undefined &&
          (typeof expect !== 'string' ||
            !/^(cpu|mps|(cuda|xpu):[0-9]+)$/.test(expect))
        ) {
          throw new Error(
            trans.__(
              'restart-and-check: expect must be cpu, mps, cuda:N or xpu:N'
            )
          );
        }
        return model.restartAndCheck(expect ?? null);
      }
    });
    if (palette) {
      const category = trans.__('Device Bench');
      palette.addItem({ command: CommandIDs.restartAndCheck, category });
      palette.addItem({ command: CommandIDs.openPanel, category });
      palette.addItem({ command: CommandIDs.refresh, category });
    }
    // Below the devices and the environment (indexes 0 and 1), by rank.
    const fixed = panel.widgets.length;
    const sections: { widget: Widget; rank: number }[] = [];
    return {
      model,
      addSection: (widget: Widget, options = {}) => {
        const item = { widget, rank: options.rank ?? 500 };
        const after = sections.findIndex(other => other.rank > item.rank);
        const index = after < 0 ? sections.length : after;
        sections.splice(index, 0, item);
        panel.insertSection(index + fixed, widget);
        widget.disposed.connect(() =>
          sections.splice(sections.indexOf(item), 1)
        );
      }
    };
  }
};

/**
 * A fix command to copy: a non-empty string of reasonable length, or null.
 */
export function validFixText(value: unknown): string | null {
  return typeof value === 'string' && value.trim() && value.length <= 4000
    ? value
    : null;
}

/**
 * A fix cell to insert: only `%pip`, `%conda` and `!uv pip` lines, or null.
 */
export function validFixCell(value: unknown): string | null {
  const text = validFixText(value);
  if (text === null) {
    return null;
  }
  const lines = text.split('\n');
  return lines.every(line => /^(%pip |%conda |!uv pip )\S/.test(line))
    ? text
    : null;
}
