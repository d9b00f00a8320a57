/**
 * The device picker's command: insert or update the notebook's device cell.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { CodeCell } from '@jupyterlab/cells';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { timerStartIcon, timerStopIcon } from '../icons';
import { followSettings } from '../settings';
import { CommandIDs, IDeviceProbe, TRANSLATION_DOMAIN } from '../tokens';
import { setDeviceCell, validateDevice } from './deviceCell';
import {
  hasTag,
  TIMED_START_TAG,
  TIMED_STOP_TAG,
  toggleRangeTag
} from './timedRange';
import { deviceCellErrorText } from './errortext';

/**
 * What the insert command returns (to other extensions and tests).
 */
export type InsertDeviceCellResult =
  | {
      ok: true;
      device: string;
      index: number;
      created: boolean;
      staleBelow: boolean;
    }
  | { ok: false; error: string };

export const deviceCellPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-device-bench:device-cell',
  description:
    'Inserts or updates the notebook cell that selects the PyTorch device.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [IDeviceProbe, ISettingRegistry, ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    probe: IDeviceProbe | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    let runAfterInsert = false;
    followSettings(settingRegistry, settings => {
      runAfterInsert = settings.get('deviceCellExecution').composite === 'run';
    });

    const fail = (error: string): InsertDeviceCellResult => {
      Notification.error(deviceCellErrorText(trans, error), {
        autoClose: 8000
      });
      return { ok: false, error };
    };

    app.commands.addCommand(CommandIDs.insertDeviceCell, {
      label: args =>
        typeof args.device === 'string'
          ? trans.__('Use Device %1 in This Notebook', args.device)
          : trans.__('Insert Device Cell'),
      caption: trans.__(
        'Insert or update the one cell that sets `device` (tagged device-bench-device)'
      ),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            device: {
              type: 'string',
              description: 'auto, cpu, mps, cuda, cuda:N, xpu or xpu:N'
            }
          }
        }
      },
      isEnabled: () => notebooks.currentWidget !== null,
      execute: async args => {
        const device = validateDevice(args.device ?? 'auto');
        if (!device) {
          return fail(
            trans.__(
              '"%1" is not a device the picker accepts (auto, cpu, mps, cuda, cuda:N, xpu, xpu:N). The notebook was not changed.',
              String(args.device).slice(0, 40)
            )
          );
        }
        const panel = notebooks.currentWidget;
        const model = panel?.content.model;
        if (!panel || !model) {
          return fail(trans.__('Open a notebook to choose its device.'));
        }
        const kernel = panel.sessionContext.session?.kernel;
        const outcome = kernel ? probe?.cached(kernel.id) : undefined;
        const label =
          outcome?.kind === 'ready'
            ? (outcome.report.devices.find(d => d.id === device)?.name ?? '')
            : '';
        let result;
        try {
          result = setDeviceCell(model, device, label ?? '');
        } catch (error) {
          return fail((error as Error).message);
        }
        if (runAfterInsert) {
          const cell = panel.content.widgets[result.index];
          if (cell instanceof CodeCell) {
            void CodeCell.execute(cell, panel.sessionContext);
          }
        }
        if (result.staleBelow) {
          Notification.warning(
            trans.__(
              'The device is now %1. Cells below the device cell already ran with the old device: re-run them.',
              device
            ),
            { autoClose: 8000 }
          );
        }
        return { ok: true, device, ...result } satisfies InsertDeviceCellResult;
      }
    });

    // The timed range of a user's notebook, from the cell toolbar and the
    // cell context menu (schema/plugin.json): the active cell gets the tag.
    const rangeCommands = [
      {
        id: CommandIDs.tagStart,
        tag: TIMED_START_TAG,
        label: trans.__('Start Timing Here'),
        caption: trans.__(
          'Time the notebook from this cell on when it runs on every device (tag device-bench-start; again to remove)'
        )
      },
      {
        id: CommandIDs.tagStop,
        tag: TIMED_STOP_TAG,
        label: trans.__('Stop Timing Here'),
        caption: trans.__(
          'Time the notebook up to this cell, and run nothing after it, when it runs on every device (tag device-bench-stop; again to remove)'
        )
      }
    ];
    for (const command of rangeCommands) {
      app.commands.addCommand(command.id, {
        label: command.label,
        caption: command.caption,
        icon: command.tag === TIMED_START_TAG ? timerStartIcon : timerStopIcon,
        describedBy: { args: { type: 'object', properties: {} } },
        isEnabled: () =>
          !!notebooks.currentWidget?.content.model &&
          notebooks.activeCell?.model.type === 'code',
        isToggled: () => {
          const panel = notebooks.currentWidget;
          const model = panel?.content.model;
          return (
            !!model &&
            hasTag(model, panel!.content.activeCellIndex, command.tag)
          );
        },
        execute: () => {
          const panel = notebooks.currentWidget;
          const model = panel?.content.model;
          if (!panel || !model || panel.content.activeCellIndex < 0) {
            return false;
          }
          const on = toggleRangeTag(
            model,
            panel.content.activeCellIndex,
            command.tag as typeof TIMED_START_TAG
          );
          app.commands.notifyCommandChanged(command.id);
          return on;
        }
      });
    }
    notebooks.activeCellChanged.connect(() => {
      for (const command of rangeCommands) {
        app.commands.notifyCommandChanged(command.id);
      }
    });

    if (palette) {
      for (const command of rangeCommands) {
        palette.addItem({
          command: command.id,
          category: trans.__('Device Bench')
        });
      }
      palette.addItem({
        command: CommandIDs.insertDeviceCell,
        args: { device: 'auto' },
        category: trans.__('Device Bench')
      });
    }
  }
};
