/**
 * Simplified Chinese: with the zh_CN language pack installed (requirements/dev.txt) and
 * JupyterLab's locale set to zh_CN, the panel reads in Chinese from the catalog the wheel
 * ships (jupyterlab_device_bench/locale/zh_CN, found through the jupyterlab.locale entry
 * point). A real kernel with torch answers the probe; its diagnosis is worded by code.
 */
import { expect, test } from '@jupyterlab/galata';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PANEL, ZH_CN } from '../helpers';

test.use(ZH_CN);

// A kernel whose NVML is the fake driver 550.54.15 (CUDA 12.4) with an
// RTX 3070 Ti (jupyterlab_device_bench/tests/fake_nvml.c, as doctor.spec.ts
// builds it), in the scratch data folder of playwright.config.ts.
const FAKE_KERNEL = 'device-bench-fake-nvml-zh';
const SPEC_DIR = path.resolve(
  __dirname,
  '..',
  '.jupyter-test',
  'data',
  'kernels',
  FAKE_KERNEL
);
let libDir = '';

test.beforeAll(() => {
  libDir = fs.mkdtempSync(path.join(os.tmpdir(), 'device-bench-nvml-zh-'));
  const source = path.resolve(
    __dirname,
    '..',
    '..',
    'jupyterlab_device_bench',
    'tests',
    'fake_nvml.c'
  );
  execFileSync(
    'gcc',
    [
      '-shared',
      '-fPIC',
      '-o',
      path.join(libDir, 'libnvidia-ml.so.1'),
      source,
      '-DFAKE_DRIVER="550.54.15"',
      '-DFAKE_DRIVER_CUDA=12040'
    ],
    { timeout: 60_000 }
  );
  const python = execFileSync(
    'python',
    ['-c', 'import sys; print(sys.executable)'],
    { encoding: 'utf8' }
  ).trim();
  fs.mkdirSync(SPEC_DIR, { recursive: true });
  fs.writeFileSync(
    path.join(SPEC_DIR, 'kernel.json'),
    JSON.stringify({
      argv: [python, '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
      display_name: 'Python (fake NVIDIA driver, zh)',
      language: 'python',
      env: { LD_LIBRARY_PATH: libDir, OMP_NUM_THREADS: '1' }
    })
  );
});

test.afterAll(() => {
  fs.rmSync(SPEC_DIR, { recursive: true, force: true });
  fs.rmSync(libDir, { recursive: true, force: true });
});

test('the panel, its sections, buttons and a diagnosis in Chinese', async ({
  page
}) => {
  // JupyterLab itself is in Chinese: the language pack is active.
  await expect(page.locator('.lm-MenuBar-itemLabel').first()).toHaveText(
    '文件'
  );
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('notebook:create-new', {
      kernelName: 'device-bench-venv'
    })
  );
  await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('device-bench:open-panel')
  );
  const panel = page.locator(PANEL);
  await expect(panel).toBeVisible();

  await expect(panel.locator('.jp-SidePanel-header')).toHaveText(
    'PyTorch 设备'
  );
  await expect(
    panel.locator('.jp-AccordionPanel-title .lm-AccordionPanel-titleLabel')
  ).toHaveText(['设备', '环境', '基准测试', '运行记录']);
  await expect(
    panel.locator('.jp-SidePanel-toolbar [data-command="device-bench:refresh"]')
  ).toHaveAttribute('title', '重新询问内核 PyTorch 能使用哪些设备');

  // The probe's diagnosis, worded from its code; the kernel's English words
  // stay as the detail.
  const diagnosis = panel.locator('[data-code="cpu-only"]');
  await expect(diagnosis).toBeVisible({ timeout: 60_000 });
  await expect(
    diagnosis.locator('.jp-DeviceBench-diagnosticMessage')
  ).toContainText('提示： 没有找到这个内核可用的显卡（GPU），它将在 CPU（');
  await expect(
    diagnosis.locator('.jp-DeviceBench-diagnosticDetail[lang="en"]')
  ).toContainText('No GPU was found for this kernel');

  // Devices and their buttons.
  const cpu = panel.locator('.jp-DeviceBench-device[data-device="cpu"]');
  await expect(cpu.locator('.jp-DeviceBench-deviceState')).toHaveText('可用');
  await expect(cpu.locator('button')).toHaveText('使用 cpu');
  await expect(panel.locator('.jp-DeviceBench-useAuto')).toHaveText('自动选择');
  await expect(panel.locator('.jp-DeviceBench-versions')).toContainText(
    '解释器'
  );
  await expect(panel.locator('.jp-DeviceBench-openBenchmark')).toHaveText(
    '打开基准测试笔记本'
  );
  await expect(panel.locator('.jp-DeviceBench-noRuns')).toContainText(
    '这个笔记本还没有运行记录'
  );

  // Command labels (the palette and menus show these).
  const labels = await page.evaluate(() =>
    [
      'device-bench:open-panel',
      'device-bench:run-benchmark',
      'device-bench:export-report'
    ].map(id => window.jupyterapp.commands.label(id))
  );
  expect(labels).toEqual([
    '显示 PyTorch 设备',
    '在每个设备上运行基准测试',
    '导出用时报告'
  ]);

  // The bundled notebook opens with its prose in Chinese (its code cells are
  // the English notebook's: scripts/build_zh_notebook.py).
  const path = await page.evaluate(
    () =>
      window.jupyterapp.commands.execute(
        'device-bench:open-benchmark'
      ) as Promise<string>
  );
  expect(path).toMatch(/mnist_bench(-\d+)?\.ipynb$/);
  await expect(
    page.locator('.jp-NotebookPanel h1', { hasText: 'MNIST 设备基准测试' })
  ).toBeVisible();
});

