/**
 * The install doctor in the panel: the restart-and-check verdict and the
 * validation of what the fix commands may insert.
 */
import type { IProbeReport } from '../../tokens';
import type { IProbeFix } from '../../kernel/types';
import { checkOutcome } from '../model';
import { validFixCell, validFixText } from '../plugin';
import { shownCommand } from '../view';

function report(cudaAvailable: boolean, errors: string[]): IProbeReport {
  return {
    devices: [
      { id: 'cuda:0', available: cudaAvailable },
      { id: 'cpu', available: true }
    ],
    diagnostics: errors.map(message => ({ severity: 'error', message }))
  } as unknown as IProbeReport;
}

describe('checkOutcome', () => {
  it('says fixed when the expected device is usable now', () => {
    expect(checkOutcome(report(true, []), 'cuda:0')).toEqual({
      status: 'fixed',
      device: 'cuda:0',
      remaining: []
    });
  });

  it('says what still stands in the way', () => {
    const result = checkOutcome(report(false, ['CPU-only build']), 'cuda:0');
    expect(result.status).toBe('still');
    expect(result.remaining).toEqual(['CPU-only build']);
  });

  it('says failed without an answer', () => {
    expect(checkOutcome(null, 'mps').status).toBe('failed');
  });
});

describe('fix command validation', () => {
  it('accepts only %pip, %conda and !uv pip lines as a cell', () => {
    expect(validFixCell('%pip uninstall -y torch\n%pip install torch')).toBe(
      '%pip uninstall -y torch\n%pip install torch'
    );
    expect(validFixCell('%conda install -y -c conda-forge pytorch')).not.toBe(
      null
    );
    expect(validFixCell('import os; os.system("x")')).toBeNull();
    expect(validFixCell('%pip install torch\n!rm -rf ~')).toBeNull();
    expect(validFixCell(42)).toBeNull();
    expect(validFixText('')).toBeNull();
    expect(validFixText('x'.repeat(5000))).toBeNull();
  });

  it('shows the PowerShell command on Windows and the POSIX one elsewhere', () => {
    const fix = {
      commands: [
        { shell: 'powershell', command: '& "C:\\py.exe" -m pip install torch' },
        { shell: 'cmd', command: '"C:\\py.exe" -m pip install torch' },
        { shell: 'notebook', command: '%pip install torch' }
      ]
    } as IProbeFix;
    expect(shownCommand(fix, 'Windows')).toBe(
      '& "C:\\py.exe" -m pip install torch'
    );
    expect(
      shownCommand(
        { commands: [{ shell: 'posix', command: 'a' }] } as IProbeFix,
        'Linux'
      )
    ).toBe('a');
  });
});
