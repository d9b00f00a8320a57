/**
 * Fix reasons and backend-row reasons worded by code (reasontext.ts) from
 * contract.json `reason_texts`: the English is the table's (the kernel's
 * words), Chinese from the shipped catalog, the kernel's English for an
 * unknown code or an older kernel side; and parameters stay data.
 */
import { CONTRACT } from '../../common/_generated/contract';
import type { IProbeBackend, IProbeTextKey } from '../../kernel/types';
import { chinese, english } from '../../__tests__/catalog';
import { fixText } from '../fixtext';
import type { ReasonCode } from '../reasontext';
import { backendReasonText, REASON_TEXTS, reasonText } from '../reasontext';
import { wordKnown } from '../../common/texttable';

const CODES = CONTRACT.reason_texts.codes as Record<
  string,
  { args: readonly string[]; en: string }
>;

/** The table's English filled as the kernel fills it (doctor.py because()). */
function kernelEnglish(code: string, args: Record<string, string | null>) {
  const driver = args.driver_cuda
    ? `driver ${args.driver ?? '?'} (CUDA up to ${args.driver_cuda})`
    : `driver ${args.driver ?? 'of unknown version'}`;
  return CODES[code].en.replace(/\{(\w+)\}/g, (_, name: string) =>
    name === 'driver_text' ? driver : (args[name] ?? 'unknown')
  );
}

function argsOf(code: string, value: (name: string) => string | null) {
  return Object.fromEntries(CODES[code].args.map(n => [n, value(n)]));
}

const UNTRANSLATED = ['probe-cause', 'row-device', 'row-cpu'];

describe('reason texts', () => {
  it("words every code in English exactly as the kernel's table does", () => {
    const codes = Object.keys(CODES);
    expect(codes.length).toBeGreaterThanOrEqual(55);
    for (const code of codes) {
      for (const value of [(n: string) => `<${n}>`, () => null]) {
        const args = argsOf(code, value);
        const word = REASON_TEXTS[code as ReasonCode](english(), args);
        if (word !== null) {
          expect([code, word]).toEqual([code, kernelEnglish(code, args)]);
        }
      }
    }
  });

  it('has Chinese for every code but the data and the probe’s own words', () => {
    const untranslated = Object.keys(CODES).filter(
      code =>
        wordKnown(
          chinese(),
          REASON_TEXTS,
          code,
          argsOf(code, n => `<${n}>`)
        ) === null
    );
    expect(untranslated).toEqual(UNTRANSLATED);
  });

  it('words a reason of several sentences, names and versions verbatim', () => {
    const keys: IProbeTextKey[] = [
      {
        code: 'newest-build-for-gpu',
        args: {
          variant: 'cu126',
          torch: '2.13',
          gpus: 'NVIDIA GeForce RTX 3090 (8.6)',
          driver: '550.54.15',
          driver_cuda: '12.4'
        }
      },
      {
        code: 'minor-version-compatible',
        args: { cuda: '12.6', driver_cuda: '12.4' }
      }
    ];
    const english = keys.map(k => kernelEnglish(k.code, k.args)).join(' ');
    expect(reasonText(chinese(), keys, english)).toBe(
      'cu126 是 torch 2.13 中支持 NVIDIA GeForce RTX 3090 (8.6)、并能在 550.54.15 版驱动（最高支持 CUDA 12.4）上运行的最新 CUDA 版本。' +
        '借助 CUDA 的小版本兼容，CUDA 12.6 可以在支持 CUDA 12.4 的驱动上运行。'
    );
  });

  it("keeps the kernel's English: unknown code, untranslated part, older kernel", () => {
    const known = { code: 'torchaudio-must-match', args: {} };
    expect(
      reasonText(chinese(), [known, { code: 'newer-code', args: {} }], 'Both.')
    ).toBe('Both.');
    expect(
      reasonText(
        chinese(),
        [{ code: 'probe-cause', args: { text: 'The probe said so.' } }],
        'The probe said so.'
      )
    ).toBe('The probe said so.');
    expect(reasonText(chinese(), undefined, 'Old kernel.')).toBe('Old kernel.');
    expect(reasonText(english(), [known], 'Kernel words.')).toBe(
      'Kernel words.'
    );
    const old: IProbeBackend = {
      backend: 'cuda',
      usable: false,
      device: null,
      reason: 'no NVIDIA GPU was found'
    };
    expect(backendReasonText(chinese(), old)).toBe('no NVIDIA GPU was found');
    expect(
      backendReasonText(chinese(), {
        ...old,
        i18n: { code: 'row-no-nvidia-gpu', args: {} }
      })
    ).toBe('没有找到 NVIDIA 显卡');
  });

  it('gives a fix its reason in Chinese beside its title', () => {
    const words = fixText(chinese(), {
      title: 'Reinstall torch 2.13',
      reason: kernelEnglish('reinstall-same-build', {}),
      primary: true,
      steps: [],
      commands: [],
      cell: null,
      installer: null,
      target: null,
      expect: null,
      i18n: {
        title: { code: 'reinstall-torch', args: { torch: '2.13' } },
        steps: [],
        reason: [{ code: 'reinstall-same-build', args: {} }]
      }
    });
    expect(words.reason).toMatch(/^常见原因是安装损坏/);
  });
});

describe('parameters are data', () => {
  it('keeps markup the kernel sent as text, filled once', () => {
    const hostile = '<img src=x onerror="window.hit=1"> %1';
    const text = backendReasonText(chinese(), {
      backend: 'cuda',
      usable: false,
      device: null,
      reason: `CUDA_VISIBLE_DEVICES is set to "${hostile}", which hides every GPU from this kernel`,
      i18n: { code: 'row-visible-devices-hide-all', args: { env: hostile } }
    });
    // The panel renders it as a React text node (escaped); here it is the
    // same characters, nothing substituted into the argument.
    expect(text).toBe(
      `CUDA_VISIBLE_DEVICES 被设为“${hostile}”，这个内核因此看不到任何显卡`
    );
  });
});
