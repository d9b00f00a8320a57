import {
  baseName,
  MAX_WARNINGS,
  median,
  mergeRuns,
  workloadLabel,
  workloadOf
} from '../merge';
import type { IRunGroup } from '../types';
import type { IRunRecord } from '../../records/types';
import { fixtureReport } from './fixtures/build';

let counter = 0;

function run(overrides: Partial<IRunRecord> = {}): IRunRecord {
  counter++;
  const epochs = (overrides.settings?.epochs as number | undefined) ?? 10;
  return {
    id: `run-${counter}`,
    status: 'ok',
    source: 'jupyterlab',
    machine_label: 'Laptop',
    device: 'cpu',
    device_name: null,
    profile: 'seed',
    params: {},
    settings: { epochs, batch_size: 64, dataset: 'mnist' },
    data: { source: 'mnist-train+test', train_samples: 60000, repeat_to: null },
    train_seconds: 100,
    samples_per_second: 6000,
    accuracy: 0.9,
    started_at: '2024-05-01T10:00:00Z',
    finished_at: '2024-05-01T10:05:00Z',
    ...overrides
  };
}

function find(
  groups: IRunGroup[],
  machine: string,
  device: string,
  profile: string,
  epochs?: number
): IRunGroup {
  const found = groups.filter(
    group =>
      group.machine === machine &&
      group.device === device &&
      group.profile === profile &&
      (epochs === undefined || group.workload?.epochs === epochs)
  );
  expect(found).toHaveLength(1);
  return found[0];
}

describe('mergeRuns (fixtures)', () => {
  const report = fixtureReport();

  it('counts a run found in two sources once', () => {
    expect(report.duplicates).toBe(1);
    expect(report.runs).toHaveLength(15);
    const shared = report.runs.find(
      run => run.record.id === '00000000-0000-4000-8000-000000000001'
    );
    expect(shared?.sources).toEqual([
      'bench-workstation.ipynb',
      'bench-macbook.ipynb'
    ]);
    const group = find(report.groups, 'Workstation', 'cuda:0', 'seed');
    expect(group.count).toBe(2);
  });

  it('groups by machine, device, profile and workload', () => {
    expect(
      report.groups.map(
        group =>
          `${group.machine}|${group.device}|${group.profile}|${group.workload?.epochs}|${group.count}`
      )
    ).toEqual([
      'Linux box|cpu|seed|10|1',
      'MacBook Pro M3|mps|quick|2|1',
      'MacBook Pro M3|cpu|seed|1|1',
      'MacBook Pro M3|mps|seed|10|3',
      'MacBook Pro M3|cpu|seed|10|1',
      'Workstation|cuda:0|resident|10|1',
      'Workstation|cpu|resident|10|1',
      'Workstation|cuda:0|seed|10|2',
      'Workstation|cpu|seed|10|1'
    ]);
  });

  it('computes median, fastest, mean samples/s and accuracy', () => {
    const mps = find(report.groups, 'MacBook Pro M3', 'mps', 'seed');
    expect(mps.medianSeconds).toBe(51);
    expect(mps.minSeconds).toBe(50);
    expect(mps.meanAccuracy).toBeCloseTo(0.97);
    expect(mps.meanSamplesPerSecond).toBeCloseTo(
      (12000 + 60000 / 5.2 + 60000 / 5.1) / 3,
      0
    );
    expect(mps.deviceName).toBe('Apple M3 Max GPU (MPS)');
    const cuda = find(report.groups, 'Workstation', 'cuda:0', 'seed');
    expect(cuda.medianSeconds).toBeCloseTo(45);
    expect(cuda.minSeconds).toBe(44.9);
  });

  it('computes speed-ups only against the CPU of the same machine, profile and data', () => {
    const cuda = find(report.groups, 'Workstation', 'cuda:0', 'seed');
    expect(cuda.speedup).toBeCloseTo(80 / 45);
    const resident = find(report.groups, 'Workstation', 'cuda:0', 'resident');
    expect(resident.speedup).toBeCloseTo(30 / 8.5);
    const mps = find(report.groups, 'MacBook Pro M3', 'mps', 'seed');
    // The 10-epoch CPU run, not the 1-epoch one.
    expect(mps.speedup).toBeCloseTo(110 / 51);
    const quick = find(report.groups, 'MacBook Pro M3', 'mps', 'quick');
    expect(quick.speedup).toBeNull();
    const cpu = find(report.groups, 'Workstation', 'cpu', 'seed');
    expect(cpu).toMatchObject({ baseline: true, speedup: 1 });
  });

  it('lists failed and cancelled runs apart and keeps them out of the figures', () => {
    expect(report.failed.map(run => [run.machine_label, run.status])).toEqual([
      ['Workstation', 'failed'],
      ['MacBook Pro M3', 'cancelled'],
      ['Old laptop', 'failed']
    ]);
    expect(find(report.groups, 'Workstation', 'cuda:0', 'seed').failed).toBe(1);
    expect(find(report.groups, 'MacBook Pro M3', 'mps', 'seed').failed).toBe(1);
    expect(report.machines).toEqual([
      'Linux box',
      'MacBook Pro M3',
      'Old laptop',
      'Workstation'
    ]);
  });

  it('says what was left out and which comparisons are mixed', () => {
    expect(report.warnings).toEqual([
      '“bench-workstation.ipynb”: 1 of 7 run records is not valid and was left out.',
      expect.stringMatching(
        /^“MacBook Pro M3” “mps” \(profile “quick”\) .* has no CPU run of the same machine with the same profile, data and settings .*so no speed-up is computed\.$/
      ),
      expect.stringMatching(
        /^This report mixes profiles \(“quick”, “resident”, “seed”\)/
      ),
      expect.stringMatching(
        /^Profile “seed” was run with different data or settings \(they differ in epochs\)/
      )
    ]);
  });
});

