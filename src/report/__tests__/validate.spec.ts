import {
  readDeviceBench,
  readReport,
  readSourceFile,
  runProblem
} from '../../records/validate';
import { readJson, validRun } from './fixtures/build';

describe('readDeviceBench', () => {
  it('reads the valid runs of a notebook and lists the invalid one', () => {
    const result = readDeviceBench(readJson('workstation.device_bench.json'));
    expect(result.schemaVersion).toBe(1);
    expect(result.runs).toHaveLength(6);
    expect(result.invalid).toEqual([
      {
        index: 6,
        reason: 'train_seconds must be number or null',
        preview: expect.stringContaining('"id":"00000000-0000-4000-8000-')
      }
    ]);
    expect(result.problems).toEqual([
      '1 of 7 run records is not valid and was left out'
    ]);
  });

  it('treats missing metadata as no runs and no problem', () => {
    expect(readDeviceBench(undefined)).toEqual({
      runs: [],
      invalid: [],
      schemaVersion: null,
      problems: [],
      sources: []
    });
  });

  it('accepts a document without runs (only a chosen device)', () => {
    const result = readDeviceBench({ schema_version: 1, device: 'cuda:0' });
    expect(result.runs).toEqual([]);
    expect(result.problems).toEqual([]);
  });

  it('accepts what the device picker alone writes (no version, no runs)', () => {
    for (const device of ['cuda:0', 'auto', 'mps']) {
      const result = readDeviceBench({ device });
      expect(result.runs).toEqual([]);
      expect(result.invalid).toEqual([]);
      expect(result.problems).toEqual([]);
      expect(result.schemaVersion).toBeNull();
    }
    expect(
      readSourceFile({
        cells: [],
        metadata: { device_bench: { device: 'cpu' } }
      }).problems
    ).toEqual([]);
  });

  it('still reports a missing version once there are runs', () => {
    for (const runs of [[], [validRun()]]) {
      const result = readDeviceBench({ device: 'cuda:0', runs });
      expect(result.runs).toHaveLength(runs.length);
      expect(result.problems).toEqual([
        'schema_version is missing; read as version 1'
      ]);
    }
  });

  it('still checks the device the picker wrote', () => {
    expect(readDeviceBench({ device: 'tpu:0' }).problems).toEqual([
      'device must be auto, cpu, mps, cuda, cuda:N, xpu or xpu:N'
    ]);
  });

  it('unwraps the whole notebook metadata', () => {
    const result = readDeviceBench({
      kernelspec: { name: 'python3' },
      device_bench: { schema_version: 1, runs: [validRun()] }
    });
    expect(result.runs).toHaveLength(1);
    expect(result.problems).toEqual([]);
  });

  it.each([
    [null, 'null'],
    ['<script>', 'a string'],
    [42, 'a number'],
    [[1, 2], 'an array'],
    [true, 'a boolean']
  ])('reports device_bench = %p as %s', (value, kind) => {
    const result = readDeviceBench(value);
    expect(result.runs).toEqual([]);
    expect(result.problems).toEqual([
      `device_bench must be an object, found ${kind}; no run could be read`
    ]);
    expect(result.invalid).toHaveLength(1);
    expect(result.invalid[0].index).toBe(-1);
  });

  it('reports runs that are not an array', () => {
    const result = readDeviceBench({
      schema_version: 1,
      runs: { 0: validRun() }
    });
    expect(result.runs).toEqual([]);
    expect(result.problems).toEqual([
      'runs must be an array, found an object; no run could be read'
    ]);
    expect(result.invalid[0]).toMatchObject({ index: -1 });
    expect(result.invalid[0].preview).toContain('"0":{"id":"run-1"');
  });

  it('keeps valid runs next to runs of every wrong type', () => {
    const result = readDeviceBench({
      schema_version: 1,
      runs: [
        validRun({ id: 'a' }),
        'a string',
        7,
        null,
        [validRun()],
        validRun({ id: 'b', train_seconds: '45.0' }),
        validRun({ id: 'c', accuracy: 1.5 }),
        validRun({ id: 'd', status: 'done' }),
        validRun({ id: 'e', train_seconds: Number.NaN }),
        validRun({ id: 'f', train_seconds: Infinity }),
        { id: 'g' },
        validRun({ id: 'h' })
      ]
    });
    expect(result.runs.map(run => run.id)).toEqual(['a', 'h']);
    expect(result.invalid.map(entry => [entry.index, entry.reason])).toEqual([
      [1, 'not an object (found a string)'],
      [2, 'not an object (found a number)'],
      [3, 'not an object (found null)'],
      [4, 'not an object (found an array)'],
      [5, 'train_seconds must be number or null'],
      [6, 'accuracy must be <= 1'],
      [7, 'status must be one of ok, failed, cancelled, running, interrupted'],
      [8, 'train_seconds must be number or null'],
      [9, 'train_seconds must be number or null'],
      [
        10,
        'missing status, source, machine_label, device, profile, params, started_at, finished_at'
      ]
    ]);
    expect(result.problems).toEqual([
      '10 of 12 run records are not valid and were left out'
    ]);
  });

  it('reads a future schema version, keeping runs that still match version 1', () => {
    const result = readDeviceBench({
      schema_version: 99,
      runs: [validRun({ id: 'old' }), { id: 'new', timings: { train: 1 } }]
    });
    expect(result.schemaVersion).toBe(99);
    expect(result.runs.map(run => run.id)).toEqual(['old']);
    expect(result.invalid.map(entry => entry.index)).toEqual([1]);
    expect(result.problems[0]).toMatch(
      /^schema_version 99 is newer than this extension reads \(1\)/
    );
  });

  it.each([
    [undefined, /^schema_version is missing/],
    ['1', /^schema_version must be the number 1, found "1" \(a string\)/],
    [0, /^schema_version 0 is not a known version/]
  ])('reports schema_version %p and still reads', (version, problem) => {
    const result = readDeviceBench({
      schema_version: version,
      runs: [validRun()]
    });
    expect(result.runs).toHaveLength(1);
    expect(result.problems).toEqual([expect.stringMatching(problem)]);
  });

  it('reports an invalid device choice', () => {
    const result = readDeviceBench({ schema_version: 1, device: 'tpu:0' });
    expect(result.problems).toEqual([
      'device must be auto, cpu, mps, cuda, cuda:N, xpu or xpu:N'
    ]);
  });

  it('keeps fields it does not know and does not share the record', () => {
    const run = validRun({ future: { nested: [1] } });
    const result = readDeviceBench({ schema_version: 1, runs: [run] });
    expect(result.runs[0].future).toEqual({ nested: [1] });
    expect(result.runs[0]).not.toBe(run);
  });

  it('caps the reasons of one record', () => {
    const reason = runProblem({
      id: '',
      status: 'x',
      source: 'y',
      machine_label: 1,
      device: 'gpu',
      profile: 2,
      params: [],
      started_at: 3,
      finished_at: 4
    });
    expect(reason).toMatch(/; and \d+ more$/);
  });

  it('previews a 10 MB value in a few hundred characters', () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    const result = readDeviceBench({
      schema_version: 1,
      runs: [validRun({ machine_label: big })]
    });
    expect(result.runs).toEqual([]);
    expect(result.invalid[0].reason).toBe(
      'machine_label must NOT have more than 200 characters'
    );
    expect(result.invalid[0].preview.length).toBeLessThanOrEqual(201);
    expect(result.invalid[0].preview.endsWith('…')).toBe(true);
  });

  it('never throws, whatever it is given', () => {
    const cyclic: Record<string, unknown> = { schema_version: 1 };
    cyclic.runs = [cyclic];
    let deep: unknown = validRun();
    for (let i = 0; i < 10000; i++) {
      deep = [deep];
    }
    const values: unknown[] = [
      cyclic,
      { schema_version: 1, runs: [deep] },
      { schema_version: 1, runs: [validRun({ params: deep })] },
      Object.create(null),
      new Date(0),
      () => 1,
      Symbol('x'),
      BigInt(1)
    ];
    for (const value of values) {
      expect(() => readDeviceBench(value)).not.toThrow();
      expect(() => readReport(value)).not.toThrow();
      expect(() => readSourceFile(value)).not.toThrow();
    }
  });
});

