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
import { DevicePanelView } from '../view';

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
  const view = new DevicePanelView({
    model,
    trans: nullTranslator.load('jupyterlab_device_bench'),
    actions: { refresh: () => undefined, useDevice: () => undefined }
  });
  if (!show) {
    view.hide();
  }
  Widget.attach(view, document.body);
  model.setSession(idleSession(), true);
  await new Promise(resolve => setTimeout(resolve, 0));
  view.update();
  await new Promise(resolve => requestAnimationFrame(resolve));
  return { probe, model, view };
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
    const { view, probe, model } = await render(
      { kind: 'not-python', language: 'r' },
      false
    );
    expect(probe.calls).toBe(0);
    view.show();
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(probe.calls).toBe(1);
    expect(model.state).toBe('not-python');
    view.hide();
    model.setSession(idleSession(), true);
    expect(probe.calls).toBe(1);
    view.dispose();
  });
});
