/**
 * Timing reports in Chromium: export after a real quick run, and the corpus
 * of hostile notebooks (ui-tests/hostile) shown in the panel and exported
 * to HTML without any injected code running.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SMALL_RUN } from '../../src/__tests__/smallRun';

const PANEL = '#jp-DeviceBench-panel';
const HOSTILE = path.resolve(__dirname, '..', 'hostile');

// See benchmark.spec.ts: kernel restarts need the real kernels API.
test.use({ kernels: null });

/** Expected valid runs and invalid entries, from ui-tests/hostile/README.md. */
const CORPUS: [string, number, number][] = [
  ['01-script-injection.ipynb', 37, 1],
  ['02-links.ipynb', 27, 0],
  ['03-formula-injection.ipynb', 25, 0],
  ['04-wrong-types.ipynb', 2, 17],
  ['05-runs-not-array.ipynb', 0, 1],
  ['06-device-bench-not-object.ipynb', 0, 1],
  ['07-future-schema.ipynb', 2, 1],
  ['08-prototype-keys.ipynb', 3, 0],
  ['09-unicode.ipynb', 4, 0],
  ['10-huge-strings.ipynb', 2, 1]
];

async function readFile(
  page: IJupyterLabPageFixture,
  file: string
): Promise<any> {
  return page.evaluate(async p => {
    const model = await window.jupyterapp.serviceManager.contents.get(p, {
      content: true
    });
    return { content: model.content, format: model.format };
  }, file);
}

async function command(
  page: IJupyterLabPageFixture,
  id: string,
  args: any
): Promise<any> {
  return page.evaluate(
    ([c, a]) => window.jupyterapp.commands.execute(c, a) as Promise<any>,
    [id, args] as const
  );
}

test('export from the panel after a quick run: every file exists and parses', async ({
  page,
  tmpPath
}) => {
  await page
    .locator('.jp-LauncherCard', { hasText: 'MNIST Device Benchmark' })
    .click();
  await page.evaluate(() =>
    window.jupyterapp.commands.execute('device-bench:open-panel')
  );
  await expect(page.locator(`${PANEL} .jp-DeviceBench-run`)).toBeEnabled({
    timeout: 60_000
  });
  const outcome = await command(page, 'device-bench:run-benchmark', {
    devices: ['cpu'],
    profile: 'quick',
    params: SMALL_RUN
  });
  expect(outcome.ok).toBe(true);

  const written: Record<string, any> = {};
  for (const format of ['csv', 'json', 'markdown', 'html', 'svg', 'png']) {
    await page
      .locator(`${PANEL} .jp-DeviceBench-exportButton[data-format="${format}"]`)
      .click();
    const ext = { markdown: 'md' }[format] ?? format;
    const file = `${tmpPath}/mnist_bench-report.${ext}`;
    await expect
      .poll(
        async () =>
          (await page.filebrowser.contents.fileExists(file)) as boolean,
        {
          timeout: 30_000
        }
      )
      .toBe(true);
    written[format] = await readFile(page, file);
  }
  const csv = String(written.csv.content).split('\r\n');
  expect(csv[0].split(',').slice(0, 3)).toEqual(['kind', 'id', 'status']);
  expect(csv[1]).toContain(outcome.records[0].id);
  const json = JSON.parse(written.json.content);
  expect(json).toMatchObject({
    schema_version: 1,
    kind: 'device-bench-report'
  });
  expect(json.runs.map((r: any) => r.id)).toEqual([outcome.records[0].id]);
  expect(written.markdown.content).toContain('| cpu |');
  expect(written.html.content).toMatch(/^<!DOCTYPE html>/i);
  expect(written.html.content).toContain('<svg');
  expect(written.html.content).not.toMatch(/<script/i);
  expect(written.svg.content).toMatch(/^<(\?xml|svg)/);
  expect(written.png.format).toBe('base64');
  expect(String(written.png.content).startsWith('iVBORw0KGgo')).toBe(true);

  // Merge the notebook with its own JSON report: the run counts once.
  const notebook = await page.evaluate(
    () => (window.jupyterapp.shell.currentWidget as any).context.path as string
  );
  const merged = await command(page, 'device-bench:merge-reports', {
    paths: [notebook, `${tmpPath}/mnist_bench-report.json`],
    format: 'json',
    path: `${tmpPath}/merged.json`
  });
  expect(merged).toMatchObject({ ok: true, runs: 1 });
});

test.describe('hostile notebooks', () => {
  let huge: string;

  test.beforeAll(() => {
    huge = fs.mkdtempSync(path.join(os.tmpdir(), 'device-bench-huge-'));
    execFileSync('python', [
      path.join(HOSTILE, 'make_corpus.py'),
      '--huge',
      huge
    ]);
  });

  test.afterAll(() => {
    fs.rmSync(huge, { recursive: true, force: true });
  });

  for (const [name, valid, invalid] of CORPUS) {
    test(`${name}: shown as text, invalid entries flagged, HTML export runs nothing`, async ({
      page,
      tmpPath
    }) => {
      const dialogs: string[] = [];
      page.on('dialog', async dialog => {
        dialogs.push(dialog.message());
        await dialog.dismiss();
      });
      const local = name.startsWith('10-')
        ? path.join(huge, name)
        : path.join(HOSTILE, name);
      await page.contents.uploadFile(local, `${tmpPath}/${name}`);
      await page.evaluate(
        p =>
          window.jupyterapp.commands.execute('docmanager:open', {
            path: p,
            kernel: { name: 'device-bench-venv' }
          }),
        `${tmpPath}/${name}`
      );
      await expect(page.locator('.jp-NotebookPanel')).toBeVisible();
      await page.evaluate(() =>
        window.jupyterapp.commands.execute('device-bench:open-panel')
      );
      const table = page.locator(`${PANEL} .jp-DeviceBench-runs`);
      await expect(table).toBeVisible({ timeout: 60_000 });
      await expect(table.locator('tbody tr[data-status]')).toHaveCount(valid);
      await expect(
        table.locator('tbody tr.jp-DeviceBench-invalid')
      ).toHaveCount(invalid);

      const report = `${tmpPath}/${name}.html`;
      const result = await command(page, 'device-bench:export-report', {
        format: 'html',
        path: report
      });
      expect(result.ok).toBe(true);
      // What the export left out is said, not dropped silently.
      const toast = page.locator('.Toastify__toast', {
        hasText: /invalid run records? left out/
      });
      if (invalid > 0) {
        await expect(toast.first()).toBeVisible();
        await expect(toast.first()).toContainText(`${invalid} invalid`);
      } else {
        await expect(toast).toHaveCount(0);
      }
      const html = String((await readFile(page, report)).content);
      expect(html).not.toMatch(/<script/i);
      expect(html.length).toBeLessThan(200_000);

      // Open the exported file in a page of its own.
      const viewer = await page.context().newPage();
      viewer.on('dialog', async dialog => {
        dialogs.push(dialog.message());
        await dialog.dismiss();
      });
      const external: string[] = [];
      await viewer.route('**/*', route => {
        external.push(route.request().url());
        return route.abort();
      });
      await viewer.setContent(html, { waitUntil: 'load' });
      await viewer.waitForTimeout(300);
      expect(
        await viewer.evaluate(() => (window as any).__deviceBenchPwned)
      ).toBeUndefined();
      await viewer.close();

      expect(
        await page.evaluate(() => (window as any).__deviceBenchPwned)
      ).toBeUndefined();
      expect(dialogs).toEqual([]);
      expect(external).toEqual([]);
    });
  }
});
