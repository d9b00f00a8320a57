/**
 * The install doctor on the real kernel path: the CPU-only torch of the venv
 * in a real ipykernel that finds a fake NVIDIA driver (a libnvidia-ml.so.1
 * compiled here from jupyterlab_device_bench/tests/fake_nvml.c, through the
 * kernel spec's LD_LIBRARY_PATH), in a real JupyterLab and Chromium.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kernelExpression, PANEL, venvPython } from '../helpers';

const KERNEL = 'device-bench-fake-nvml';
const SOURCE = path.resolve(
  __dirname,
  '..',
  '..',
  'jupyterlab_device_bench',
  'tests',
  'fake_nvml.c'
);
// The scratch data folder of playwright.config.ts (JUPYTER_DATA_DIR of the server).
const SPEC_DIR = path.resolve(
  __dirname,
  '..',
  '.jupyter-test',
  'data',
  'kernels',
  KERNEL
);
const INDEX = 'https://download.pytorch.org/whl/';
const GPU = 'NVIDIA GeForce RTX 3070 Ti Laptop GPU';

/** The venv's Python as the kernel will report it. */
const { executable: EXECUTABLE, torchVersion: TORCH_VERSION } = venvPython();
const RELEASE = TORCH_VERSION.split('.').slice(0, 2).join('.');

/** Python's shlex.quote, which the doctor uses for POSIX commands. */
function shQuote(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text)
    ? text
    : `'${text.replace(/'/g, `'"'"'`)}'`;
}

function expectedCommand(variant: string): string {
  const exe = shQuote(EXECUTABLE);
  return (
    `${exe} -m pip uninstall -y torch\n` +
    `${exe} -m pip install 'torch==${RELEASE}.*' --index-url ${INDEX}${variant}`
  );
}

let libDir = '';

/**
 * Compile the fake NVML into libDir: one RTX 3070 Ti Laptop GPU (8.6) on the
 * given driver. Built beside and renamed into place, so a kernel that has the
 * old one loaded keeps it and the next kernel loads the new one.
 */
function buildFakeNvml(driver: string, driverCuda: number): void {
  const target = path.join(libDir, 'libnvidia-ml.so.1');
  const next = `${target}.next`;
  execFileSync(
    'gcc',
    [
      '-shared',
      '-fPIC',
      '-o',
      next,
      SOURCE,
      `-DFAKE_DRIVER="${driver}"`,
      `-DFAKE_DRIVER_CUDA=${driverCuda}`
    ],
    { timeout: 60_000 }
  );
  fs.renameSync(next, target);
}

