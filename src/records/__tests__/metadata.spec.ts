/**
 * Appending run records to `metadata.device_bench`: the schema_version rule
 * of the headless runner (records.py check_metadata), so that the two never
 * disagree on which metadata they may change.
 */
import { NotebookModel } from '@jupyterlab/notebook';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { METADATA_KEY } from '../../common/contract';
import { validRun } from '../../__tests__/records';
import {
  InvalidRecordError,
  METADATA_SCHEMA_VERSION,
  MalformedMetadataError,
  INTERRUPTED_REASON,
  appendRun,
  interruptedRecord,
  isRunning,
  resolveInterrupted,
  checkAppendable,
  withRun
} from '../metadata';

const record = validRun('run-1');

describe('withRun and schema_version', () => {
  it.each<[string, Record<string, unknown>, unknown[]]>([
    ['missing (the device picker alone)', { device: 'cuda:0' }, []],
    [
      '1',
      { schema_version: 1, device: 'cpu', runs: [validRun('old')] },
      [validRun('old')]
    ]
  ])('appends when the version is %s', (_, existing, before) => {
    const updated = withRun(existing as ReadonlyPartialJSONObject, record);
    expect(updated.schema_version).toBe(METADATA_SCHEMA_VERSION);
    expect(updated.device).toBe(existing.device);
    expect(updated.runs).toEqual([...before, record]);
  });

  it('appends to no metadata at all', () => {
    expect(withRun(undefined, record)).toEqual({
      schema_version: 1,
      runs: [record]
    });
  });

  it.each<[unknown, RegExp]>([
    ['2', /has schema_version "2"; this extension writes 1/],
    [2, /has schema_version 2, newer than this extension writes; /],
    [99, /has schema_version 99, newer than this extension writes; /],
    [0, /has schema_version 0; this extension writes 1/],
    [-1, /has schema_version -1; /],
    [1.5, /has schema_version 1\.5, newer/],
    [null, /has schema_version null; /],
    [true, /has schema_version true; /],
    ['1', /has schema_version "1"; /],
    ['', /has schema_version ""; /],
    [[1], /has schema_version a list; /],
    [{ v: 1 }, /has schema_version an object; /],
    ['x'.repeat(1e6), /has schema_version "x{40}…"; /]
  ])('refuses schema_version #%#', (version, message) => {
    const existing = { schema_version: version, runs: [] };
    let error: unknown;
    try {
      withRun(existing as ReadonlyPartialJSONObject, record);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MalformedMetadataError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(
      /fix or remove it first \(nothing was changed\)\.$/
    );
    expect((error as Error).message.length).toBeLessThan(300);
  });

  it('leaves a notebook with another version unchanged', () => {
    for (const version of ['2', 0, null]) {
      const model = new NotebookModel();
      const metadata = { schema_version: version, device: 'cpu', runs: [] };
      model.setMetadata(METADATA_KEY, metadata);
      expect(() => checkAppendable(model)).toThrow(MalformedMetadataError);
      expect(() => appendRun(model, record)).toThrow(MalformedMetadataError);
      expect(model.getMetadata(METADATA_KEY)).toEqual(metadata);
      model.dispose();
    }
  });
});

describe('withRun validates on write and drops duplicate ids', () => {
  it('refuses a record the schema refuses, leaving the notebook unchanged', () => {
    const model = new NotebookModel();
    const metadata = { schema_version: 1, runs: [validRun('a')] };
    model.setMetadata(METADATA_KEY, metadata);
    for (const bad of [
      validRun('b', { status: 'done' }),
      validRun('b', { device: 'auto' }),
      validRun('b', { accuracy: 1.5 }),
      validRun('b', { error: 'e'.repeat(2001) }),
      { id: 'b' }
    ]) {
      expect(() => appendRun(model, bad)).toThrow(InvalidRecordError);
    }
    expect(model.getMetadata(METADATA_KEY)).toEqual(metadata);
    model.dispose();
  });

  it('refuses metadata whose runs the schema refuses', () => {
    expect(() =>
      withRun({ schema_version: 1, runs: [{ id: 'x' }] }, record)
    ).toThrow(/does not match its schema \(runs\.0 /);
    expect(() => withRun({ device: 'gpu' }, record)).toThrow(
      MalformedMetadataError
    );
  });

  it('keeps one copy of a run id, the newer last', () => {
    const updated = withRun(
      { schema_version: 1, runs: [validRun('a'), validRun('b')] },
      validRun('a', { accuracy: 0.5 })
    );
    expect((updated.runs as { id: string }[]).map(r => r.id)).toEqual([
      'b',
      'a'
    ]);
    expect((updated.runs as { accuracy: number }[])[1].accuracy).toBe(0.5);
  });

  it('does not share the record or the existing runs', () => {
    const existing = { schema_version: 1, runs: [validRun('a')] };
    const added = validRun('b');
    const updated = withRun(existing, added);
    (updated.runs as { id: string }[])[0].id = 'changed';
    (updated.runs as { id: string }[])[1].id = 'changed';
    expect(existing.runs[0].id).toBe('a');
    expect(added.id).toBe('b');
  });
});

describe('running markers', () => {
  it('replaces a running marker by its final record', () => {
    const marker = validRun('m', { status: 'running', accuracy: null });
    const withMarker = withRun(undefined, marker);
    expect(isRunning((withMarker.runs as unknown[])[0])).toBe(true);
    const final = withRun(withMarker, validRun('m'));
    expect(final.runs).toEqual([validRun('m')]);
    expect((final.runs as unknown[]).some(isRunning)).toBe(false);
  });

  it('turns running markers into interrupted records', () => {
    const runs = [
      validRun('a'),
      validRun('b', { status: 'running', accuracy: null })
    ];
    const resolved = resolveInterrupted(runs, '2026-12-02T01:00:00Z');
    expect(resolved[0]).toEqual(runs[0]);
    expect(resolved[1]).toMatchObject({
      id: 'b',
      status: 'interrupted',
      finished_at: '2026-12-02T01:00:00Z'
    });
    expect(resolved[1].error).toMatch(
      /interrupted before this device ended \(the page was reloaded or closed, or the server restarted\)/
    );
    expect(runs[1].status).toBe('running');
    expect(isRunning(null)).toBe(false);
    expect(isRunning({ status: 'ok' })).toBe(false);
    const now = resolveInterrupted([runs[1]])[0];
    expect(Date.parse(now.finished_at as string)).toBeGreaterThan(0);
  });
});

describe('withRun and the running marker', () => {
  const running = { status: 'running', accuracy: null, train_seconds: null };
  const marker = validRun('dev-2', { ...running, finished_at: 'start' });
  const older = validRun('dev-0', { ...running, finished_at: 'start' });
  const done = validRun('dev-1');

  it('puts the final record in place of its marker', () => {
    const updated = withRun({ runs: [done, marker] }, validRun('dev-2'));
    expect(updated.runs).toEqual([done, validRun('dev-2')]);
    // In place, also when the marker is not the last run.
    expect(withRun({ runs: [marker, done] }, validRun('dev-2')).runs).toEqual([
      validRun('dev-2'),
      done
    ]);
  });

  it('replaces an interrupted marker too, and appends otherwise', () => {
    const stale = interruptedRecord(marker, 'later');
    expect(withRun({ runs: [stale] }, validRun('dev-2')).runs).toEqual([
      validRun('dev-2')
    ]);
    // Another record with an id already there: the same run counts once,
    // the newer copy last (as the headless runner's append_run).
    const failed = validRun('dev-1', { status: 'failed', error: 'boom' });
    expect(withRun({ runs: [done] }, failed).runs).toEqual([failed]);
    expect(withRun({ runs: [done, validRun('dev-3')] }, failed).runs).toEqual([
      validRun('dev-3'),
      failed
    ]);
  });

  it('resolves markers left behind when asked, keeping everything else', () => {
    const updated = withRun({ runs: [older, done] }, marker, 50, true);
    const runs = updated.runs as Record<string, unknown>[];
    expect(runs.map(r => [r.id, r.status])).toEqual([
      ['dev-0', 'interrupted'],
      ['dev-1', 'ok'],
      ['dev-2', 'running']
    ]);
    expect(runs[0].error).toBe(INTERRUPTED_REASON);
    expect(runs[0].finished_at).not.toBe('start');
    // Without asking, a marker left behind stays as it is.
    expect(
      (withRun({ runs: [older] }, done).runs as Record<string, unknown>[])[0]
        .status
    ).toBe('running');
  });
});
