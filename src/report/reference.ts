/**
 * The published reference figures: the 2023 article the product grew out of
 * timed the "seed" workload (MNIST, LeNet, batch 64, 10 epochs, two loader
 * workers) on two laptops. Reports include them only when asked.
 */
/* eslint-disable jupyter/no-untranslated-string -- data: the label of the
   published figures, as exported in reports */
import type { IReferenceFigure } from './types';

/**
 * The label of the reference series in charts and tables.
 */
export const REFERENCE_SERIES_LABEL = 'published reference (2023 article)';

/**
 * A sentence saying what the reference figures are comparable with.
 */
export const REFERENCE_NOTE =
  'Published figures of the 2023 article (10-epoch training loop of the seed profile on the full MNIST training set, batch 64): comparable only with seed runs on the full data.';

/**
 * The four published rows (seconds of the 10-epoch training loop).
 */
export const REFERENCE_FIGURES: readonly IReferenceFigure[] = Object.freeze(
  [
    {
      machine: 'Windows laptop',
      device: 'cuda',
      device_name: 'NVIDIA RTX 3070 Ti Laptop GPU (CUDA 11.7)',
      seconds: 45.02,
      profile: 'seed',
      label: 'published reference'
    },
    {
      machine: 'Windows laptop',
      device: 'cpu',
      device_name: 'Intel i9-12900H CPU',
      seconds: 75.65,
      profile: 'seed',
      label: 'published reference'
    },
    {
      machine: 'MacBook Pro',
      device: 'mps',
      device_name: 'Apple M1 Max GPU (MPS)',
      seconds: 50.79,
      profile: 'seed',
      label: 'published reference'
    },
    {
      machine: 'MacBook Pro',
      device: 'cpu',
      device_name: 'Apple M1 Max CPU',
      seconds: 109.61,
      profile: 'seed',
      label: 'published reference'
    }
  ].map(figure => Object.freeze(figure as IReferenceFigure))
);

/**
 * A reference figure with its speed-up over the CPU of the same machine.
 */
export interface IReferenceRow extends IReferenceFigure {
  /**
   * CPU seconds of the same machine ÷ these seconds (1 for the CPU row).
   */
  speedup: number | null;
}

/**
 * The reference figures with their speed-ups (within each machine).
 */
export function referenceRows(): IReferenceRow[] {
  return REFERENCE_FIGURES.map(figure => {
    const cpu = REFERENCE_FIGURES.find(
      other => other.machine === figure.machine && other.device === 'cpu'
    );
    return {
      ...figure,
      speedup: cpu && figure.seconds > 0 ? cpu.seconds / figure.seconds : null
    };
  });
}

/**
 * The reference figures as plain objects for a JSON report's `reference`.
 */
export function referenceJson(): Record<string, unknown>[] {
  return REFERENCE_FIGURES.map(figure => ({ ...figure }));
}
