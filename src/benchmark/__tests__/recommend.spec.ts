/**
 * The recommendation against the golden cases recommend.py checks too
 * (tests/golden/recommend.json): same verdicts, devices, figures and, in
 * English, the same sentence.
 */
import { nullTranslator } from '@jupyterlab/translation';
import { golden, packageJson } from '../../__tests__/golden';
import { describeRecommendation, recommend, RULE } from '../recommend';

const GOLDEN = golden('recommend.json');

const RULE_FILE = packageJson('recommend_rule.json');

describe('recommend (golden, as Python)', () => {
  const trans = nullTranslator.load('jupyterlab_device_bench');

  it('reads the rule file Python reads', () => {
    expect(RULE).toEqual(RULE_FILE);
  });

  it.each(GOLDEN.cases as { name: string; runs: never[]; expected: any }[])(
    '$name',
    ({ runs, expected }) => {
      const answer = recommend(runs);
      expect(answer.verdict).toBe(expected.verdict);
      expect(answer.best).toBe(expected.best);
      expect(answer.baseline).toBe(expected.baseline);
      if (expected.speedup === null) {
        expect(answer.speedup).toBeNull();
      } else {
        expect(answer.speedup).toBeCloseTo(expected.speedup, 9);
      }
      expect(answer.dominant?.label ?? null).toBe(expected.dominant);
      expect(answer.devices.map(d => d.device)).toEqual(expected.devices);
      expect(answer.leftOut).toBe(expected.left_out);
      expect(describeRecommendation(answer, trans)).toBe(expected.text);
    }
  );
});
