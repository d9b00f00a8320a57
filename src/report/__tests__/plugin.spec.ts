/**
 * The report commands: what an export leaves out (warnings, invalid run
 * records) is shown in a warning notification, never dropped silently.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, Notification } from '@jupyterlab/apputils';
import { NotebookModel, type INotebookTracker } from '@jupyterlab/notebook';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { golden } from '../../__tests__/golden';
import { METADATA_KEY } from '../../common/contract';
import { CommandIDs, type ICurrentKernelWidget } from '../../tokens';
import { validRun as fixtureRun } from './fixtures/build';
import {
  leftOutDetails,
  leftOutMessage,
  reportPlugin,
  type ReportCommandResult
} from '../plugin';

const trans = nullTranslator.load('jupyterlab_device_bench');

function validRun(id: string, overrides: Record<string, unknown> = {}) {
  return fixtureRun({ id, ...overrides });
}

describe('leftOutMessage', () => {
  it('says nothing when nothing was left out', () => {
    expect(
      leftOutMessage({ path: 'a.json', warnings: [], invalid: [] }, trans)
    ).toBeNull();
  });

  it('counts warnings and invalid run records', () => {
    expect(
      leftOutMessage(
        {
          path: 'dir/bench-report.json',
          warnings: ['w1', 'w2'],
          invalid: [{ source: 'a.ipynb', index: 0, reason: 'missing id' }]
        },
        trans
      )
    ).toBe(
      'bench-report.json written with 2 warnings and 1 invalid run record left out.'
    );
    expect(
      leftOutMessage(
        {
          path: 'r.csv',
          warnings: [],
          invalid: [
            { source: 'a', index: 0, reason: 'x' },
            { source: 'a', index: 1, reason: 'y' }
          ]
        },
        trans
      )
    ).toBe('r.csv written with 2 invalid run records left out.');
    expect(
      leftOutMessage({ path: 'r.md', warnings: ['w'], invalid: [] }, trans)
    ).toBe('r.md written with 1 warning.');
  });

  it('stays short whatever the path', () => {
    const message = leftOutMessage(
      { path: `${'x'.repeat(10_000)}.json`, warnings: ['w'], invalid: [] },
      trans
    )!;
    expect(message.length).toBeLessThanOrEqual(140);
  });
});

describe('leftOutDetails', () => {
  it('lists warnings, then invalid records with source, index and reason', () => {
    expect(
      leftOutDetails(
        {
          warnings: ['w\nwith a line break'],
          invalid: [
            { source: 'a.ipynb', index: 3, reason: 'missing id' },
            { source: 'b.json', index: -1, reason: 'runs must be an array' }
          ]
        },
        trans
      )
    ).toEqual([
      'w with a line break',
      'a.ipynb, run 3: missing id',
      'b.json: runs must be an array'
    ]);
  });

  it('is capped', () => {
    const lines = leftOutDetails(
      { warnings: Array.from({ length: 250 }, (_, i) => `w${i}`), invalid: [] },
      trans
    );
    expect(lines).toHaveLength(101);
    expect(lines[100]).toBe('… and 150 more.');
  });
});

describe('report commands', () => {
  let commands: CommandRegistry;
  let model: NotebookModel;
  let saved: Map<string, string>;
  let files: Map<string, { type: string; content: unknown }>;
  let warning: jest.SpyInstance;

  beforeEach(() => {
    commands = new CommandRegistry();
    model = new NotebookModel();
    saved = new Map();
    files = new Map();
    const contents = {
      save: async (path: string, options: { content: string }) => {
        saved.set(path, options.content);
        return {};
      },
      get: async (path: string) => {
        const file = files.get(path);
        if (!file) {
          throw new Error(`no ${path}`);
        }
        return file;
      }
    };
    const app = {
      commands,
      serviceManager: { contents }
    } as unknown as JupyterFrontEnd;
    const notebooks = {
      currentWidget: {
        content: { model },
        context: { path: 'dir/bench.ipynb' }
      },
      currentChanged: { connect: () => undefined }
    } as unknown as INotebookTracker;
    const current = {
      get currentNotebook() {
        return notebooks.currentWidget;
      },
      changed: { connect: () => undefined }
    } as unknown as ICurrentKernelWidget;
    reportPlugin.activate(app, notebooks, current, null, null, null, null);
    warning = jest.spyOn(Notification, 'warning');
  });

  afterEach(() => {
    warning.mockRestore();
    Dialog.flush();
    model.dispose();
  });

  it('export-report shows the invalid runs it left out and writes them', async () => {
    model.setMetadata(METADATA_KEY, {
      schema_version: 1,
      runs: [validRun('good'), { id: 'broken' }]
    });
    const result = (await commands.execute(CommandIDs.exportReport, {
      format: 'json'
    })) as ReportCommandResult;
    expect(result).toMatchObject({ ok: true, runs: 1 });
    expect(result.ok && result.invalid).toEqual([
      {
        source: 'bench.ipynb',
        index: 1,
        reason: expect.stringMatching(/^missing status/)
      }
    ]);
    expect(warning).toHaveBeenCalledTimes(1);
    const [message, options] = warning.mock.calls[0];
    expect(message).toBe(
      'bench-report.json written with 1 warning and 1 invalid run record left out.'
    );
    const json = JSON.parse(saved.get('dir/bench-report.json')!);
    expect(json.invalid).toEqual(result.ok && result.invalid);
    expect(json.warnings).toEqual(result.ok && result.warnings);

    // The details, one click away, as text.
    options.actions[0].callback(new Event('click'));
    await new Promise(resolve => setTimeout(resolve, 0));
    const dialog = document.body.querySelector('.jp-Dialog');
    expect(dialog?.textContent).toContain('bench.ipynb, run 1: missing status');
    expect(dialog?.querySelectorAll('li')).toHaveLength(2);
  });

  it('export-report says nothing when nothing was left out', async () => {
    model.setMetadata(METADATA_KEY, {
      schema_version: 1,
      runs: [validRun('good')]
    });
    const result = (await commands.execute(CommandIDs.exportReport, {
      format: 'csv'
    })) as ReportCommandResult;
    expect(result).toMatchObject({ ok: true, runs: 1, warnings: [] });
    expect(warning).not.toHaveBeenCalled();
  });

  it('merge-reports shows what it left out', async () => {
    files.set('a.ipynb', {
      type: 'notebook',
      content: {
        cells: [],
        metadata: {
          device_bench: {
            schema_version: 1,
            runs: [validRun('a1'), validRun('a2', { train_seconds: 'slow' })]
          }
        }
      }
    });
    files.set('b.json', { type: 'file', content: 'not json' });
    const result = (await commands.execute(CommandIDs.mergeReports, {
      paths: ['a.ipynb', 'b.json'],
      format: 'markdown',
      path: 'merged.md'
    })) as ReportCommandResult;
    expect(result).toMatchObject({ ok: true, runs: 1, path: 'merged.md' });
    expect(warning).toHaveBeenCalledTimes(1);
    expect(warning.mock.calls[0][0]).toBe(
      'merged.md written with 2 warnings and 1 invalid run record left out.'
    );
    expect(saved.has('merged.md')).toBe(true);
  });

  it('merge-reports reads notebooks plain papermill executed', async () => {
    // Real papermill output, trimmed (the golden fixture shared with pytest).
    const fixture = golden<{
      cases: { name: string; notebook: unknown; record?: unknown }[];
    }>('papermill.json');
    const [ok, failed] = [
      'ok: the machine_label parameter',
      'failed in training: the device from the machine cell'
    ].map(name => fixture.cases.find(c => c.name === name)!);
    files.set('out.ipynb', { type: 'notebook', content: ok.notebook });
    // Another papermill run (its own start time, so its own id).
    const other = JSON.parse(JSON.stringify(failed.notebook)) as {
      metadata: { papermill: { start_time: string } };
    };
    other.metadata.papermill.start_time = '2026-12-02T05:00:00.000001+00:00';
    files.set('failed.ipynb', { type: 'notebook', content: other });
    const result = (await commands.execute(CommandIDs.mergeReports, {
      paths: ['out.ipynb', 'failed.ipynb', 'out.ipynb'],
      format: 'json',
      path: 'merged.json'
    })) as ReportCommandResult;
    expect(result).toMatchObject({ ok: true, runs: 2, path: 'merged.json' });
    const json = JSON.parse(saved.get('merged.json')!);
    expect(json.runs).toEqual([
      ok.record,
      {
        ...(failed.record as object),
        id: 'papermill:2026-12-02T05:00:00.000001+00:00',
        started_at: '2026-12-02T05:00:00Z'
      }
    ]);
    expect(json.runs.map((run: { source: string }) => run.source)).toEqual([
      'papermill',
      'papermill'
    ]);
    expect(json.invalid).toEqual([]);
  });
});