describe('mergeRuns', () => {
  it('treats a running marker as an interrupted run', () => {
    const marker = run({
      status: 'running',
      device: 'cuda:0',
      train_seconds: null,
      finished_at: '2026-01-01T00:00:00Z'
    });
    const report = mergeRuns([
      { name: 'a', runs: [run({ device: 'cpu' }), marker] }
    ]);
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]).toMatchObject({
      id: marker.id,
      status: 'interrupted',
      finished_at: '2026-01-01T00:00:00Z'
    });
    expect(report.failed[0].error).toMatch(/before this device ended/);
    expect(report.runs.map(r => r.record.status)).toEqual([
      'ok',
      'interrupted'
    ]);
    expect(marker.status).toBe('running');
    expect(report.groups.map(g => g.device)).toEqual(['cpu']);
  });

  it('names the machines without a CPU run in one sentence', () => {
    const report = mergeRuns([
      {
        name: 'a',
        runs: Array.from({ length: 12 }, (_, i) =>
          run({ machine_label: `M${i}`, device: 'mps' })
        )
      }
    ]);
    expect(report.warnings).toEqual([
      'Machines “M0”, “M1”, “M10”, “M11”, “M2”, “M3”, “M4”, “M5”, “M6”, “M7”, and 2 more have no successful CPU run, so their devices have no speed-up.'
    ]);
  });

  it('never computes a speed-up across machines', () => {
    const report = mergeRuns([
      {
        name: 'a',
        runs: [
          run({ machine_label: 'A', device: 'cuda:0', train_seconds: 10 }),
          run({ machine_label: 'B', device: 'cpu', train_seconds: 100 })
        ]
      }
    ]);
    const gpu = find(report.groups, 'A', 'cuda:0', 'seed');
    expect(gpu.speedup).toBeNull();
    expect(report.warnings).toEqual([
      'Machine “A” has no successful CPU run, so its devices have no speed-up.'
    ]);
  });

  it('never computes a speed-up across profiles', () => {
    const report = mergeRuns([
      {
        name: 'a',
        runs: [
          run({ device: 'cuda:0', profile: 'resident', train_seconds: 10 }),
          run({ device: 'cpu', profile: 'seed', train_seconds: 100 })
        ]
      }
    ]);
    expect(find(report.groups, 'Laptop', 'cuda:0', 'resident').speedup).toBe(
      null
    );
    expect(report.warnings[0]).toMatch(
      /^“Laptop” “cuda:0” \(profile “resident”\) .*has no CPU run/
    );
    expect(report.warnings[1]).toMatch(/^This report mixes profiles/);
  });

  it.each([
    ['data.source', { data: { source: 'synthetic', train_samples: 60000 } }],
    [
      'train_samples',
      { data: { source: 'mnist-train+test', train_samples: 1000 } }
    ],
    [
      'repeat_to',
      {
        data: {
          source: 'mnist-train+test',
          train_samples: 60000,
          repeat_to: 120000
        }
      }
    ],
    [
      'dataset',
      { settings: { epochs: 10, batch_size: 64, dataset: 'synthetic' } }
    ],
    ['epochs', { settings: { epochs: 1, batch_size: 64, dataset: 'mnist' } }],
    [
      'batch_size',
      { settings: { epochs: 10, batch_size: 512, dataset: 'mnist' } }
    ]
  ])('never computes a speed-up across different %s', (_, changed) => {
    const report = mergeRuns([
      {
        name: 'a',
        runs: [
          run({ device: 'cuda:0', train_seconds: 10, ...changed }),
          run({ device: 'cpu', train_seconds: 100 })
        ]
      }
    ]);
    const gpu = report.groups.find(group => group.device === 'cuda:0')!;
    expect(gpu.speedup).toBeNull();
    expect(report.warnings.join('\n')).toMatch(
      /Profile “seed” was run with different data or settings/
    );
    expect(report.warnings.join('\n')).toMatch(/so no speed-up is computed/);
  });

  it('feeds only successful runs into the figures', () => {
    const report = mergeRuns([
      {
        name: 'a',
        runs: [
          run({ train_seconds: 100 }),
          run({ status: 'failed', train_seconds: 1, error: 'boom' }),
          run({ status: 'cancelled', train_seconds: 2 })
        ]
      }
    ]);
    expect(report.groups).toHaveLength(1);
    expect(report.groups[0]).toMatchObject({
      count: 1,
      medianSeconds: 100,
      failed: 2
    });
    expect(report.failed).toHaveLength(2);
  });

  it('leaves out successful runs without a training time, and says so', () => {
    const report = mergeRuns([
      { name: 'a', runs: [run(), run({ train_seconds: null })] }
    ]);
    expect(report.groups[0].count).toBe(1);
    expect(report.warnings).toEqual([
      '1 successful run of “Laptop” “cpu” (profile “seed”) recorded no training time and is left out of the figures.'
    ]);
  });

  it('computes no speed-up when runs recorded no data or settings', () => {
    const report = mergeRuns([
      {
        name: 'a',
        runs: [
          run({
            device: 'cuda:0',
            train_seconds: 10,
            data: null,
            settings: null
          }),
          run({ device: 'cpu', train_seconds: 100, data: null, settings: null })
        ]
      }
    ]);
    expect(report.groups.map(group => group.speedup)).toEqual([null, null]);
    expect(report.groups[0].workloadLabel).toBe(
      'data and settings not recorded'
    );
    expect(report.warnings).toEqual([
      '“Laptop” “cuda:0” (profile “seed”): the runs recorded no data or settings, so no speed-up is computed.'
    ]);
  });

  it('warns when the same id carries different figures, and keeps the first', () => {
    const first = run({ id: 'same', train_seconds: 10 });
    const second = { ...first, train_seconds: 99 };
    const report = mergeRuns([
      { name: 'one.ipynb', runs: [first] },
      { name: 'two.ipynb', runs: [second] }
    ]);
    expect(report.duplicates).toBe(1);
    expect(report.groups[0].medianSeconds).toBe(10);
    expect(report.warnings).toEqual([
      'Run “same” appears with different figures in “one.ipynb” and “two.ipynb”; the first one is used.'
    ]);
  });

  it('counts duplicates within one source once too', () => {
    const one = run({ id: 'x' });
    const report = mergeRuns([{ name: 'a', runs: [one, { ...one }] }]);
    expect(report.duplicates).toBe(1);
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0].sources).toEqual(['a']);
  });

  it('turns what reading left out into warnings', () => {
    const report = mergeRuns([
      {
        name: 'x.ipynb',
        runs: [],
        invalid: [{ index: 0, reason: 'r', preview: 'p' }]
      },
      {
        name: 'y.ipynb',
        runs: [],
        problems: ['schema_version 99 is newer than this extension reads (1)']
      }
    ]);
    expect(report.warnings).toEqual([
      '“x.ipynb”: 1 invalid run record left out.',
      '“y.ipynb”: schema_version 99 is newer than this extension reads (1).'
    ]);
  });

  it('lists every invalid run record with its source, index and reason', () => {
    const report = mergeRuns([
      {
        name: 'x.ipynb',
        runs: [run()],
        invalid: [
          { index: 1, reason: 'missing id', preview: '{}' },
          {
            index: 3,
            reason: 'train_seconds must be number or null',
            preview: '…'
          }
        ]
      },
      { name: 'y.ipynb', runs: [] },
      {
        name: 'z.json',
        runs: [],
        invalid: [{ index: -1, reason: 'runs must be an array', preview: '1' }]
      }
    ]);
    expect(report.invalid).toEqual([
      { source: 'x.ipynb', index: 1, reason: 'missing id' },
      {
        source: 'x.ipynb',
        index: 3,
        reason: 'train_seconds must be number or null'
      },
      { source: 'z.json', index: -1, reason: 'runs must be an array' }
    ]);
    expect(report.runs).toHaveLength(1);
  });

  it('caps the warnings', () => {
    const runs = Array.from({ length: 200 }, (_, i) =>
      run({ machine_label: `M${i}`, train_seconds: null })
    );
    const report = mergeRuns([{ name: 'a', runs }]);
    expect(report.warnings).toHaveLength(MAX_WARNINGS);
    expect(report.warnings[MAX_WARNINGS - 1]).toBe('… and 151 more warnings.');
  });

  it('quotes untrusted names cleaned and truncated in warnings', () => {
    const report = mergeRuns([
      {
        name: 'a',
        runs: [
          run({
            machine_label: `line\nbreak ${'x'.repeat(150)}`,
            device: 'cuda:0'
          })
        ]
      }
    ]);
    const warning = report.warnings[0];
    expect(warning).not.toContain('\n');
    expect(warning).toContain('line break xxx');
    expect(warning).toContain('x…”');
  });

  it('works with prototype property names as labels and ids', () => {
    const report = mergeRuns([
      {
        name: '__proto__',
        runs: [
          run({
            id: '__proto__',
            machine_label: '__proto__',
            profile: 'constructor'
          }),
          run({
            id: 'constructor',
            machine_label: '__proto__',
            profile: 'constructor',
            device: 'cuda:0',
            train_seconds: 50
          })
        ]
      }
    ]);
    expect(report.runs).toHaveLength(2);
    expect(
      find(report.groups, '__proto__', 'cuda:0', 'constructor').speedup
    ).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('merges nothing into an empty report', () => {
    expect(mergeRuns([])).toEqual({
      sources: [],
      runs: [],
      groups: [],
      failed: [],
      notebooks: [],
      machines: [],
      duplicates: 0,
      warnings: [],
      invalid: []
    });
  });
});

describe('helpers', () => {
  it('median', () => {
    expect(median([3])).toBe(3);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('workload in words', () => {
    expect(workloadLabel(workloadOf(run()))).toBe(
      'mnist-train+test, 60000 training samples, 10 epochs, batch 64'
    );
    expect(
      workloadLabel(
        workloadOf(
          run({
            data: {
              source: 'synthetic',
              train_samples: 1000,
              repeat_to: 60000
            },
            settings: { epochs: 1, batch_size: 512 }
          })
        )
      )
    ).toBe(
      'synthetic, 1000 training samples, repeated to 60000 per epoch, 1 epoch, batch 512'
    );
    expect(workloadLabel(null)).toBe('data and settings not recorded');
  });

  it('baseName', () => {
    expect(baseName('a/b/c.ipynb')).toBe('c.ipynb');
    expect(baseName('C:\\x\\y.json')).toBe('y.json');
    expect(baseName('plain')).toBe('plain');
  });
});
