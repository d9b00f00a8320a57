import { decodeProbeResult, probeExpression } from '../service';

function encode(doc: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(doc));
  return btoa(String.fromCharCode(...bytes));
}

describe('probeExpression', () => {
  it('evaluates the source in a fresh namespace and calls the base64 entry point', () => {
    const expr = probeExpression('x = 1\n');
    expect(expr).toBe(
      "(lambda g: (__import__('builtins').exec(\"x = 1\\n\", g), g['device_bench_probe_b64']())[1])({'__name__': '__device_bench_probe__'})"
    );
  });

  it('embeds the real probe source as one string literal', () => {
    const expr = probeExpression();
    expect(expr).toContain('def device_bench_probe_b64');
    expect(expr.split('\n').length).toBe(1);
  });

  it('passes the install doctor and its facts as string literals', () => {
    const expr = probeExpression('x = 1\n', {
      source: 'def advise(d, f): return d\n',
      facts: '{"as_of": "2026-12-01"}'
    });
    expect(expr).toBe(
      '(lambda g: (__import__(\'builtins\').exec("x = 1\\n", g), g[\'device_bench_probe_b64\']("def advise(d, f): return d\\n", "{\\"as_of\\": \\"2026-12-01\\"}"))[1])({\'__name__\': \'__device_bench_probe__\'})'
    );
    const real = probeExpression();
    expect(real).toContain('def advise(');
    expect(real).toContain('as_of');
  });
});

describe('decodeProbeResult', () => {
  it('decodes the repr of a base64 string, including non-ASCII text', () => {
    const doc = {
      schema_version: 1,
      torch: { installed: true },
      devices: [],
      diagnostics: [],
      cpu: { model: 'Apple M1 Max – 10 cœurs' }
    };
    const report = decodeProbeResult({
      status: 'ok',
      data: { 'text/plain': `'${encode(doc)}'` }
    });
    expect(report).toEqual(doc);
  });

  it('reports the kernel error of a failed expression', () => {
    expect(() =>
      decodeProbeResult({ status: 'error', ename: 'NameError', evalue: 'boom' })
    ).toThrow('NameError: boom');
  });

  it.each([
    undefined,
    { status: 'ok', data: {} },
    { status: 'ok', data: { 'text/plain': 'None' } },
    { status: 'ok', data: { 'text/plain': "'not base64!'" } }
  ])('refuses an unexpected answer %#', value => {
    expect(() => decodeProbeResult(value)).toThrow(
      /unexpected|no probe result/
    );
  });

  it('refuses a document of another schema version', () => {
    const doc = { schema_version: 2, torch: {}, devices: [], diagnostics: [] };
    expect(() =>
      decodeProbeResult({
        status: 'ok',
        data: { 'text/plain': `'${encode(doc)}'` }
      })
    ).toThrow(/unexpected document/);
  });

  it('refuses a JSON value that is not a probe document', () => {
    expect(() =>
      decodeProbeResult({
        status: 'ok',
        data: { 'text/plain': `'${encode([1, 2])}'` }
      })
    ).toThrow(/unexpected document/);
  });
});
