/**
 * The bundled benchmark notebook opened in a real server, for the driver's
 * integration specs and the fault suite: a document context with a session
 * on the test kernel, a notebook panel over it, and what its file on disk
 * holds.
 */
import { Context } from '@jupyterlab/docregistry';
import {
  type INotebookModel,
  NotebookModelFactory,
  type NotebookPanel
} from '@jupyterlab/notebook';
import { NBTestUtils } from '@jupyterlab/notebook/lib/testutils';
import type { ServiceManager } from '@jupyterlab/services';
import type { PartialJSONObject } from '@lumino/coreutils';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { METADATA_KEY } from '../common/contract';
import { KERNEL } from './server';

/**
 * The bundled notebook's JSON.
 */
export const NOTEBOOK = JSON.parse(
  fs.readFileSync(
    path.resolve(__dirname, '..', '..', 'notebooks', 'mnist_bench.ipynb'),
    'utf8'
  )
);

/**
 * Save `content` (the bundled notebook by default) as `name` and open it
 * with a started kernel.
 */
export async function openNotebook(
  manager: ServiceManager.IManager,
  name: string,
  content: PartialJSONObject = NOTEBOOK
): Promise<NotebookPanel> {
  await manager.contents.save(name, {
    type: 'notebook',
    format: 'json',
    content
  });
  const context = new Context<INotebookModel>({
    manager,
    factory: new NotebookModelFactory(),
    path: name,
    kernelPreference: { name: KERNEL, shouldStart: true, canStart: true }
  });
  await context.initialize(false);
  await context.sessionContext.initialize();
  await context.sessionContext.ready;
  return NBTestUtils.createNotebookPanel(context);
}

/**
 * The notebook's `metadata.device_bench` as saved on disk.
 */
export async function savedMetadata(
  manager: ServiceManager.IManager,
  name: string
): Promise<unknown> {
  const file = await manager.contents.get(name, {
    type: 'notebook',
    content: true
  });
  return (file.content as { metadata: Record<string, unknown> }).metadata[
    METADATA_KEY
  ];
}

/**
 * The run records saved on disk.
 */
export async function savedRuns(
  manager: ServiceManager.IManager,
  name: string
): Promise<PartialJSONObject[]> {
  const metadata = (await savedMetadata(manager, name)) as
    { runs?: PartialJSONObject[] } | undefined;
  return metadata?.runs ?? [];
}

/**
 * Close the panel and shut its kernel down.
 */
export function closeNotebook(panel: NotebookPanel): Promise<void> {
  const context = panel.context;
  panel.dispose();
  return context.sessionContext.shutdown().finally(() => context.dispose());
}

/**
 * The index of the bundled notebook's cell tagged `tag` in an open panel.
 */
export function taggedIndex(panel: NotebookPanel, tag: string): number {
  return panel.content.model!.sharedModel.cells.findIndex(cell => {
    const tags = cell.getMetadata('tags');
    return Array.isArray(tags) && tags.includes(tag);
  });
}

/**
 * What an ok MNIST run's breakdown must say (issue 16 item 4): every code
 * cell timed, the training cell among them, positive seconds whose sum is at
 * least the notebook's own train_seconds, and peak memory.
 */
export function expectMnistBreakdown(
  panel: NotebookPanel,
  record: Record<string, unknown>
): void {
  const cells = record.cells as {
    index: number;
    label: string;
    status: string;
    seconds: number;
  }[];
  const code = panel.content.model!.sharedModel.cells.flatMap((cell, i) =>
    cell.cell_type === 'code' && cell.getSource().trim() ? [i] : []
  );
  expect(cells.map(cell => cell.index)).toEqual(code);
  const train = taggedIndex(panel, 'device-bench-train');
  expect(train).toBeGreaterThan(0);
  const trainCell = cells.find(cell => cell.index === train)!;
  expect(trainCell).toMatchObject({ status: 'ok', label: `cell ${train + 1}` });
  const trainSeconds = record.train_seconds as number;
  expect(trainCell.seconds).toBeGreaterThanOrEqual(trainSeconds);
  for (const cell of cells) {
    expect(cell.status).toBe('ok');
    expect(cell.seconds).toBeGreaterThan(0);
  }
  const sum = cells.reduce((total, cell) => total + cell.seconds, 0);
  expect(sum).toBeGreaterThanOrEqual(trainSeconds);
  const peak = record.peak_memory as Record<string, number>;
  expect(peak.peak_rss_bytes).toBeGreaterThan(0);
}
