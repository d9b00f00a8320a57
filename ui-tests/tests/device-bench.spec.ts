/**
 * The extension in a real JupyterLab, a real kernel with torch, in Chromium.
 */
import {
  expect,
  galata,
  IJupyterLabPageFixture,
  test
} from '@jupyterlab/galata';
import { kernelExpression, openPanel, PANEL, venvPython } from '../helpers';

const TAG = 'device-bench-device';

/** The current notebook's cells: source and tags. */
async function cells(page: IJupyterLabPageFixture) {
  return page.evaluate(() => {
    const widget = window.jupyterapp.shell.currentWidget as any;
    return widget.content.model.sharedModel.cells.map((c: any) => ({
      source: c.getSource() as string,
      tags: (c.getMetadata('tags') ?? []) as string[]
    }));
  });
}

async function notebookJSON(page: IJupyterLabPageFixture): Promise<string> {
  return page.evaluate(() => {
    const widget = window.jupyterapp.shell.currentWidget as any;
    return JSON.stringify(widget.content.model.toJSON());
  });
}

async function insertDevice(page: IJupyterLabPageFixture, device: string) {
  return page.evaluate(
    d =>
      window.jupyterapp.commands.execute('device-bench:insert-device-cell', {
        device: d
      }),
    device
  );
}

/** A new notebook with one cell of its own; then "use cpu" in the panel. */
async function pickCpuInNewNotebook(
  page: IJupyterLabPageFixture,
  name: string
): Promise<void> {
  await page.notebook.createNew(name, { kernel: 'device-bench-venv' });
  await page.notebook.setCell(0, 'code', 'x = 1');
  await openPanel(page);
  const use = page.locator(
    `${PANEL} .jp-DeviceBench-device[data-device="cpu"] button`
  );
  await expect(use).toBeVisible({ timeout: 60_000 });
  await use.click();
}

/** `str(device)` in the current notebook's kernel, asked silently. */
function kernelDevice(page: IJupyterLabPageFixture) {
  return kernelExpression(page, 'str(device)');
}

test.describe('foundation', () => {
  test.use({ autoGoto: false });

  test('JupyterLab loads the extension with no console errors from it', async ({
    page
  }) => {
    const problems: string[] = [];
    page.on('console', msg => {
      if (msg.type() === 'error' && /device.?bench/i.test(msg.text())) {
        problems.push(msg.text());
      }
    });
    page.on('pageerror', error => problems.push(String(error)));
    await page.goto();
    const state = await page.evaluate(() => {
      const config = JSON.parse(
        document.getElementById('jupyter-config-data')!.textContent ?? '{}'
      );
      const app = window.jupyterapp as any;
      return {
        federated: (config.federated_extensions ?? []).map((e: any) => e.name),
        disabled: config.disabledExtensions ?? [],
        plugins: ['probe', 'plugin', 'device-cell'].map(p =>
          app.isPluginActivated(`jupyterlab-device-bench:${p}`)
        )
      };
    });
    expect(state.federated).toContain('jupyterlab-device-bench');
    expect(state.disabled.join(',')).not.toContain('jupyterlab-device-bench');
    expect(state.plugins).toEqual([true, true, true]);
    expect(problems).toEqual([]);
  });

  test('the sidebar panel opens from its tab and says what to do', async ({
    page
  }) => {
    await page.goto();
    const tab = page.locator('.jp-SideBar [data-id="jp-DeviceBench-panel"]');
    await expect(tab).toBeVisible();
    await tab.click();
    await expect(page.locator(PANEL)).toBeVisible();
    await expect(page.locator(PANEL)).toContainText(
      'Open a notebook or console'
    );
  });
});

