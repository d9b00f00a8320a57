/**
 * A valid run record for unit specs (appending validates records on write).
 */
import type { PartialJSONObject } from '@lumino/coreutils';

export function validRun(
  id: string,
  changes: PartialJSONObject = {}
): PartialJSONObject {
  return {
    id,
    status: 'ok',
    source: 'jupyterlab',
    machine_label: 'lab box',
    device: 'cpu',
    device_name: 'Intel(R) Xeon(R) Processor',
    profile: 'quick',
    params: { profile: 'quick' },
    settings: { epochs: 1 },
    data: { train_samples: 1000 },
    train_seconds: 1.5,
    epoch_seconds: [1.5],
    steady_epoch_seconds: 1.5,
    samples_per_second: 666.7,
    accuracy: 0.9,
    versions: { torch: '2.13.0+cpu' },
    cpu: { model: 'Intel(R) Xeon(R) Processor' },
    started_at: '2026-11-26T10:00:00Z',
    finished_at: '2026-11-26T10:00:03Z',
    error: null,
    ...changes
  };
}
