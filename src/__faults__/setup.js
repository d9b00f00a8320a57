// Global setup and teardown of the fault suite: start with an empty table,
// print it when every spec has run.
const fs = require('node:fs');
const path = require('node:path');

const TABLE_FILE = path.resolve(__dirname, '..', '..', 'faults-report.jsonl');

function readRows() {
  if (!fs.existsSync(TABLE_FILE)) {
    return [];
  }
  return fs
    .readFileSync(TABLE_FILE, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(line => JSON.parse(line));
}

function printTable() {
  const rows = readRows();
  const head = [
    'fault',
    'tries',
    'records lost',
    'invalid metadata',
    'uncaught errors',
    'notes'
  ];
  const cells = rows.map(r => [
    r.fault,
    String(r.tries),
    String(r.lost),
    String(r.invalid),
    String(r.uncaught),
    r.notes ?? ''
  ]);
  const lines = [head, head.map(() => '---'), ...cells].map(
    row => `| ${row.join(' | ')} |`
  );
  process.stdout.write(
    `\nFault suite (${rows.length} faults)\n\n${lines.join('\n')}\n\n`
  );
}

module.exports = { TABLE_FILE, readRows, printTable };
