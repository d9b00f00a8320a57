/**
 * Timing reports: export the current notebook's runs, merge several
 * notebooks and reports.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { followSettings } from '../settings';
import {
  CommandIDs,
  IDevicePanel,
  METADATA_KEY,
  TRANSLATION_DOMAIN
} from '../tokens';
import {
  FORMATS,
  isReportFormat,
  readSources,
  reportPath,
  writeReport,
  type IExportResult
} from './exporter';
import { sourceFromRead } from './merge';
import { RecordedRunsModel } from './model';
import { readDeviceBench } from './validate';
import { RecordedRunsView } from './view';

export type ReportCommandResult =
  ({ ok: true } & IExportResult) | { ok: false; error: string };

export const reportPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-device-bench:report',
  description: 'Exports and merges benchmark timing reports.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [IDevicePanel, ISettingRegistry, ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    devicePanel: IDevicePanel | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    const contents = app.serviceManager.contents;
    let includeReference = false;
    followSettings(settingRegistry, settings => {
      includeReference = settings.get('includeReference').composite === true;
    });
    const fail = (error: string): ReportCommandResult => {
      Notification.error(error, { autoClose: 8000 });
      return { ok: false, error };
    };
    const formatArg = (value: unknown) =>
      value === undefined ? 'html' : value;
    const reference = (value: unknown) =>
      typeof value === 'boolean' ? value : includeReference;

    app.commands.addCommand(CommandIDs.exportReport, {
      label: args =>
        isReportFormat(args.format)
          ? trans.__('Export Timing Report (%1)', args.format.toUpperCase())
          : trans.__('Export Timing Report'),
      caption: trans.__(
        'Write the runs recorded in this notebook as a report next to it'
      ),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            format: { type: 'string', enum: [...FORMATS] },
            path: { type: 'string' },
            includeReference: { type: 'boolean' },
            download: { type: 'boolean' }
          }
        }
      },
      isEnabled: () => notebooks.currentWidget !== null,
      execute: async args => {
        const format = formatArg(args.format);
        if (!isReportFormat(format)) {
          return fail(
            trans.__('Unknown report format (use %1).', FORMATS.join(', '))
          );
        }
        const panel = notebooks.currentWidget;
        const model = panel?.content.model;
        if (!panel || !model) {
          return fail(trans.__('Open a notebook with recorded runs first.'));
        }
        const read = readDeviceBench(model.getMetadata(METADATA_KEY));
        const name = PathExt.basename(panel.context.path);
        const path =
          typeof args.path === 'string'
            ? args.path
            : reportPath(panel.context.path, format);
        try {
          const result = await writeReport(
            contents,
            [sourceFromRead(name, read)],
            format,
            path,
            {
              includeReference: reference(args.includeReference),
              download: args.download === true
            }
          );
          return { ok: true, ...result } satisfies ReportCommandResult;
        } catch (error) {
          return fail((error as Error).message);
        }
      }
    });

    app.commands.addCommand(CommandIDs.mergeReports, {
      label: trans.__('Merge Timing Reports'),
      caption: trans.__(
        'Combine the runs of several notebooks and JSON reports into one report'
      ),
      describedBy: {
        args: {
          type: 'object',
          properties: {
            paths: { type: 'array', items: { type: 'string' } },
            format: { type: 'string', enum: [...FORMATS] },
            path: { type: 'string' },
            includeReference: { type: 'boolean' }
          },
          required: ['paths']
        }
      },
      execute: async args => {
        const paths = Array.isArray(args.paths)
          ? (args.paths as unknown[]).map(String)
          : [];
        if (!paths.length) {
          return fail(
            trans.__('Give the notebooks and reports to merge (paths).')
          );
        }
        const format = formatArg(args.format);
        if (!isReportFormat(format)) {
          return fail(
            trans.__('Unknown report format (use %1).', FORMATS.join(', '))
          );
        }
        const path =
          typeof args.path === 'string'
            ? args.path
            : reportPath(
                PathExt.join(PathExt.dirname(paths[0]), 'merged.ipynb'),
                format
              );
        try {
          const sources = await readSources(contents, paths);
          const result = await writeReport(contents, sources, format, path, {
            includeReference: reference(args.includeReference)
          });
          return { ok: true, ...result } satisfies ReportCommandResult;
        } catch (error) {
          return fail((error as Error).message);
        }
      }
    });

    if (devicePanel) {
      // The current notebook's recorded runs, below the benchmark section.
      const model = new RecordedRunsModel();
      const view = new RecordedRunsView({
        model,
        trans,
        exportReport: format =>
          void app.commands.execute(CommandIDs.exportReport, {
            format,
            download: true
          })
      });
      view.disposed.connect(() => model.dispose());
      devicePanel.addSection(view, { rank: 200 });
      model.setNotebook(notebooks.currentWidget);
      notebooks.currentChanged.connect((_, panel) => model.setNotebook(panel));
    }

    if (palette) {
      const category = trans.__('Device Bench');
      for (const format of FORMATS) {
        palette.addItem({
          command: CommandIDs.exportReport,
          args: { format },
          category
        });
      }
    }
  }
};
