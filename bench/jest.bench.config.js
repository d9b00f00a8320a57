/**
 * Jest configuration of the Node benchmarks (`bench/*.bench.spec.ts`): the
 * repository's configuration with another test pattern, run in plain Node.
 *
 *   npx jest -c bench/jest.bench.config.js
 */
const path = require('path');
const base = require('../jest.config.js');
const root = path.resolve(__dirname, '..');

// tsconfig.test.json's compiler options, inline: that file only includes
// src/, and ts-jest refuses files outside a tsconfig's include.
const compilerOptions = {
  ...require('../tsconfig.json').compilerOptions,
  ...require('../tsconfig.test.json').compilerOptions
};
for (const key of [
  'noEmit',
  'noEmitOnError',
  'composite',
  'incremental',
  'declaration',
  'outDir'
]) {
  delete compilerOptions[key];
}
// tsconfig.json's rootDir is src/; the benchmarks live beside it.
compilerOptions.rootDir = root;

module.exports = {
  ...base,
  rootDir: root,
  // Crawl only what the benchmarks import (not .venv or built copies).
  roots: ['<rootDir>/bench', '<rootDir>/src'],
  // Plain Node: the code under test is pure (no DOM shim).
  testEnvironment: 'node',
  setupFiles: [],
  testRegex: 'bench/.*\\.bench\\.spec\\.ts$',
  testTimeout: 600000,
  transform: {
    ...base.transform,
    '^.+\\.tsx?$': ['ts-jest/legacy', { tsconfig: compilerOptions }]
  }
};
