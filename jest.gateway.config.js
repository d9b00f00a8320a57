// The full gateway suite (`make test-gateway`): a real Jupyter Kernel Gateway
// and a Jupyter server with --gateway-url to it (docs/gateway.md). About 2 to 7
// minutes on 2 cores, so not in `make test`; its smoke spec
// (gatewaySmoke.integration.spec.ts, in the default config) is.
const base = require('./jest.config');

module.exports = {
  ...base,
  testRegex: 'src/kernel/__tests__/gateway\\.integration\\.spec\\.ts$',
  testPathIgnorePatterns: ['/node_modules/']
};
