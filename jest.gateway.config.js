// The gateway suite (`make test-gateway`): a real Jupyter Kernel Gateway and
// a Jupyter server with --gateway-url to it (docs/gateway.md). Not yet part
// of `make test`: JupyterLab sometimes leaves a cancelled kernel_info request
// unhandled after a reconnection, which fails the jest test it happens in.
const base = require('./jest.config');

module.exports = {
  ...base,
  testRegex: 'src/kernel/__tests__/gateway\\.integration\\.spec\\.ts$',
  testPathIgnorePatterns: ['/node_modules/']
};
