const jestJupyterLab = require('@jupyterlab/testing/lib/jest-config');

const esModules = [
  '@codemirror',
  '@jupyter/ydoc',
  '@jupyter/react-components',
  '@jupyter/web-components',
  '@jupyterlab/',
  '@lumino/',
  '@microsoft',
  'exenv-es6',
  'lib0',
  'marked',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
].join('|');

const baseConfig = jestJupyterLab(__dirname);

module.exports = {
  ...baseConfig,
  automock: false,
  // @jupyterlab/testing's environment, with a way for specs to hear
  // unhandled rejections (src/__tests__/uncaught.ts).
  testEnvironment: '<rootDir>/src/__tests__/environment.js',
  collectCoverageFrom: ['src/**/*.{ts,tsx}', '!src/**/*.d.ts'],
  reporters: ['default'],
  // Only src/ holds specs and the modules they import: jest does not crawl
  // .venv, node_modules or the built labextension for them.
  roots: ['<rootDir>/src'],
  testRegex: 'src/.*/__tests__/.*\\.spec\\.tsx?$',
  testPathIgnorePatterns: ['/node_modules/'],
  // Integration specs start servers and torch kernels: on 2 busy cores a
  // restart plus a cold probe can take a minute. Generous, but bounded.
  testTimeout: 180000,
  // One spec file at a time: suites that each start a server and kernels do
  // not starve each other.
  maxWorkers: 1,
  transformIgnorePatterns: [`/node_modules/(?!${esModules}).+`]
};
