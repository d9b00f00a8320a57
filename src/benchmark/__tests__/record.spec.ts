import type { IProbeReport } from '../../tokens';
import {
  defaultMachineLabel,
  failedRecord,
  type IRunContext,
  okRecord,
  recordParams,
  runningRecord,
  stripPaths
} from '../record';
import { metadata as validateMetadata } from '../../report/_generated/validators';

const CONTEXT: IRunContext = {
  id: 'run-42',
  device: 'cuda:0',
  deviceName: 'NVIDIA H100',
  machineLabel: 'lab box',
  profile: 'quick',
  params: { profile: 'quick' },
  startedAt: '2026-11-26T10:00:00Z'
};

describe('run records', () => {
  it('copies a result document into an ok record', () => {
    const record = okRecord(CONTEXT, {
      device: 'cuda:0',
      device_name: 'NVIDIA H100 80GB HBM3',
      profile: 'quick',
      train_seconds: 1.5,
      accuracy: 0.9,
      started_at: '2026-11-26T10:00:01Z',
      finished_at: '2026-11-26T10:00:03Z'
    });
    expect(record).toMatchObject({
      status: 'ok',
      source: 'jupyterlab',
      device: 'cuda:0',
      device_name: 'NVIDIA H100 80GB HBM3',
      machine_label: 'lab box',
      train_seconds: 1.5,
      accuracy: 0.9,
      error: null
    });
    expect(typeof record.id).toBe('string');
  });

  it('copies the accuracy note only when the result has one', () => {
    const note =
      'too short to judge accuracy: after 16 training steps the loss is 2.30';
    const noted = okRecord(CONTEXT, { accuracy: 0.1, accuracy_note: note });
    expect(noted.accuracy_note).toBe(note);
    expect(
      okRecord(CONTEXT, { accuracy_note: 'x'.repeat(1000) }).accuracy_note
    ).toHaveLength(300);
    expect(okRecord(CONTEXT, { accuracy_note: 42 } as any).accuracy_note).toBe(
      null
    );
    expect('accuracy_note' in okRecord(CONTEXT, { accuracy: 0.9 })).toBe(false);
  });

  it('keeps only well-typed, bounded values from the kernel', () => {
    const record = okRecord(CONTEXT, {
      device: '<img src=x onerror=alert(1)>',
      device_name: 'x'.repeat(10_000),
      profile: 42,
      started_at: { not: 'a string' }
    } as any);
    expect(record.device).toBe('cuda:0');
    expect((record.device_name as string).length).toBe(200);
    expect(record.profile).toBe('quick');
    expect(record.started_at).toBe(CONTEXT.startedAt);
  });

  it('records failures without paths', () => {
    const record = failedRecord(
      CONTEXT,
      'failed',
      'FileNotFoundError: /home/alice/data/mnist/t10k-images-idx3-ubyte.gz'
    );
    expect(record).toMatchObject({ status: 'failed', train_seconds: null });
    expect(String(record.error)).not.toContain('alice');
    expect(stripPaths('C:\\Users\\bob\\data\\x.gz missing')).not.toContain(
      'bob'
    );
  });

  it.each([
    [
      "PermissionError: [Errno 13] Permission denied: 'C:\\\\Users\\\\alice\\\\data\\\\t10k.gz'",
      "PermissionError: [Errno 13] Permission denied: '…/t10k.gz'"
    ],
    [
      "FileNotFoundError: [Errno 2] No such file or directory: '/Users/John Smith/mnist/x.gz'",
      "FileNotFoundError: [Errno 2] No such file or directory: '…/x.gz'"
    ],
    [
      'OSError: "~/work/alice notes/data" is not a folder.',
      'OSError: "…/data" is not a folder.'
    ],
    ['no data in /home/bob/data/mnist.', 'no data in …/mnist.'],
    ['share \\\\server\\bob\\x.gz', 'share …/x.gz'],
    [
      'see https://pytorch.org/get-started/locally/',
      'see https://pytorch.org/get-started/locally/'
    ],
    ['ratio 1/2 and /', 'ratio 1/2 and /']
  ])('reduces paths to base names: %s', (message, expected) => {
    expect(stripPaths(message)).toBe(expected);
  });

  it('keeps only the base name of path-like parameters', () => {
    expect(
      recordParams({
        data_dir: '/home/alice/shared/data/mnist',
        epochs: 2,
        dataset: 'mnist'
      })
    ).toEqual({ data_dir: 'mnist', epochs: 2, dataset: 'mnist' });
    expect(recordParams({ data_dir: 'C:\\Users\\bob\\mnist\\' })).toEqual({
      data_dir: 'mnist'
    });
  });

  it('derives the machine label from CPU and GPU names only', () => {
    const report = {
      cpu: { model: 'AMD Ryzen 9' },
      devices: [
        {
          id: 'cuda:0',
          kind: 'cuda',
          name: 'NVIDIA RTX 4090',
          available: true
        },
        {
          id: 'cuda:1',
          kind: 'cuda',
          name: 'NVIDIA RTX 4090',
          available: true
        },
        { id: 'cpu', kind: 'cpu', name: 'AMD Ryzen 9', available: true }
      ]
    } as unknown as IProbeReport;
    expect(defaultMachineLabel(report)).toBe('AMD Ryzen 9 + NVIDIA RTX 4090');
    expect(defaultMachineLabel(null)).toBe('unknown machine');
  });

  it.each([
    // The same cases as test_records.py's test_default_machine_label_*.
    [
      'MPS',
      {
        cpu: { model: 'Apple M1 Max' },
        devices: [
          { id: 'mps', kind: 'mps', name: 'Apple M1 Max GPU', available: true },
          { id: 'cpu', kind: 'cpu', name: 'Apple M1 Max', available: true }
        ]
      },
      'Apple M1 Max + Apple M1 Max GPU'
    ],
    [
      'an unusable GPU',
      {
        cpu: { model: 'Xeon' },
        devices: [
          { id: 'cuda:0', kind: 'cuda', name: 'Tesla K80', available: false },
          { id: 'cpu', kind: 'cpu', name: 'Xeon', available: true }
        ]
      },
      'Xeon'
    ],
    ['no CPU model', { cpu: { model: null }, devices: [] }, 'CPU']
  ])('labels a machine with %s', (_, report, expected) => {
    expect(defaultMachineLabel(report as unknown as IProbeReport)).toBe(
      expected
    );
  });
});

describe('the running marker', () => {
  it('is a valid running record with the id of the final record', () => {
    const marker = runningRecord(CONTEXT);
    const final = failedRecord(CONTEXT, 'failed', 'boom');
    expect(marker.status).toBe('running');
    expect(marker.id).toBe(final.id);
    expect(marker.error).toBeNull();
    expect(marker.train_seconds).toBeNull();
    expect(marker.started_at).toBe(CONTEXT.startedAt);
    expect(validateMetadata({ schema_version: 1, runs: [marker] })).toBe(true);
  });
});
