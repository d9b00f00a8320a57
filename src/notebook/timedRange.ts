/**
 * The timed range of a user's notebook: at most one cell tagged
 * `device-bench-start` and one tagged `device-bench-stop` (the headless
 * `time-notebook` and the one-click run read the same tags).
 */
import type { INotebookModel } from '@jupyterlab/notebook';
import { TIMED_START_TAG, TIMED_STOP_TAG } from '../common/contract';

export { TIMED_START_TAG, TIMED_STOP_TAG };

function tagsOf(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((t): t is string => typeof t === 'string')
    : [];
}

/**
 * Whether the cell at `index` carries `tag`.
 */
export function hasTag(
  model: INotebookModel,
  index: number,
  tag: string
): boolean {
  const cell = model.sharedModel.cells[index];
  return !!cell && tagsOf(cell.getMetadata('tags')).includes(tag);
}

/**
 * Put the start or stop tag on the cell at `index`, taking it off every
 * other cell (a notebook has at most one of each: tagging moves it); on a
 * cell that has it already, take it off (a toggle). Other tags are kept.
 * Returns whether the cell has the tag now.
 */
export function toggleRangeTag(
  model: INotebookModel,
  index: number,
  tag: typeof TIMED_START_TAG | typeof TIMED_STOP_TAG
): boolean {
  const cells = model.sharedModel.cells;
  if (index < 0 || index >= cells.length) {
    throw new RangeError(`No cell ${index + 1} in this notebook.`);
  }
  const on = !hasTag(model, index, tag);
  model.sharedModel.transact(() => {
    cells.forEach((cell, i) => {
      const tags = tagsOf(cell.getMetadata('tags'));
      const want = on && i === index;
      if (tags.includes(tag) === want) {
        return;
      }
      const next = want ? [...tags, tag] : tags.filter(t => t !== tag);
      if (next.length) {
        cell.setMetadata('tags', next);
      } else {
        cell.deleteMetadata('tags');
      }
    });
  });
  return on;
}
