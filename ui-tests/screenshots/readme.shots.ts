/**
 * The README's screenshots, from the real UI: the sidebar in the light and
 * dark themes after a quick benchmark on the CPU, the recorded runs, the
 * HTML report they export, and a run in progress. Written to docs/images/*.png (run `make screenshots`).
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import * as path from 'node:path';
import { SMALL_RUN as SMALL } from '../../src/__tests__/smallRun';
import { PANEL, runBenchmark, ZH_CN } from '../helpers';
const IMAGES = path.resolve(__dirname, '..', '..', 'docs', 'images');

// Galata's kernel mock breaks the per-device kernel restarts (see benchmark.spec.ts).
test.use({ kernels: null });

function title(page: IJupyterLabPageFixture, key: string) {
  return page.locator(
    `${PANEL} .jp-AccordionPanel-title[data-section="${key}"]`
  );
}

async function setExpanded(
  page: IJupyterLabPageFixture,
  key: string,
  expanded: boolean
): Promise<void> {
  const node = title(page, key);
  if ((await node.getAttribute('aria-expanded')) !== String(expanded)) {
    await node.click();
  }
  await expect(node).toHaveAttribute('aria-expanded', String(expanded));
}

test('README screenshots', async ({ page }) => {
  // Nothing of this machine goes into a committed picture: the interpreter's
  // path is masked.
  const shot = {
    mask: [
      page.locator(
        `${PANEL} .jp-DeviceBench-versions tr:has(th:text-is("Interpreter")) td`
      )
    ],
    maskColor: '#9e9e9e'
  };
  await page
    .locator('.jp-LauncherCard', { hasText: 'MNIST Device Benchmark' })
    .click();
  await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('device-bench:open-panel')
  );
  const panel = page.locator(PANEL);
  await expect(panel.locator('.jp-DeviceBench-run')).toBeEnabled({
    timeout: 120_000
  });

  // Two quick runs on the CPU, so that the table and the chart have rows.
  for (let i = 0; i < 2; i++) {
    const outcome = await runBenchmark(page, SMALL);
    expect(outcome.ok).toBe(true);
  }
  await expect(
    panel.locator('.jp-DeviceBench-runs tbody tr[data-status="ok"]')
  ).toHaveCount(2);

  // The whole window, then the sidebar alone, light theme.
  await page.mouse.move(0, 0);
  await page.screenshot({ ...shot, path: path.join(IMAGES, 'lab-light.png') });
  await panel.screenshot({
    ...shot,
    path: path.join(IMAGES, 'panel-light.png')
  });

  // The HTML report those two runs export, opened in a page of its own as a
  // reader would (it is one self-contained file: no script, no request).
  const report = 'readme-report.html';
  const exported = await page.evaluate(
    path =>
      window.jupyterapp.commands.execute('device-bench:export-report', {
        format: 'html',
        path
      }) as Promise<{ ok: boolean }>,
    report
  );
  expect(exported.ok).toBe(true);
  const html = await page.evaluate(
    async path =>
      String(
        (
          await window.jupyterapp.serviceManager.contents.get(path, {
            content: true
          })
        ).content
      ),
    report
  );
  const viewer = await page.context().newPage();
  await viewer.route('**/*', route => route.abort());
  await viewer.setViewportSize({ width: 1280, height: 900 });
  await viewer.setContent(html, { waitUntil: 'load' });
  await viewer.screenshot({
    path: path.join(IMAGES, 'report-html.png'),
    fullPage: true
  });
  await viewer.close();

  // The recorded runs with the other sections collapsed.
  await setExpanded(page, 'devices', false);
  await setExpanded(page, 'environment', false);
  await setExpanded(page, 'benchmark', false);
  await panel.locator('input[type="checkbox"]').last().check(); // the published reference figures too
  await panel.screenshot({
    ...shot,
    path: path.join(IMAGES, 'recorded-runs.png')
  });
  await panel.locator('input[type="checkbox"]').last().uncheck();
  for (const key of ['devices', 'environment', 'benchmark']) {
    await setExpanded(page, key, true);
  }

  // Dark theme.
  await page.theme.setDarkTheme();
  await page.mouse.move(0, 0);
  await panel.screenshot({
    ...shot,
    path: path.join(IMAGES, 'panel-dark.png')
  });
  await page.screenshot({ ...shot, path: path.join(IMAGES, 'lab-dark.png') });
  await page.theme.setLightTheme();

  // A run in progress (cancelled once the picture is taken).
  const longer = runBenchmark(page, { ...SMALL, epochs: 20, repeat_to: 20000 });
  await expect(
    panel.locator('.jp-DeviceBench-progress li[data-state="running"]')
  ).toContainText('epoch', { timeout: 120_000 });
  await page.screenshot({
    ...shot,
    path: path.join(IMAGES, 'benchmark-running.png')
  });
  await panel.locator('.jp-DeviceBench-cancel').click();
  expect((await longer).ok).toBe(true);
  await expect(panel.locator('.jp-DeviceBench-run')).toBeEnabled();
});

test.describe('in Chinese', () => {
  test.use(ZH_CN);

  test('the panel in Simplified Chinese', async ({ page }) => {
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('notebook:create-new', {
        kernelName: 'device-bench-venv'
      })
    );
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('device-bench:open-panel')
    );
    const panel = page.locator(PANEL);
    await expect(panel.locator('[data-code="cpu-only"]')).toBeVisible({
      timeout: 120_000
    });
    await page.mouse.move(0, 0);
    await panel.screenshot({
      mask: [panel.locator('.jp-DeviceBench-versions tr:nth-child(2) td')],
      maskColor: '#9e9e9e',
      path: path.join(IMAGES, 'panel-zh-cn.png')
    });
  });
});
