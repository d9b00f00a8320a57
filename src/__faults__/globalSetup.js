const fs = require('node:fs');
const { TABLE_FILE } = require('./setup');

module.exports = async () => {
  fs.rmSync(TABLE_FILE, { force: true });
};
