// The fault suite (`make test-faults`): real server, real kernel, faults
// injected; prints a table of what each fault cost.
const base = require('./jest.config');

module.exports = {
  ...base,
  testRegex: 'src/__faults__/.*\\.faults\\.spec\\.tsx?$',
  globalSetup: '<rootDir>/src/__faults__/globalSetup.js',
  globalTeardown: '<rootDir>/src/__faults__/globalTeardown.js',
  testTimeout: 600000
};
