import { NotebookModel } from '@jupyterlab/notebook';
import { METADATA_KEY } from '../../common/contract';
import {
  appendRun,
  checkAppendable,
  MalformedMetadataError,
  withRun
} from '../../records';
import { validRun } from '../../__tests__/records';
import {
  InvalidParameterError,
  parameterNames,
  parametersSource,
  pythonLiteral,
  setParametersCell
} from '../parametersCell';

function notebook(): NotebookModel {
  const model = new NotebookModel();
  model.sharedModel.insertCell(0, {
    cell_type: 'code',
    source:
      'profile = "seed"  # comment\nepochs = None\nlr: float = 0.001\nif x == 1:\n    pass',
    metadata: { tags: ['parameters'] }
  });
  model.sharedModel.insertCell(1, { cell_type: 'code', source: 'train()' });
  return model;
}

describe('parameters cell', () => {
  it('reads the names the parameters cell assigns', () => {
    expect(parameterNames('a = 1\nb: int = 2\nc == 3\n  d = 4\ne=5')).toEqual([
      'a',
      'b',
      'e'
    ]);
  });

  it('writes Python literals only for JSON scalars', () => {
    expect(pythonLiteral(null)).toBe('None');
    expect(pythonLiteral(true)).toBe('True');
    expect(pythonLiteral(2.5)).toBe('2.5');
    expect(pythonLiteral('a"b\nc')).toBe('"a\\"b\\nc"');
    expect(() => pythonLiteral(NaN)).toThrow(InvalidParameterError);
    expect(() => pythonLiteral({ a: 1 })).toThrow(InvalidParameterError);
    expect(() => pythonLiteral('x'.repeat(1001))).toThrow(
      InvalidParameterError
    );
  });

  it('refuses names the notebook does not define', () => {
    expect(() => parametersSource({ 'import os; x': 1 }, ['x'])).toThrow(
      /not a parameter/
    );
  });

  it('inserts one injected-parameters cell after the parameters cell, then updates it', () => {
    const model = notebook();
    expect(setParametersCell(model, { epochs: 1, profile: 'quick' })).toBe(1);
    expect(setParametersCell(model, { epochs: 2, lr: 0.01 })).toBe(1);
    const cells = model.sharedModel.cells;
    expect(cells).toHaveLength(3);
    expect(cells[1].getMetadata('tags')).toEqual(['injected-parameters']);
    expect(cells[1].getSource()).toBe(
      '# Parameters injected by jupyterlab-device-bench\nepochs = 2\nlr = 0.01'
    );
    expect(cells[2].getSource()).toBe('train()');
  });

  it.each([
    ['a markdown cell after the parameters', 'markdown', 2],
    ['a code cell above the parameters', 'code', 0]
  ])(
    'refuses an injected-parameters tag on %s, changing nothing',
    (_, cellType, index) => {
      const model = notebook();
      model.sharedModel.insertCell(index, {
        cell_type: cellType as 'markdown' | 'code',
        source: 'old = 1',
        metadata: { tags: ['injected-parameters'] }
      });
      const before = JSON.stringify(model.toJSON());
      expect(() => setParametersCell(model, { epochs: 1 })).toThrow(
        /must be a code cell after the "parameters" cell/
      );
      expect(JSON.stringify(model.toJSON())).toBe(before);
    }
  );
});

describe('metadata runs', () => {
  it('appends, caps the history and keeps unknown fields', () => {
    const model = notebook();
    model.setMetadata(METADATA_KEY, { device: 'cpu', future: { x: 1 } });
    for (let i = 0; i < 5; i++) {
      appendRun(model, validRun(`r${i}`), 3);
    }
    expect(model.getMetadata(METADATA_KEY)).toEqual({
      device: 'cpu',
      future: { x: 1 },
      schema_version: 1,
      runs: [validRun('r2'), validRun('r3'), validRun('r4')]
    });
  });

  it('refuses shapes it would destroy, leaving the notebook unchanged', () => {
    expect(() => withRun({ runs: { a: 1 } }, validRun('x'))).toThrow(
      /"runs" that is not a list/
    );
    expect(() =>
      withRun({ schema_version: 99, runs: [] }, validRun('x'))
    ).toThrow(MalformedMetadataError);
    const model = notebook();
    model.setMetadata(METADATA_KEY, 'not an object');
    expect(() => checkAppendable(model)).toThrow(MalformedMetadataError);
    expect(model.getMetadata(METADATA_KEY)).toBe('not an object');
  });
});
