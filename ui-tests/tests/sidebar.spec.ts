/**
 * The sidebar on JupyterLab's own parts (SidePanel, accordion sections,
 * toolbar command buttons) in a real JupyterLab with a real kernel: sections
 * collapse by mouse and by keyboard, and stay collapsed after a reload.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { openPanel, PANEL } from '../helpers';

const STATE_KEY = 'jupyterlab-device-bench:sidebar';

function title(page: IJupyterLabPageFixture, key: string) {
  return page.locator(
    `${PANEL} .jp-AccordionPanel-title[data-section="${key}"]`
  );
}

function section(page: IJupyterLabPageFixture, key: string) {
  return page.locator(
    `${PANEL} .jp-SidePanel-content > .lm-Widget[data-section="${key}"]`
  );
}

async function expectExpanded(
  page: IJupyterLabPageFixture,
  key: string,
  expanded: boolean
): Promise<void> {
  await expect(title(page, key)).toHaveAttribute(
    'aria-expanded',
    String(expanded)
  );
  if (expanded) {
    await expect(section(page, key)).toBeVisible();
  } else {
    await expect(section(page, key)).toBeHidden();
  }
}

/** What the workspace (the state database) holds for the sidebar. */
async function savedState(page: IJupyterLabPageFixture): Promise<unknown> {
  return page.evaluate(async key => {
    const workspaces = window.jupyterapp.serviceManager.workspaces;
    const { values } = await workspaces.list();
    return values.map(w => (w.data as any)[key] ?? null)[0] ?? null;
  }, STATE_KEY);
}

test('a titled side panel: four sections and toolbar buttons bound to commands', async ({
  page
}) => {
  await page.notebook.createNew('sidebar.ipynb', {
    kernel: 'device-bench-venv'
  });
  await openPanel(page);
  await expect(page.locator(`${PANEL} .jp-SidePanel-header`)).toHaveText(
    'PyTorch devices'
  );
  await expect(
    page.locator(
      `${PANEL} .jp-AccordionPanel-title .lm-AccordionPanel-titleLabel`
    )
  ).toHaveText(['Devices', 'Environment', 'Benchmark', 'Recorded runs']);
  await expect(page.locator(`${PANEL} .jp-DeviceBench-versions`)).toBeVisible({
    timeout: 60_000
  });
  // No runs yet: the section says so instead of staying blank.
  await expect(section(page, 'recorded')).toContainText('No runs are recorded');

  const refresh = page.locator(
    `${PANEL} .jp-SidePanel-toolbar [data-command="device-bench:refresh"]`
  );
  const exportButton = page.locator(
    `${PANEL} .jp-SidePanel-toolbar [data-command="device-bench:export-report"]`
  );
  await expect(refresh).toBeEnabled();
  await expect(exportButton).toBeVisible();
  await expect(refresh).toHaveAttribute(
    'title',
    'Ask the kernel again which devices PyTorch can use'
  );

  // The refresh button runs the command: the kernel is asked again.
  await page.evaluate(() => {
    const kernel = (window.jupyterapp.shell.currentWidget as any).sessionContext
      .session.kernel;
    (window as any).deviceBenchAsked = 0;
    kernel.anyMessage.connect((_: unknown, args: any) => {
      if (
        args.direction === 'send' &&
        args.msg.header.msg_type === 'execute_request'
      ) {
        (window as any).deviceBenchAsked++;
      }
    });
  });
  await refresh.click();
  await expect
    .poll(() => page.evaluate(() => (window as any).deviceBenchAsked))
    .toBe(1);
  await expect(
    page.locator(`${PANEL} .jp-DeviceBench-device[data-device="cpu"]`)
  ).toContainText('available');
});

test('sections collapse by mouse and by keyboard, and stay so after a reload', async ({
  page
}) => {
  await openPanel(page);
  for (const key of ['devices', 'environment', 'benchmark', 'recorded']) {
    await expectExpanded(page, key, true);
  }

  // Mouse: a click on the title collapses, a second one expands.
  await title(page, 'environment').click();
  await expectExpanded(page, 'environment', false);
  await title(page, 'environment').click();
  await expectExpanded(page, 'environment', true);
  await title(page, 'environment').click();
  await expectExpanded(page, 'environment', false);

  // Keyboard: the titles take the focus; Enter and Space toggle.
  await title(page, 'benchmark').focus();
  await expect(title(page, 'benchmark')).toBeFocused();
  await page.keyboard.press('Enter');
  await expectExpanded(page, 'benchmark', false);
  await page.keyboard.press('Space');
  await expectExpanded(page, 'benchmark', true);
  await title(page, 'recorded').focus();
  await page.keyboard.press('Space');
  await expectExpanded(page, 'recorded', false);
  await expectExpanded(page, 'devices', true);

  // Saved in the state database (the workspace) ...
  await expect
    .poll(async () => {
      const saved = (await savedState(page)) as { collapsed?: string[] };
      return [...(saved?.collapsed ?? [])].sort();
    })
    .toEqual(['environment', 'recorded']);

  // ... and restored after a reload.
  await page.reload();
  await openPanel(page);
  await expectExpanded(page, 'devices', true);
  await expectExpanded(page, 'environment', false);
  await expectExpanded(page, 'benchmark', true);
  await expectExpanded(page, 'recorded', false);
  await title(page, 'recorded').click();
  await expectExpanded(page, 'recorded', true);
});
