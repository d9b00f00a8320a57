const { printTable } = require('./setup');

module.exports = async () => {
  printTable();
};