test('a fix reason and a backend row in Chinese (CPU-only torch, fake RTX 3070 Ti on driver 550)', async ({
  page
}) => {
  test.setTimeout(180_000);
  await page.evaluate(
    kernelName =>
      window.jupyterapp.commands.execute('notebook:create-new', {
        kernelName
      }),
    FAKE_KERNEL
  );
  await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('device-bench:open-panel')
  );
  const panel = page.locator(PANEL);
  const diagnosis = panel.locator('[data-code="cpu-only-build"]');
  await expect(diagnosis).toBeVisible({ timeout: 120_000 });

  // The backend row's reason, sent as a code (contract.json reason_texts).
  await expect(
    panel.locator(
      '.jp-DeviceBench-backend[data-backend="cuda"] .jp-DeviceBench-backendReason'
    )
  ).toHaveText('这个 torch 是只支持 CPU 的版本');

  // The primary fix's reason: its sentences worded by code, the GPU's name,
  // the driver and the versions verbatim.
  const reason = diagnosis.locator(
    '.jp-DeviceBench-fix[data-primary="true"] .jp-DeviceBench-fixReason'
  );
  await expect(reason).toContainText(
    '、并能在 550.54.15 版驱动（最高支持 CUDA 12.4）上运行的最新 CUDA 版本。'
  );
  await expect(reason).toContainText(
    '借助 CUDA 的小版本兼容，CUDA 12.6 可以在支持 CUDA 12.4 的驱动上运行。'
  );
  await expect(reason).toContainText('NVIDIA GeForce RTX 3070 Ti Laptop GPU');
  await expect(reason).not.toContainText('minor-version');
});

test('the Settings Editor shows the settings in Chinese (the frontend translates the schema)', async ({
  page
}) => {
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('settingeditor:open', {
      query: '设备测速'
    })
  );
  const entry = page.locator(
    '.jp-PluginList-entry[data-id="jupyterlab-device-bench:plugin"]'
  );
  await expect(entry.locator('.jp-PluginList-entry-label-text')).toHaveText(
    '设备测速'
  );
  await entry.click();
  const form = page.locator('.jp-SettingsPanel');
  await expect(form.locator('.jp-SettingsHeader-title')).toHaveText('设备测速');
  await expect(form.locator('.jp-SettingsHeader-title')).toHaveAttribute(
    'title',
    'PyTorch 设备面板和设备选择器的设置。'
  );
  await expect(
    form.getByText('默认基准测试配置', { exact: true })
  ).toBeVisible();
  await expect(form.getByText('Default benchmark profile')).toHaveCount(0);

  // The registry fetches the plugin anew (in English) after every save; its
  // schema is translated again.
  const title = await page.evaluate(async () => {
    const id = 'jupyterlab-device-bench:plugin';
    const registry = await window.galata.getPlugin(
      '@jupyterlab/apputils-extension:settings'
    );
    await registry!.reload(id);
    return registry!.plugins[id]!.schema.properties!.defaultProfile.title;
  });
  expect(title).toBe('默认基准测试配置');
});

test('the JSON Settings Editor shows the defaults with Chinese comments', async ({
  page
}) => {
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('settingeditor:open-json')
  );
  // The raw editor lists the plugins by their translated titles too.
  const entry = page.locator(
    '.jp-PluginList-entry[data-id="jupyterlab-device-bench:plugin"]'
  );
  await expect(entry.locator('.jp-PluginList-entry-label-text')).toHaveText(
    '设备测速'
  );
  await entry.click();
  const editor = page.locator('.jp-SettingsRawEditor');
  await expect(editor).toBeVisible();
  // Its defaults are annotated from the schema: the plugin's title and
  // description, then each setting's title and description, alphabetically
  // (defaultProfile first), as comments above the value.
  const defaults = editor.locator('.cm-content').first();
  await expect(defaults).toContainText('// 设备测速');
  await expect(defaults).toContainText(
    '// PyTorch 设备面板和设备选择器的设置。'
  );
  await expect(defaults).toContainText('// 默认基准测试配置');
  await expect(defaults).not.toContainText('Default benchmark profile');
});
