import { NotebookModel } from '@jupyterlab/notebook';
import { DEVICE_CELL_TAG, METADATA_KEY } from '../../common/contract';
import {
  deviceCellInsertIndex,
  deviceCellSource,
  findTaggedCell,
  InvalidDeviceError,
  sanitizeLabel,
  setDeviceCell,
  validateDevice
} from '../deviceCell';
import { MalformedMetadataError } from '../../records';

function notebook(
  cells: { source: string; tags?: string[]; executionCount?: number }[]
) {
  const model = new NotebookModel();
  cells.forEach((cell, i) => {
    model.sharedModel.insertCell(i, {
      cell_type: 'code',
      source: cell.source,
      execution_count: cell.executionCount ?? null,
      metadata: cell.tags ? { tags: cell.tags } : {}
    });
  });
  return model;
}

function sources(model: NotebookModel): string[] {
  return model.sharedModel.cells.map(c => c.getSource());
}

describe('validateDevice', () => {
  it.each(['auto', 'cpu', 'mps', 'cuda', 'cuda:0', 'cuda:12', 'xpu', 'xpu:1'])(
    'accepts %s',
    device => {
      expect(validateDevice(device)).toBe(device);
    }
  );

  it.each([
    '',
    'CPU',
    'cuda:',
    'cuda:01',
    'cuda:1234',
    'gpu',
    'cuda:0\nimport os',
    'cuda:0"); os.system("x',
    ' cpu',
    'cpu ',
    'mps:0'
  ])('refuses %j', device => {
    expect(validateDevice(device)).toBeNull();
  });

  it('refuses non-strings', () => {
    expect(validateDevice(0)).toBeNull();
    expect(validateDevice(undefined)).toBeNull();
    expect(validateDevice({ device: 'cpu' })).toBeNull();
  });
});

