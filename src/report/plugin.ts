/**
 * Timing reports: export the current notebook's runs, merge several
 * notebooks and reports.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import {
  ITranslator,
  nullTranslator,
  type TranslationBundle
} from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { followSettings } from '../settings';
import {
  CommandIDs,
  ICurrentKernelWidget,
  IDevicePanel,
  TRANSLATION_DOMAIN
} from '../tokens';
import { METADATA_KEY } from '../common/contract';
import {
  FORMATS,
  isReportFormat,
  readSources,
  reportPath,
  writeReport,
  type IExportResult
} from './exporter';
import { displayText } from '../common/escape';
import { sourceFromRead } from './merge';
import { RecordedRunsModel } from './model';
import { readDeviceBench } from '../records/validate';
import { RecordedRunsView } from './view';
import { reportErrorText } from './errortext';

export type ReportCommandResult =
  ({ ok: true } & IExportResult) | { ok: false; error: string };

/**
 * How many lines the details of a notification list (then "… and N more").
 */
const MAX_DETAILS = 100;

/**
 * What an export left out (warnings, invalid run records) in one short
 * sentence, or null when it left out nothing.
 */
export function leftOutMessage(
  result: Pick<IExportResult, 'path' | 'warnings' | 'invalid'>,
  trans: TranslationBundle
): string | null {
  const parts: string[] = [];
  if (result.warnings.length) {
    parts.push(trans._n('%1 warning', '%1 warnings', result.warnings.length));
  }
  if (result.invalid.length) {
    parts.push(
      trans._n(
        '%1 invalid run record left out',
        '%1 invalid run records left out',
        result.invalid.length
      )
    );
  }
  if (!parts.length) {
    return null;
  }
  return trans.__(
    '%1 written with %2.',
    displayText(PathExt.basename(result.path), 60),
    parts.join(trans.__(' and '))
  );
}

/**
 * The lines of the details dialog: every warning, then every invalid run
 * record (source, index and reason), cleaned and capped.
 */
export function leftOutDetails(
  result: Pick<IExportResult, 'warnings' | 'invalid'>,
  trans: TranslationBundle
): string[] {
  const lines = [
    ...result.warnings.map(warning => displayText(warning, 300)),
    ...result.invalid.map(entry =>
      entry.index >= 0
        ? trans.__(
            '%1, run %2: %3',
            displayText(entry.source, 80),
            entry.index,
            displayText(entry.reason, 300)
          )
        : trans.__(
            '%1: %2',
            displayText(entry.source, 80),
            displayText(entry.reason, 300)
          )
    )
  ];
  if (lines.length > MAX_DETAILS) {
    const more = lines.length - MAX_DETAILS;
    return [...lines.slice(0, MAX_DETAILS), trans.__('… and %1 more.', more)];
  }
  return lines;
}

/**
 * Show a warning notification when an export left something out, with the
 * details one click away. Returns the notification id, or null when there
 * was nothing to say.
 */
export function notifyLeftOut(
  result: Pick<IExportResult, 'path' | 'warnings' | 'invalid'>,
  trans: TranslationBundle
): string | null {
  const message = leftOutMessage(result, trans);
  if (message === null) {
    return null;
  }
  const lines = leftOutDetails(result, trans);
  return Notification.warning(message, {
    autoClose: 10000,
    actions: [
      {
        label: trans.__('Details'),
        caption: trans.__('Show what the report left out'),
        callback: () => {
          // Text nodes only: warnings and reasons hold notebook text.
          const body = new Widget();
          const list = document.createElement('ul');
          for (const line of lines) {
            const item = document.createElement('li');
            item.textContent = line;
            list.appendChild(item);
          }
          body.node.appendChild(list);
          showDialog({
            title: trans.__('What the report left out'),
            body,
            buttons: [Dialog.okButton({ label: trans.__('Close') })]
          }).catch(() => undefined); // disposed without an answer
        }
      }
    ]
  });
}

export const reportPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-device-bench:report',
  description: 'Exports and merges benchmark timing reports.',
  autoStart: true,
  requires: [INotebookTracker, ICurrentKernelWidget],
  optional: [IDevicePanel, ISettingRegistry, ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker,
    current: ICurrentKernelWidget,
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
      Notification.error(reportErrorText(trans, error), { autoClose: 8000 });
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
          notifyLeftOut(result, trans);
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
          notifyLeftOut(result, trans);
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
      const follow = () => model.setNotebook(current.currentNotebook);
      follow();
      current.changed.connect(follow);
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
