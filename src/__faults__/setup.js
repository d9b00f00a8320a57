// The fault suite's table, shared by its jest specs (table.ts), its
// Chromium spec (ui-tests/tests/interrupted.spec.ts) and its global setup
// and teardown: one JSON row a line, beside the repository. Plain Node, no
// JupyterLab imports, so that Playwright can load it too (types in setup.d.ts).
const fs = require('node:fs');
const path = require('node:path');

const TABLE_FILE = path.resolve(__dirname, '..', '..', 'faults-report.jsonl');

function addRow(row) {
  fs.appendFileSync(TABLE_FILE, JSON.stringify(row) + '\n');
}

// What a row says the fault cost; `NOTHING_LOST` when it cost nothing.
function cost(row) {
  return { lost: row.lost, invalid: row.invalid, errors: row.uncaught };
}

const NOTHING_LOST = Object.freeze({ lost: 0, invalid: 0, errors: 0 });

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

module.exports = {
  TABLE_FILE,
  NOTHING_LOST,
  addRow,
  cost,
  readRows,
  printTable
};
