/**
 * Check the import graph of `src/` (run by `npm run lint:check`): no import
 * cycle (type-only imports count: they are architecture too), and only the
 * dependency directions docs/architecture.md allows. Specs and test helpers
 * (`__tests__`, `__faults__`) are left out; they may import anything.
 *
 * Exit status 1 with one line per problem.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/**
 * What each part of src/ may import from other parts of src/ (besides
 * itself and its own _generated modules). A part is a top-level folder, or a
 * top-level file without its extension.
 */
export const ALLOWED = {
  common: [],
  tokens: ['kernel/types'],
  settings: ['common'],
  icons: [],
  kernel: ['common', 'tokens', 'settings'],
  records: ['common', 'kernel/types'],
  notebook: ['common', 'records', 'tokens', 'settings', 'icons'],
  panel: ['common', 'tokens', 'kernel/types', 'settings', 'icons'],
  benchmark: [
    'common',
    'records',
    'notebook',
    'tokens',
    'kernel/types',
    'settings',
    'icons'
  ],
  report: ['common', 'records', 'tokens', 'settings', 'icons'],
  index: [
    'tokens',
    'kernel/plugin',
    'panel/plugin',
    'notebook/plugin',
    'benchmark/plugin',
    'report/plugin'
  ]
};

function sources(folder) {
  const found = [];
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) {
      if (!['__tests__', '__faults__'].includes(name)) {
        found.push(...sources(path));
      }
    } else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) {
      found.push(path);
    }
  }
  return found;
}

function resolveImport(from, specifier) {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [
    `${base}.ts`,
    `${base}.tsx`,
    join(base, 'index.ts'),
    join(base, 'index.tsx')
  ]) {
    if (existsSync(candidate)) {
      return candidate;
    }
  }
  return null;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'"]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/g;

export function importGraph() {
  const graph = new Map();
  const problems = [];
  for (const file of sources(src)) {
    const text = readFileSync(file, 'utf8');
    const targets = [];
    for (const match of text.matchAll(IMPORT)) {
      const target = resolveImport(file, match[1]);
      if (target === null) {
        // Generated modules exist only after `npm run build:embed`.
        if (!match[1].includes('_generated')) {
          problems.push(`${relative(root, file)}: cannot resolve ${match[1]}`);
        }
        continue;
      }
      targets.push(target);
    }
    graph.set(file, targets);
  }
  return { graph, problems };
}

function part(file) {
  const path = relative(src, file).replace(/\.tsx?$/, '');
  const [top, ...rest] = path.split('/');
  return { top, path, rest };
}

function allowed(from, to) {
  const a = part(from);
  const b = part(to);
  if (a.top === b.top) {
    return true;
  }
  const rules = ALLOWED[a.top];
  if (!rules) {
    return false;
  }
  return rules.some(rule => rule === b.top || rule === b.path);
}

export function findCycles(graph) {
  const cycles = [];
  const state = new Map();
  const stack = [];
  const visit = file => {
    state.set(file, 'open');
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      if (state.get(target) === 'open') {
        cycles.push([...stack.slice(stack.indexOf(target)), target]);
      } else if (!state.has(target)) {
        visit(target);
      }
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) {
    if (!state.has(file)) {
      visit(file);
    }
  }
  return cycles;
}

export function check() {
  const { graph, problems } = importGraph();
  for (const cycle of findCycles(graph)) {
    problems.push(
      `import cycle: ${cycle.map(file => relative(root, file)).join(' -> ')}`
    );
  }
  for (const [file, targets] of graph) {
    for (const target of targets) {
      if (!allowed(file, target)) {
        problems.push(
          `${relative(root, file)} may not import ${relative(root, target)} (see docs/architecture.md)`
        );
      }
    }
  }
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problems = check();
  for (const problem of problems) {
    console.error(problem);
  }
  if (problems.length) {
    process.exit(1);
  }
  console.log('check-imports: no cycle, every import in an allowed direction');
}
