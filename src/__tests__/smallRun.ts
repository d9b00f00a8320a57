/**
 * The small real-data run that the jest integration specs and the Galata
 * specs give the benchmark notebook: the MNIST test split shared beside the
 * repository, 512 images to train on and 256 to test, one epoch after two
 * warm-up steps. Tests that need a longer run spread it and override.
 */
import * as path from 'node:path';

/**
 * The MNIST test split shared beside the repository.
 */
export const MNIST_DIR = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  'shared',
  'data',
  'mnist'
);

export const SMALL_RUN = {
  data_dir: MNIST_DIR,
  split_from_test: true,
  train_size: 512,
  test_size: 256,
  epochs: 1,
  warmup_steps: 2
};
