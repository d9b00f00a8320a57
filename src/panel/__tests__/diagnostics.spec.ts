/**
 * Diagnoses worded by code: the translation when there is one, with the
 * kernel's English words as the detail; the kernel's words alone in English.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { nullTranslator } from '@jupyterlab/translation';
import type { IProbeDiagnostic } from '../../kernel/types';
import type { IProbeReport } from '../../tokens';
import { diagnosticText } from '../diagnostics';

const REPORT = {
  torch: { version: '2.13.0', cuda_build: '12.6' },
  cpu: { model: 'Example CPU' },
  cuda: {
    driver_cuda_version: '12.4',
    nvml_gpus: [{ name: 'RTX 3070 Ti' }],
    device_count: 1,
    nvml_gpu_count: 2
  }
} as unknown as IProbeReport;

function diagnostic(code: string, message: string): IProbeDiagnostic {
  return {
    code,
    severity: 'info',
    message,
    fix: null,
    fixes: []
  } as unknown as IProbeDiagnostic;
}

/** A bundle with a few translations, filled like JupyterLab's (%1, %2 …). */
function bundle(table: Record<string, string>): TranslationBundle {
  const fill = (text: string, args: unknown[]) =>
    text.replace(/%(\d+)/g, (_, n) => String(args[Number(n) - 1]));
  return {
    __: (msgid: string, ...args: unknown[]) => fill(table[msgid] ?? msgid, args)
  } as unknown as TranslationBundle;
}

const CHINESE = bundle({
  'No GPU was found for this kernel; it will run on the CPU (%1).':
    '没有找到这个内核可用的显卡（GPU），它将在 CPU（%1）上运行。',
  'The NVIDIA driver supports CUDA up to %1, but torch was built for CUDA %2: update the driver.':
    'NVIDIA 驱动最高支持 CUDA %1，但 torch 是为 CUDA %2 编译的：请更新驱动。',
  'torch sees %1 of the %2 NVIDIA GPUs because of CUDA_VISIBLE_DEVICES.':
    '由于 CUDA_VISIBLE_DEVICES 的设置，torch 只看到了 %2 块 NVIDIA 显卡中的 %1 块。'
});

describe('diagnosticText', () => {
  it('words a diagnosis in Chinese from the report, the kernel words as detail', () => {
    const d = diagnostic('cpu-only', 'No GPU was found (Example CPU).');
    expect(diagnosticText(CHINESE, d, REPORT)).toEqual({
      text: '没有找到这个内核可用的显卡（GPU），它将在 CPU（Example CPU）上运行。',
      detail: 'No GPU was found (Example CPU).'
    });
    const old = diagnosticText(
      CHINESE,
      diagnostic('driver-old', 'The NVIDIA driver supports CUDA up to 12.4 …'),
      REPORT
    );
    expect(old.text).toBe(
      'NVIDIA 驱动最高支持 CUDA 12.4，但 torch 是为 CUDA 12.6 编译的：请更新驱动。'
    );
    expect(
      diagnosticText(
        CHINESE,
        diagnostic('cuda-devices-hidden', 'torch sees 1 of the 2'),
        REPORT
      ).text
    ).toContain('2 块 NVIDIA 显卡中的 1 块');
  });

  it('keeps the kernel words alone in English and for codes it does not know', () => {
    const trans = nullTranslator.load('jupyterlab_device_bench');
    const d = diagnostic('cpu-only', 'No GPU was found (Example CPU).');
    expect(diagnosticText(trans, d, REPORT)).toEqual({
      text: 'No GPU was found (Example CPU).',
      detail: null
    });
    const newer = diagnostic('some-future-code', 'Something new.');
    expect(diagnosticText(CHINESE, newer, REPORT)).toEqual({
      text: 'Something new.',
      detail: null
    });
    // A code with no translation yet: the kernel words, not a half-English mix.
    const untranslated = diagnostic('mps-unavailable', 'MPS is not usable.');
    expect(diagnosticText(CHINESE, untranslated, REPORT).detail).toBeNull();
  });
});
