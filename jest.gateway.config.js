// The gateway suite alone (`make test-gateway`, `make bench-gateway`): a real
// Jupyter Kernel Gateway and a Jupyter server with --gateway-url to it
// (docs/gateway.md). `make test` runs it too, among every other spec.
const base = require('./jest.config');

module.exports = {
  ...base,
  testRegex: 'src/kernel/__tests__/gateway\\.integration\\.spec\\.ts$'
};
