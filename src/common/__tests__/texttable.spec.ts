/**
 * The one table lookup behind errortext, probetext, fixtext and reasontext:
 * Chinese from the shipped catalog, the sender's English otherwise (unknown
 * key, null wording, no translation), and parameters as data.
 */

import { chinese, english } from '../../__tests__/catalog';
import type { TextParams, TextTable, Translate } from '../texttable';
import { translateKnown, wordKnown } from '../texttable';

const TABLE: TextTable = {
  'row-no-nvidia-gpu': (trans: Translate) =>
    trans.__('no NVIDIA GPU was found'),
  'row-driver': (trans: Translate, p) =>
    trans.__(
      'torch %1 needs macOS %2 for MPS; this Mac runs macOS %3',
      p.a ?? '?',
      p.b ?? '?',
      p.c ?? '?'
    ),
  'no-words': () => null,
  'not-in-catalog': (trans: Translate) => trans.__('A sentence no catalog has')
};

describe('translateKnown', () => {
  it('words a known key in Chinese', () => {
    expect(translateKnown(chinese(), TABLE, 'row-no-nvidia-gpu')).toBe(
      '没有找到 NVIDIA 显卡'
    );
  });

  it("keeps the sender's English: English UI, unknown key, null wording, no translation", () => {
    expect(
      translateKnown(english(), TABLE, 'row-no-nvidia-gpu', {
        fallback: 'kernel words'
      })
    ).toBe('kernel words');
    expect(
      translateKnown(chinese(), TABLE, 'a-newer-code', { fallback: 'newer' })
    ).toBe('newer');
    expect(translateKnown(chinese(), TABLE, 'no-words')).toBe('no-words');
    expect(
      translateKnown(chinese(), TABLE, 'not-in-catalog', { fallback: 'mine' })
    ).toBe('mine');
    expect(wordKnown(chinese(), TABLE, 'not-in-catalog', {})).toBeNull();
    // Only own keys: nothing from Object.prototype.
    expect(
      translateKnown(chinese(), TABLE, 'constructor', { fallback: 'x' })
    ).toBe('x');
  });

  it('fills parameters once, as data', () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const text = translateKnown(chinese(), TABLE, 'row-driver', {
      params: { a: hostile, b: '%3', c: '13.6' }
    });
    expect(text).toBe(
      `torch ${hostile} 要在 macOS %3 上才能使用 MPS；这台 Mac 运行的是 macOS 13.6`
    );
  });

  it('matches stored texts by pattern, the groups as parameters', () => {
    const patterns = [
      {
        pattern: /^The kernel did not answer within (\d+) s\.$/,
        names: ['seconds'],
        word: (trans: Translate, p: TextParams) =>
          trans.__('The kernel did not answer within %1 s.', String(p.seconds))
      }
    ];
    expect(
      translateKnown(chinese(), {}, 'The kernel did not answer within 30 s.', {
        patterns
      })
    ).toMatch(/30/);
    expect(
      translateKnown(chinese(), {}, 'The kernel did not answer within 30 s.', {
        patterns
      })
    ).toMatch(/[\u4e00-\u9fff]/);
    expect(translateKnown(chinese(), {}, 'Other text', { patterns })).toBe(
      'Other text'
    );
  });
});