test.describe('device panel', () => {
  test('shows the kernel torch version and the CPU', async ({ page }) => {
    await page.notebook.createNew('probe.ipynb', {
      kernel: 'device-bench-venv'
    });
    await openPanel(page);
    const panel = page.locator(PANEL);
    await expect(panel.locator('.jp-DeviceBench-versions')).toContainText(
      venvPython().torchVersion,
      {
        timeout: 60_000
      }
    );
    const cpu = panel.locator('.jp-DeviceBench-device[data-device="cpu"]');
    await expect(cpu).toContainText('available');
    await expect(panel.locator('[data-code="cpu-only"]')).toBeVisible();
  });

  test('a kernel without torch gets the install sentence', async ({ page }) => {
    await page.notebook.createNew('notorch.ipynb', {
      kernel: 'python-no-torch'
    });
    await openPanel(page);
    const missing = page.locator(`${PANEL} [data-code="torch-missing"]`);
    await expect(missing).toBeVisible({ timeout: 60_000 });
    // The exact command for this interpreter: a pinned release, and the CPU
    // index (this machine has no NVIDIA GPU).
    await expect(missing).toContainText("-m pip install 'torch==");
    await expect(missing).toContainText(
      '--index-url https://download.pytorch.org/whl/cpu'
    );
    // An error looks like one: in words, and with the theme's error colour.
    await expect(missing).toHaveAttribute('data-severity', 'error');
    await expect(missing).toContainText('Problem:');
    const colours = await missing.evaluate(node => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--jp-error-color1)';
      node.appendChild(probe);
      const expected = getComputedStyle(probe).color;
      probe.remove();
      return { border: getComputedStyle(node).borderLeftColor, expected };
    });
    expect(colours.border).toBe(colours.expected);
    await expect(page.locator(`${PANEL} .jp-DeviceBench-device`)).toHaveCount(
      0
    );
  });

  test('picking a device writes one tagged cell, picking again updates it', async ({
    page
  }) => {
    await pickCpuInNewNotebook(page, 'pick.ipynb');
    let all = await cells(page);
    let tagged = all.filter(c => c.tags.includes(TAG));
    expect(tagged).toHaveLength(1);
    expect(all[0].tags).toContain(TAG);
    expect(tagged[0].source).toContain('device = torch.device("cpu")');

    await page.locator(`${PANEL} .jp-DeviceBench-useAuto`).click();
    all = await cells(page);
    tagged = all.filter(c => c.tags.includes(TAG));
    expect(tagged).toHaveLength(1);
    expect(all).toHaveLength(2);
    expect(tagged[0].source).toContain(
      'elif torch.backends.mps.is_available():'
    );

    // The cell's code runs in the real kernel.
    await page.notebook.runCell(0, true);
    expect(await kernelDevice(page)).toBe("'cpu'");
  });

  test('an invalid device is refused and the notebook is unchanged', async ({
    page
  }) => {
    await page.notebook.createNew('refuse.ipynb', {
      kernel: 'device-bench-venv'
    });
    await page.notebook.setCell(0, 'code', 'y = 2');
    const before = await notebookJSON(page);
    const result = await insertDevice(page, 'cuda:0")\nimport os  #');
    expect(result).toMatchObject({ ok: false });
    expect(String((result as any).error)).toContain('not a device');
    expect(await notebookJSON(page)).toBe(before);
  });
});

test.describe('device picker, "run it" setting', () => {
  test.use({
    mockSettings: {
      ...galata.DEFAULT_SETTINGS,
      'jupyterlab-device-bench:plugin': { deviceCellExecution: 'run' }
    }
  });

  test('picking a device inserts the cell and runs it in the kernel', async ({
    page
  }) => {
    await pickCpuInNewNotebook(page, 'pick-run.ipynb');
    const tagged = (await cells(page)).filter(c => c.tags.includes(TAG));
    expect(tagged).toHaveLength(1);

    // Nobody ran a cell by hand: the picker did, so `device` exists.
    await expect
      .poll(() => kernelDevice(page), { timeout: 60_000 })
      .toBe("'cpu'");
    const counts = await page.evaluate(() => {
      const widget = window.jupyterapp.shell.currentWidget as any;
      return widget.content.model.sharedModel.cells.map(
        (c: any) => c.execution_count ?? null
      );
    });
    // The device cell (first) ran; the user's cell did not.
    expect(counts[0]).toEqual(expect.any(Number));
    expect(counts[1]).toBeNull();
  });
});
