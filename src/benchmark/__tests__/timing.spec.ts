/**
 * The kernel-free parts of timing a user's notebook: the timed range and
 * code hash against the golden cases Python checks too
 * (tests/golden/code_hash.json), SHA-256 itself, the silent requests.
 */
import { golden } from '../../__tests__/golden';
import { sha256Hex } from '../../common/sha256';
import {
  codeSha256,
  decodeReply,
  EXPRESSION_KEY,
  installExpression,
  type ITimingCell,
  timedLayout,
  TimedRangeError,
  TimingError
} from '../timing';
import { CELLTIMING_SOURCE } from '../_generated/celltiming';

interface IGoldenCell {
  type: string;
  source: string;
  tags?: string[];
}

const GOLDEN = golden('code_hash.json');

const cells = (specs: IGoldenCell[]): ITimingCell[] =>
  specs.map(c => ({ cell_type: c.type, source: c.source, tags: c.tags ?? [] }));

describe('sha256Hex', () => {
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'
    ],
    [
      'a'.repeat(1000),
      '41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3'
    ]
  ])('hashes a %#th standard vector', (text, hex) => {
    expect(sha256Hex(text)).toBe(hex);
  });
});

describe('timed range and code hash (golden, as Python)', () => {
  it.each(
    GOLDEN.cases as {
      name: string;
      cells: IGoldenCell[];
      layout: Record<string, unknown>;
      code_sha256: string;
    }[]
  )('$name', c => {
    const { cells: specs, layout, code_sha256 } = c;
    const found = timedLayout(cells(specs));
    expect(found).toEqual({
      deviceCell: layout.device_cell,
      start: layout.start,
      stop: layout.stop,
      timed: layout.timed
    });
    expect(codeSha256(cells(specs), found)).toBe(code_sha256);
  });

  it.each(GOLDEN.refused as { name: string; cells: IGoldenCell[] }[])(
    'refuses: $name',
    c => {
      expect(() => timedLayout(cells(c.cells))).toThrow(TimedRangeError);
    }
  );

  it('changes the hash when a timed cell changes, not when the device cell does', () => {
    const specs = cells(GOLDEN.cases[1].cells);
    const layout = timedLayout(specs);
    const before = codeSha256(specs, layout);
    const device = specs.map((c, i) =>
      i === layout.deviceCell ? { ...c, source: 'device = "cuda:0"' } : c
    );
    expect(codeSha256(device, layout)).toBe(before);
    const edited = specs.map((c, i) =>
      i === layout.timed[1] ? { ...c, source: c.source + ' ' } : c
    );
    expect(codeSha256(edited, layout)).not.toBe(before);
  });
});

describe('silent timing requests', () => {
  it('embeds celltiming.py and only an allowlisted device', () => {
    const expression = installExpression('cuda:1');
    expect(expression).toContain(JSON.stringify(CELLTIMING_SOURCE));
    expect(expression).toContain('m.install(m, "cuda:1")');
    expect(CELLTIMING_SOURCE).toContain('def install(');
    expect(() => installExpression('cpu"); import os; ("')).toThrow();
  });

  it('decodes the base64 document of the reply and refuses anything else', () => {
    const document = { cells: [{ seconds: 1.5, label: 'é' }] };
    const encoded = Buffer.from(JSON.stringify(document), 'utf8').toString(
      'base64'
    );
    const reply = (text: string, status = 'ok') => ({
      status: 'ok',
      user_expressions: {
        [EXPRESSION_KEY]: { status, data: { 'text/plain': text } }
      }
    });
    expect(decodeReply(reply(`'${encoded}'`))).toEqual(document);
    expect(() => decodeReply(reply('42'))).toThrow(TimingError);
    expect(() => decodeReply(reply(`'${encoded}'`, 'error'))).toThrow(
      TimingError
    );
    expect(() => decodeReply({ status: 'aborted' })).toThrow(TimingError);
  });
});
