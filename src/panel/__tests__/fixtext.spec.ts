/**
 * Fix titles and steps worded by code (fixtext.ts) from the zh_CN catalog
 * the wheel ships; the kernel's English words where there is no translation.
 */
import { nullTranslator } from '@jupyterlab/translation';
import { CONTRACT } from '../../common/_generated/contract';
import type { IProbeFix } from '../../kernel/types';
import { fixText } from '../fixtext';
import { chinese } from '../../__tests__/catalog';

function fix(
  title: string,
  code: string,
  args: Record<string, string | null>,
  steps: [string, string, Record<string, string | null>][] = [],
  suffix?: string
): IProbeFix {
  return {
    title,
    reason: 'why',
    primary: true,
    steps: steps.map(s => s[0]),
    commands: [],
    cell: null,
    installer: null,
    target: null,
    expect: null,
    i18n: {
      title: { code, args, ...(suffix ? { suffix } : {}) },
      steps: steps.map(s => ({ code: s[1], args: s[2] }))
    }
  };
}

const DRIVER = {
  code: 'update-driver-then-install',
  args: { driver: '580.65.06', torch: '2.13', cuda: '13.0', variant: 'cu130' }
};
const ENGLISH =
  'Update the NVIDIA driver to 580.65.06 or newer, then install torch 2.13 for CUDA 13.0 (cu130)';

describe('fixText', () => {
  it('words the title and steps in Chinese, names and versions verbatim', () => {
    const words = fixText(
      chinese(),
      fix(
        ENGLISH,
        DRIVER.code,
        DRIVER.args,
        [
          [
            'Update the NVIDIA driver to a newer version or newer (it must support CUDA 13.0), then restart the machine.',
            'update-driver-restart',
            { driver: null, cuda: '13.0' }
          ],
          ['Some probe advice.', 'probe-advice', {}]
        ],
        'pip'
      )
    );
    expect(words.title).toBe(
      '先把 NVIDIA 显卡驱动更新到 580.65.06 或更高版本，再安装 CUDA 13.0 版的 torch 2.13（cu130）（pip）'
    );
    expect(words.steps).toEqual([
      '把 NVIDIA 显卡驱动更新到 更新的版本 或更高版本（必须支持 CUDA 13.0），然后重启电脑。',
      'Some probe advice.'
    ]);
  });

  it("keeps the kernel's English without a translation or for an unknown code", () => {
    const english = nullTranslator.load('jupyterlab_device_bench');
    const withSuffix = `${ENGLISH} (pip)`;
    expect(
      fixText(english, fix(withSuffix, DRIVER.code, DRIVER.args, [], 'pip'))
        .title
    ).toBe(withSuffix);
    expect(fixText(chinese(), fix('Newer words', 'not-a-code', {})).title).toBe(
      'Newer words'
    );
    const old = fix('Old kernel', DRIVER.code, DRIVER.args);
    delete old.i18n;
    expect(fixText(chinese(), old).title).toBe('Old kernel');
  });

  it('has Chinese for every code of the contract but the probe advice', () => {
    const untranslated = Object.entries(CONTRACT.doctor_texts.codes)
      .filter(([code]) => code !== 'probe-advice')
      .filter(([code, names]) => {
        const args = Object.fromEntries(
          (names as readonly string[]).map(n => [n, `<${n}>`])
        );
        return (
          fixText(chinese(), fix('ENGLISH', code, args)).title === 'ENGLISH'
        );
      })
      .map(([code]) => code);
    expect(untranslated).toEqual([]);
    expect(Object.keys(CONTRACT.doctor_texts.codes).length).toBeGreaterThan(40);
  });
});
