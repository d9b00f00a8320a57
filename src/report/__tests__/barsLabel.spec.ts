/**
 * The recorded-runs chart's label for screen readers: the machines of MNIST
 * runs and the notebook timings (not charted) are counted apart.
 */
import { nullTranslator } from '@jupyterlab/translation';
import type { IRunRecord } from '../../records/types';
import { validRun } from '../../__tests__/records';
import { barsLabel } from '../view';

const trans = nullTranslator.load('jupyterlab_device_bench');

function run(id: string, machine: string, notebook = false): IRunRecord {
  return validRun(id, {
    machine_label: machine,
    ...(notebook ? { kind: 'notebook', notebook: 'train.ipynb' } : {})
  }) as unknown as IRunRecord;
}

describe('barsLabel', () => {
  it('counts the machines of MNIST runs only', () => {
    expect(barsLabel(trans, 2, [run('a', 'lab'), run('b', 'laptop')])).toBe(
      'Median seconds of the timed training loop (shorter is faster) for 2 bar(s) on 2 machine(s).'
    );
  });

  it('counts notebook timings and their machines apart', () => {
    const runs = [
      run('a', 'lab'),
      run('b', 'lab', true),
      run('c', 'laptop', true),
      run('d', 'laptop', true)
    ];
    expect(barsLabel(trans, 1, runs)).toBe(
      'Median seconds of the timed training loop (shorter is faster) for 1 bar(s) on 1 machine(s) with MNIST runs; 3 notebook timing run(s) on 2 machine(s) are not charted.'
    );
  });

  it('says so when only notebook timings are there', () => {
    expect(barsLabel(trans, 0, [run('a', 'laptop', true)])).toBe(
      'Median seconds of the timed training loop (shorter is faster) for 0 bar(s) on 0 machine(s) with MNIST runs; 1 notebook timing run(s) on 1 machine(s) are not charted.'
    );
  });
});
