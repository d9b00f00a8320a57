const fs = require('node:fs');
const { TABLE_FILE } = require('./setup');

// `make test-faults` runs the browser's faults first and keeps their rows
// (DEVICE_BENCH_FAULT_TABLE_KEEP); run alone, the suite starts a new table.
module.exports = async () => {
  if (!process.env.DEVICE_BENCH_FAULT_TABLE_KEEP) {
    fs.rmSync(TABLE_FILE, { force: true });
  }
};
