/**
 * Simplified Chinese: with the zh_CN language pack installed (requirements/dev.txt) and
 * JupyterLab's locale set to zh_CN, the panel reads in Chinese from the catalog the wheel
 * ships (jupyterlab_device_bench/locale/zh_CN, found through the jupyterlab.locale entry
 * point). A real kernel with torch answers the probe; its diagnosis is worded by code.
 */
import { expect, test } from '@jupyterlab/galata';
import { PANEL, ZH_CN } from '../helpers';

test.use(ZH_CN);

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