describe('readReport', () => {
  it('reads an exported report', () => {
    const result = readReport(readJson('report-2024.json'));
    expect(result.runs).toHaveLength(2);
    expect(result.sources).toEqual(['old.ipynb']);
    expect(result.problems).toEqual([]);
  });

  it('reports a wrong kind, a missing time stamp and a missing runs array', () => {
    const result = readReport({ schema_version: 1, kind: 'other' });
    expect(result.problems).toEqual([
      'kind must be "device-bench-report", found "other"; runs that match the run schema are read anyway',
      "report must have required property 'generated_at'",
      "report must have required property 'runs'"
    ]);
  });

  it('reads the valid runs of a future report', () => {
    const result = readReport({
      schema_version: 2,
      kind: 'device-bench-report',
      generated_at: '2030-01-01T00:00:00Z',
      runs: [validRun(), 'not a run']
    });
    expect(result.schemaVersion).toBe(2);
    expect(result.runs).toHaveLength(1);
    expect(result.invalid).toHaveLength(1);
    expect(result.problems[0]).toMatch(/^schema_version 2 is newer/);
  });
});

describe('readSourceFile', () => {
  it('reads a notebook', () => {
    const result = readSourceFile({
      cells: [],
      metadata: { device_bench: { schema_version: 1, runs: [validRun()] } },
      nbformat: 4,
      nbformat_minor: 5
    });
    expect(result.runs).toHaveLength(1);
  });

  it('says when a notebook has no benchmark metadata', () => {
    const result = readSourceFile({ cells: [], metadata: {} });
    expect(result.problems).toEqual([
      'the notebook has no device_bench metadata'
    ]);
  });

  it('reads a report and a bare device_bench object', () => {
    expect(readSourceFile(readJson('report-2024.json')).runs).toHaveLength(2);
    expect(
      readSourceFile(readJson('macbook.device_bench.json')).runs
    ).toHaveLength(8);
  });

  it('rejects anything else', () => {
    const result = readSourceFile(['<script>']);
    expect(result.problems).toEqual([
      'not a notebook or a device-bench report (found an array)'
    ]);
  });
});
