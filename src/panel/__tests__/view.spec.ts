/**
 * The panel view over its model, with a probe that answers from a table
 * (pure view logic: the real kernel paths are in the kernel integration spec).
 */
import type { Kernel } from '@jupyterlab/services';
import { nullTranslator } from '@jupyterlab/translation';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import type { IDeviceProbe, ProbeOutcome } from '../../tokens';
import { DevicePanelModel } from '../model';
import { readCollapsed } from '../plugin';
import { DeviceSidebar } from '../sidebar';
import { DevicePanelView, EnvironmentView } from '../view';

class TableProbe implements IDeviceProbe {
  constructor(readonly outcome: ProbeOutcome) {}
  calls = 0;
  isDisposed = false;
  probed: Signal<IDeviceProbe, IDeviceProbe.IProbedArgs> = new Signal(this);
  probe(): Promise<ProbeOutcome> {
    this.calls++;
    return Promise.resolve(this.outcome);
  }
  cached(): ProbeOutcome | undefined {
    return undefined;
  }
  invalidate(): void {
    // nothing cached
  }
  dispose(): void {
    this.isDisposed = true;
  }
}

/**
 * A session context with an idle kernel, as far as the model looks.
 */
function idleSession(): any {
  const kernel = { id: 'k1', status: 'idle' } as Kernel.IKernelConnection;
  const signal = () => new Signal<unknown, unknown>({});
  return {
    session: { kernel },
    kernelDisplayStatus: 'idle',
    kernelChanged: signal(),
    statusChanged: signal(),
    disposed: signal()
  };
}

async function render(outcome: ProbeOutcome, show = true) {
  const probe = new TableProbe(outcome);
  const model = new DevicePanelModel(probe);
  const trans = nullTranslator.load('jupyterlab_device_bench');
  const view = new DevicePanelView({
    model,
    trans,
    actions: { refresh: () => undefined, useDevice: () => undefined }
  });
  const sidebar = new DeviceSidebar({
    model,
    title: trans.__('PyTorch devices')
  });
  sidebar.addWidget(view);
  sidebar.addWidget(new EnvironmentView({ model, trans }));
  if (!show) {
    sidebar.hide();
  }
  Widget.attach(sidebar, document.body);
  model.setSession(idleSession(), true);
  await new Promise(resolve => setTimeout(resolve, 0));
  view.update();
  await new Promise(resolve => requestAnimationFrame(resolve));
  // The update has been handled by now, but React commits it later (a
  // task of its own): wait for the view's own promise of that commit. A
  // fresh clone once read the DOM before it (the status element missing).
  await view.renderPromise;
  return { probe, model, view, sidebar };
}

describe('DevicePanelView', () => {
  let errors: jest.SpyInstance;
  beforeEach(() => {
    errors = jest.spyOn(console, 'error');
  });
  afterEach(() => {
    // No message handler may throw (Lumino logs what they throw).
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
    document.body.innerHTML = '';
  });

  it.each([
    ['timeout', /did not answer in time.*probe timeout/],
    ['dead', /not running\. Restart it/],
    ['aborted', /dropped the question after an error/],
    ['failed', /could not answer: NameError: <b>x<\/b>/]
  ] as const)('words a %s error for people', async (reason, expected) => {
    const { view, model } = await render({
      kind: 'error',
      reason,
      message: 'NameError: <b>x</b>'
    });
    expect(model.state).toBe('error');
    const status = view.node.querySelector('.jp-DeviceBench-status-error');
    expect(status?.textContent).toMatch(expected);
    // Kernel text stays text.
    expect(status?.querySelector('b')).toBeNull();
    view.dispose();
  });

  it('asks nothing while hidden, and asks once shown', async () => {
    const { sidebar, probe, model } = await render(
      { kind: 'not-python', language: 'r' },
      false
    );
    expect(probe.calls).toBe(0);
    sidebar.show();
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(probe.calls).toBe(1);
    expect(model.state).toBe('not-python');
    sidebar.hide();
    model.setSession(idleSession(), true);
    expect(probe.calls).toBe(1);
    sidebar.dispose();
  });

  it('keeps asking with the devices section collapsed (the benchmark needs them)', async () => {
    const { sidebar, probe, model } = await render(
      { kind: 'not-python', language: 'r' },
      true
    );
    expect(probe.calls).toBe(1);
    sidebar.setCollapsed(['devices']);
    expect(sidebar.collapsed).toEqual(['devices']);
    model.setSession(idleSession(), true);
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(probe.calls).toBe(2);
    sidebar.dispose();
  });

  it('titles its sections and restores which are collapsed, also for sections added later', async () => {
    const { sidebar } = await render({ kind: 'not-python', language: 'r' });
    const trans = nullTranslator.load('jupyterlab_device_bench');
    const titles = sidebar.node.querySelectorAll('.jp-AccordionPanel-title');
    expect([...titles].map(t => t.textContent)).toEqual([
      'Devices',
      'Environment'
    ]);
    const saved: string[][] = [];
    sidebar.collapsedChanged.connect((_, keys) => saved.push(keys));
    sidebar.setCollapsed(['environment', 'recorded']);
    expect(sidebar.collapsed).toEqual(['environment']);
    const later = new Widget();
    later.node.dataset.section = 'recorded';
    later.title.label = trans.__('Recorded runs');
    sidebar.insertSection(2, later);
    expect(later.isHidden).toBe(true);
    expect(sidebar.collapsed).toEqual(['environment', 'recorded']);
    // A click on a title toggles it; what is saved is what is seen.
    (titles[1] as HTMLElement).click();
    expect(sidebar.collapsed).toEqual(['recorded']);
    expect(saved.at(-1)).toEqual(['recorded']);
    sidebar.dispose();
  });
});

describe('readCollapsed', () => {
  it('takes a list of section keys and nothing else', () => {
    expect(readCollapsed({ collapsed: ['devices', 'recorded'] })).toEqual([
      'devices',
      'recorded'
    ]);
    expect(readCollapsed({ collapsed: ['<b>', 'ok'] })).toEqual(['ok']);
    expect(readCollapsed({ collapsed: 'devices' })).toBeNull();
    expect(readCollapsed({ collapsed: [1] })).toBeNull();
    expect(readCollapsed(null)).toBeNull();
    expect(readCollapsed(['devices'])).toBeNull();
  });
});
