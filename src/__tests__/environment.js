// The jsdom test environment of @jupyterlab/testing, with one door to Node's
// own `process` for the specs: the `process` a spec sees is a copy whose
// listeners Node never calls, so `process.on('unhandledRejection', ...)` in
// a spec hears nothing (jest-circus, listening on the real one, fails the
// test instead, without a count). `watchUncaught` (uncaught.ts) uses it.
const Base = require('@jupyterlab/testing/lib/jest-env').default;

class DeviceBenchEnvironment extends Base {
  constructor(...args) {
    super(...args);
    this.global.__deviceBenchOnProcess = (event, listener) => {
      process.on(event, listener);
      return () => process.off(event, listener);
    };
  }
}

module.exports = DeviceBenchEnvironment;
