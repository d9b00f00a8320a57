/**
 * Appending run records to `metadata.device_bench`: the schema_version rule
 * of the headless runner (records.py check_metadata), so that the two never
 * disagree on which metadata they may change.
 */
import { NotebookModel } from '@jupyterlab/notebook';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { METADATA_KEY } from '../../tokens';
import { MalformedMetadataError } from '../deviceCell';
import {
  METADATA_SCHEMA_VERSION,
  appendRun,
  checkAppendable,
  INTERRUPTED_REASON,
  interruptedRecord,
  withRun
} from '../metadata';

const record = { id: 'run-1' };

describe('withRun and schema_version', () => {
  it.each<[string, Record<string, unknown>, unknown[]]>([
    ['missing (the device picker alone)', { device: 'cuda:0' }, []],
    [
      '1',
      { schema_version: 1, device: 'cpu', runs: [{ id: 'old' }] },
      [{ id: 'old' }]
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

describe('withRun and the running marker', () => {
  const marker = { id: 'dev-2', status: 'running', finished_at: 'start' };
  const older = { id: 'dev-0', status: 'running', finished_at: 'start' };
  const done = { id: 'dev-1', status: 'ok' };

  it('puts the final record in place of its marker', () => {
    const updated = withRun(
      { runs: [done, marker] },
      { id: 'dev-2', status: 'ok' }
    );
    expect(updated.runs).toEqual([done, { id: 'dev-2', status: 'ok' }]);
  });

  it('replaces an interrupted marker too, and appends otherwise', () => {
    const stale = interruptedRecord(marker, 'later');
    expect(
      withRun({ runs: [stale] }, { id: 'dev-2', status: 'ok' }).runs
    ).toEqual([{ id: 'dev-2', status: 'ok' }]);
    expect(
      withRun({ runs: [done] }, { id: 'dev-1', status: 'failed' }).runs
    ).toEqual([done, { id: 'dev-1', status: 'failed' }]);
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
