/**
 * The "Recorded runs" model over real notebook models: it follows the
 * metadata of the notebook it is given, and only that one.
 */
import { NotebookModel, type NotebookPanel } from '@jupyterlab/notebook';
import { METADATA_KEY } from '../../common/contract';
import { RecordedRunsModel } from '../model';
import { readJson } from './fixtures/build';

function panelWith(model: NotebookModel): NotebookPanel {
  return { model } as unknown as NotebookPanel;
}

describe('RecordedRunsModel', () => {
  let model: RecordedRunsModel;
  let workstation: NotebookModel;
  let empty: NotebookModel;

  beforeEach(() => {
    model = new RecordedRunsModel();
    workstation = new NotebookModel();
    workstation.setMetadata(
      METADATA_KEY,
      readJson('workstation.device_bench.json') as any
    );
    empty = new NotebookModel();
  });

  afterEach(() => {
    model.dispose();
    workstation.dispose();
    empty.dispose();
  });

  it('reads the followed notebook, valid runs and invalid entries', () => {
    model.setNotebook(panelWith(workstation));
    expect(model.recorded.runs).toHaveLength(6);
    expect(model.recorded.invalid).toHaveLength(1);
    model.setNotebook(panelWith(empty));
    expect(model.recorded.runs).toHaveLength(0);
    expect(model.recorded.invalid).toHaveLength(0);
  });

  it('follows metadata changes of that notebook only', () => {
    const panel = panelWith(empty);
    model.setNotebook(panel);
    let changes = 0;
    model.stateChanged.connect(() => changes++);
    empty.setMetadata('kernelspec', { name: 'python3' });
    expect(changes).toBe(0);
    empty.setMetadata(METADATA_KEY, {
      schema_version: 1,
      runs: [{ id: 'broken' }]
    });
    expect(changes).toBe(1);
    expect(model.recorded.invalid).toHaveLength(1);

    model.setNotebook(null);
    changes = 0;
    empty.setMetadata(METADATA_KEY, { schema_version: 1, runs: [] });
    expect(changes).toBe(0);
    expect(model.recorded.invalid).toHaveLength(0);
  });

  it('finds nothing to show where only the device picker was used', () => {
    empty.setMetadata(METADATA_KEY, { device: 'cuda:0' });
    model.setNotebook(panelWith(empty));
    expect(model.recorded).toEqual({
      runs: [],
      invalid: [],
      schemaVersion: null,
      problems: [],
      sources: []
    });
  });

  it('keeps its reference toggle across notebooks', () => {
    model.showReference = true;
    model.setNotebook(panelWith(workstation));
    expect(model.showReference).toBe(true);
  });
});