describe('sanitizeLabel', () => {
  it('keeps a plain GPU name', () => {
    expect(sanitizeLabel('NVIDIA GeForce RTX 3070 Ti Laptop GPU')).toBe(
      'NVIDIA GeForce RTX 3070 Ti Laptop GPU'
    );
  });

  it('removes line breaks and code characters', () => {
    const label = sanitizeLabel('GPU\nimport os; os.system("rm -rf /") #');
    expect(label).not.toMatch(/[\n;"#]/);
    expect(label.startsWith('GPU import os')).toBe(true);
  });

  it('caps the length', () => {
    expect(sanitizeLabel('x'.repeat(500)).length).toBe(80);
  });
});

describe('deviceCellSource', () => {
  it('writes readable code for one device', () => {
    expect(deviceCellSource('cuda:0', 'NVIDIA H100')).toBe(
      [
        '# Device chosen with jupyterlab-device-bench: NVIDIA H100 (cuda:0)',
        'import torch',
        '',
        'device = torch.device("cuda:0")'
      ].join('\n')
    );
  });

  it('writes portable code for auto', () => {
    const code = deviceCellSource('auto');
    expect(code).toContain('if torch.cuda.is_available():');
    expect(code).toContain('elif torch.backends.mps.is_available():');
    expect(code).toContain('device = torch.device("cpu")');
  });

  it('throws for a device outside the allowlist', () => {
    expect(() => deviceCellSource('cuda:0"); import os; ("')).toThrow(
      InvalidDeviceError
    );
  });
});

describe('setDeviceCell', () => {
  it('inserts at the top when there is no parameters cell', () => {
    const model = notebook([{ source: 'a = 1' }, { source: 'b = 2' }]);
    const result = setDeviceCell(model, 'cpu');
    expect(result).toEqual({ index: 0, created: true, staleBelow: false });
    expect(model.sharedModel.cells[0].getMetadata('tags')).toEqual([
      DEVICE_CELL_TAG
    ]);
    expect(sources(model)[0]).toContain('torch.device("cpu")');
    expect(model.getMetadata(METADATA_KEY)).toEqual({ device: 'cpu' });
  });

  it('inserts after the parameters cell and papermill injected parameters', () => {
    const model = notebook([
      { source: 'import x' },
      { source: 'epochs = 10', tags: ['parameters'] },
      { source: 'epochs = 1', tags: ['injected-parameters'] },
      { source: 'train()' }
    ]);
    expect(deviceCellInsertIndex(model)).toBe(3);
    const result = setDeviceCell(model, 'mps');
    expect(result.index).toBe(3);
    expect(sources(model)[4]).toBe('train()');
  });

  it('updates the same tagged cell, wherever it is, instead of adding one', () => {
    const model = notebook([{ source: 'a = 1' }, { source: 'b = 2' }]);
    setDeviceCell(model, 'cpu');
    // The user moves the cell: it is found by tag, not by position.
    model.sharedModel.moveCell(0, 2);
    const result = setDeviceCell(model, 'cuda:1', 'Second GPU');
    expect(result).toMatchObject({ index: 2, created: false });
    expect(model.sharedModel.cells.length).toBe(3);
    expect(findTaggedCell(model, DEVICE_CELL_TAG)).toBe(2);
    expect(sources(model)[2]).toContain('Second GPU (cuda:1)');
    expect(model.getMetadata(METADATA_KEY)).toEqual({ device: 'cuda:1' });
  });

  it('reports cells below that already ran', () => {
    const model = notebook([
      { source: 'p = 1', tags: ['parameters'] },
      { source: 'train()', executionCount: 3 }
    ]);
    expect(setDeviceCell(model, 'cpu').staleBelow).toBe(true);
  });

  it('keeps other metadata fields of the extension', () => {
    const model = notebook([{ source: 'a = 1' }]);
    model.setMetadata(METADATA_KEY, { runs: [{ id: 'r1' }], future_field: 7 });
    setDeviceCell(model, 'cpu');
    expect(model.getMetadata(METADATA_KEY)).toEqual({
      runs: [{ id: 'r1' }],
      future_field: 7,
      device: 'cpu'
    });
  });

  it('leaves the notebook unchanged for malformed metadata', () => {
    const model = notebook([{ source: 'a = 1' }]);
    model.setMetadata(METADATA_KEY, ['not', 'an', 'object']);
    expect(() => setDeviceCell(model, 'cpu')).toThrow(MalformedMetadataError);
    expect(sources(model)).toEqual(['a = 1']);
    expect(model.getMetadata(METADATA_KEY)).toEqual(['not', 'an', 'object']);
  });

  it('refuses to write code into a non-code cell carrying the tag', () => {
    const model = notebook([{ source: 'a = 1' }]);
    model.sharedModel.insertCell(0, {
      cell_type: 'markdown',
      source: '# notes',
      metadata: { tags: [DEVICE_CELL_TAG] }
    });
    expect(() => setDeviceCell(model, 'cpu')).toThrow(/not a code cell/);
    expect(sources(model)).toEqual(['# notes', 'a = 1']);
    expect(model.getMetadata(METADATA_KEY)).toBeUndefined();
  });

  it('refuses two tagged cells (a copied device cell), changing nothing', () => {
    const model = notebook([
      { source: 'device = "cpu"', tags: [DEVICE_CELL_TAG] },
      { source: 'a = 1' },
      { source: 'device = "cpu"', tags: [DEVICE_CELL_TAG] }
    ]);
    expect(() => setDeviceCell(model, 'cuda:0')).toThrow(
      /2 cells are tagged "device-bench-device"/
    );
    expect(sources(model)).toEqual([
      'device = "cpu"',
      'a = 1',
      'device = "cpu"'
    ]);
    expect(model.getMetadata(METADATA_KEY)).toBeUndefined();
  });

  it('leaves the notebook unchanged for an invalid device', () => {
    const model = notebook([{ source: 'a = 1' }]);
    expect(() => setDeviceCell(model, 'cuda:0\nimport os')).toThrow(
      InvalidDeviceError
    );
    expect(sources(model)).toEqual(['a = 1']);
    expect(model.getMetadata(METADATA_KEY)).toBeUndefined();
  });
});