test.beforeAll(() => {
  libDir = fs.mkdtempSync(path.join(os.tmpdir(), 'device-bench-nvml-'));
  buildFakeNvml('550.54.15', 12040);
  fs.mkdirSync(SPEC_DIR, { recursive: true });
  fs.writeFileSync(
    path.join(SPEC_DIR, 'kernel.json'),
    JSON.stringify({
      argv: [EXECUTABLE, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
      display_name: 'Python (fake NVIDIA driver)',
      language: 'python',
      env: { LD_LIBRARY_PATH: libDir, OMP_NUM_THREADS: '1' }
    })
  );
});

test.afterAll(() => {
  fs.rmSync(SPEC_DIR, { recursive: true, force: true });
  fs.rmSync(libDir, { recursive: true, force: true });
});

// Galata's kernel-tracking mock answers every POST under /api/kernels with
// 201, which breaks kernel restarts (see benchmark.spec.ts). Copy is checked
// by reading the clipboard, which Chromium allows only when granted.
test.use({
  kernels: null,
  permissions: ['clipboard-read', 'clipboard-write']
});

/** The current notebook's cells: source, tags, execution count and outputs. */
async function cells(page: IJupyterLabPageFixture) {
  return page.evaluate(() => {
    const widget = window.jupyterapp.shell.currentWidget as any;
    return widget.content.model.sharedModel.cells.map((c: any) => ({
      source: c.getSource() as string,
      tags: (c.getMetadata('tags') ?? []) as string[],
      count: (c.execution_count ?? null) as number | null,
      outputs: ((c.toJSON().outputs ?? []) as unknown[]).length
    }));
  });
}

/** The kernel's own execution counter, asked silently (which does not move it). */
function kernelExecutionCount(page: IJupyterLabPageFixture) {
  return kernelExpression(page, 'get_ipython().execution_count');
}

test('a CPU-only torch with an RTX 3070 Ti on driver 550: the cu126 command, Copy, Insert as cell, Restart and check again', async ({
  page
}) => {
  test.setTimeout(240_000);
  await page.notebook.createNew('doctor.ipynb', { kernel: KERNEL });
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('device-bench:open-panel')
  );
  const panel = page.locator(PANEL);
  const diagnosis = panel.locator('[data-code="cpu-only-build"]');
  await expect(diagnosis).toBeVisible({ timeout: 120_000 });

  // What the fake driver reported, as the panel shows it.
  const versions = panel.locator('.jp-DeviceBench-versions');
  await expect(
    versions.locator('tr:has(th:text-is("NVIDIA driver")) td')
  ).toHaveText('550.54.15');
  await expect(
    versions.locator('tr:has(th:text-is("Driver supports CUDA")) td')
  ).toHaveText('12.4');
  await expect(
    versions.locator('tr:has(th:text-is("NVIDIA GPU 0")) td')
  ).toHaveText(`${GPU}, compute capability 8.6`);
  await expect(
    versions.locator('tr:has(th:text-is("Torch build")) td')
  ).toHaveText('cpu');
  const cuda = panel.locator('.jp-DeviceBench-backend[data-backend="cuda"]');
  await expect(cuda).toHaveAttribute('data-usable', 'false');
  await expect(cuda).toContainText('this torch is a CPU-only build');

  // The fix: cu126 (torch 2.13 has nothing at or below the driver's 12.4;
  // 12.6 runs on it through minor-version compatibility).
  const fix = diagnosis.locator('.jp-DeviceBench-fix[data-primary="true"]');
  await expect(fix).toHaveCount(1);
  const command = fix.locator('.jp-DeviceBench-fixCommand');
  await expect(command).toHaveText(expectedCommand('cu126'));

  // Copy puts exactly that command on the clipboard.
  await page.evaluate(() => navigator.clipboard.writeText('before'));
  await fix.locator('.jp-DeviceBench-copyFix').click();
  await expect
    .poll(() => page.evaluate(() => navigator.clipboard.readText()), {
      timeout: 10_000,
      message: 'the clipboard to hold the fix command'
    })
    .toBe(expectedCommand('cu126'));

  // Insert as cell: one cell at the top, the %pip lines, never run.
  const countBefore = await kernelExecutionCount(page);
  expect(countBefore).toEqual(expect.stringMatching(/^\d+$/));
  const before = await cells(page);
  await fix.locator('.jp-DeviceBench-insertFix').click();
  await expect
    .poll(async () => (await cells(page)).length)
    .toBe(before.length + 1);
  const after = await cells(page);
  expect(after[0]).toEqual({
    source:
      '%pip uninstall -y torch\n' +
      `%pip install "torch==${RELEASE}.*" --index-url ${INDEX}cu126`,
    tags: ['device-bench-fix'],
    count: null,
    outputs: 0
  });
  expect(after.slice(1)).toEqual(before);
  expect(after.filter(c => c.tags.includes('device-bench-fix'))).toHaveLength(
    1
  );
  expect(await kernelExecutionCount(page)).toBe(countBefore);

  // The driver is updated to 580 (CUDA 13.0) meanwhile; Restart kernel and
  // check again starts a new kernel process that is probed afresh: still no
  // cuda:0 (the build is still CPU-only), and the command now is cu130.
  buildFakeNvml('580.65.06', 13000);
  await fix.locator('.jp-DeviceBench-restartCheck').click();
  const check = panel.locator('.jp-DeviceBench-check');
  await expect(check).toHaveAttribute('data-check', 'still', {
    timeout: 150_000
  });
  await expect(check).toContainText('cuda:0 is still not available.');
  await expect(check).toContainText('Still in the way:');
  await expect(
    versions.locator('tr:has(th:text-is("NVIDIA driver")) td')
  ).toHaveText('580.65.06');
  await expect(
    panel.locator(
      '[data-code="cpu-only-build"] .jp-DeviceBench-fix[data-primary="true"] .jp-DeviceBench-fixCommand'
    )
  ).toHaveText(expectedCommand('cu130'));

  // Nothing ran the inserted cell along the way.
  const last = await cells(page);
  expect(last[0]).toMatchObject({ count: null, outputs: 0 });
  expect(last).toHaveLength(before.length + 1);
});
