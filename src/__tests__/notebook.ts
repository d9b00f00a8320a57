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
