/**
 * The tracker of the current kernel-bearing widget, with stand-in notebook
 * and console trackers and shell (pure logic: which widget it follows and
 * when it says so).
 */
import type { ILabShell } from '@jupyterlab/application';
import type { ConsolePanel, IConsoleTracker } from '@jupyterlab/console';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Signal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';
import { CurrentKernelWidget } from '../tracker';

class FakeTracker<T> {
  currentWidget: T | null = null;
  widgets = new Set<T>();
  currentChanged = new Signal<this, T | null>(this);
  has(widget: unknown): boolean {
    return this.widgets.has(widget as T);
  }
  setCurrent(widget: T | null): void {
    if (widget) {
      this.widgets.add(widget);
    }
    if (widget !== this.currentWidget) {
      this.currentWidget = widget;
      this.currentChanged.emit(widget);
    }
  }
  remove(widget: T): void {
    this.widgets.delete(widget);
    if (this.currentWidget === widget) {
      this.setCurrent(null);
    }
  }
}

class FakeShell {
  currentChanged = new Signal<this, { newValue: Widget | null }>(this);
  activate(widget: unknown): void {
    this.currentChanged.emit({ newValue: widget as Widget });
  }
}

const nb = (name: string) => ({ name }) as unknown as NotebookPanel;
const con = (name: string) => ({ name }) as unknown as ConsolePanel;

describe('CurrentKernelWidget', () => {
  let notebooks: FakeTracker<NotebookPanel>;
  let consoles: FakeTracker<ConsolePanel>;
  let shell: FakeShell;
  let tracker: CurrentKernelWidget;
  let emitted: number;

  const make = () => {
    tracker = new CurrentKernelWidget({
      notebooks: notebooks as unknown as INotebookTracker,
      consoles: consoles as unknown as IConsoleTracker,
      shell: shell as unknown as ILabShell
    });
    emitted = 0;
    tracker.changed.connect(() => emitted++);
  };

  beforeEach(() => {
    notebooks = new FakeTracker();
    consoles = new FakeTracker();
    shell = new FakeShell();
  });

  afterEach(() => tracker.dispose());

  it('starts on the current notebook, else the current console', () => {
    const c = con('c');
    consoles.setCurrent(c);
    make();
    expect(tracker.current).toBe(c);
    expect(tracker.isNotebook).toBe(false);
    expect(tracker.currentNotebook).toBeNull();
    tracker.dispose();

    const a = nb('a');
    notebooks.setCurrent(a);
    make();
    expect(tracker.current).toBe(a);
    expect(tracker.isNotebook).toBe(true);
    expect(tracker.currentNotebook).toBe(a);
  });

  it('follows the notebook or console last made current', () => {
    make();
    expect(tracker.current).toBeNull();
    const a = nb('a');
    const c = con('c');
    notebooks.setCurrent(a);
    expect(tracker.current).toBe(a);
    expect(emitted).toBe(1);
    consoles.setCurrent(c);
    expect(tracker.current).toBe(c);
    expect(tracker.isNotebook).toBe(false);
    // The notebook stays the current notebook.
    expect(tracker.currentNotebook).toBe(a);
    expect(emitted).toBe(2);
    // Back to the notebook that was current all along: only the shell says so.
    shell.activate(a);
    expect(tracker.current).toBe(a);
    expect(tracker.isNotebook).toBe(true);
    expect(emitted).toBe(3);
    // The same widget again: nothing changed, nothing said.
    shell.activate(a);
    expect(emitted).toBe(3);
    // A widget that is neither: the followed one stays.
    shell.activate({});
    expect(tracker.current).toBe(a);
    expect(emitted).toBe(3);
  });

  it('falls back to the other kind when the followed one closes', () => {
    make();
    const a = nb('a');
    const c = con('c');
    consoles.setCurrent(c);
    notebooks.setCurrent(a);
    notebooks.remove(a);
    expect(tracker.current).toBe(c);
    expect(tracker.isNotebook).toBe(false);
    expect(tracker.currentNotebook).toBeNull();

    notebooks.setCurrent(a);
    consoles.setCurrent(null);
    // A console closing while a notebook is followed changes nothing.
    expect(tracker.current).toBe(a);

    consoles.setCurrent(c);
    consoles.remove(c);
    expect(tracker.current).toBe(a);
    expect(tracker.isNotebook).toBe(true);

    notebooks.remove(a);
    expect(tracker.current).toBeNull();
    expect(tracker.isNotebook).toBe(false);
  });

  it('says when only the current notebook changes', () => {
    make();
    const a = nb('a');
    const c = con('c');
    notebooks.setCurrent(a);
    consoles.setCurrent(c);
    const count = emitted;
    // The notebook closes while the console is followed.
    notebooks.remove(a);
    expect(tracker.current).toBe(c);
    expect(tracker.currentNotebook).toBeNull();
    expect(emitted).toBe(count + 1);
  });

  it('stops following when disposed', () => {
    make();
    tracker.dispose();
    notebooks.setCurrent(nb('a'));
    expect(tracker.current).toBeNull();
    expect(emitted).toBe(0);
    expect(tracker.isDisposed).toBe(true);
  });

  it('works without a console tracker or a shell', () => {
    tracker = new CurrentKernelWidget({
      notebooks: notebooks as unknown as INotebookTracker
    });
    const a = nb('a');
    notebooks.setCurrent(a);
    expect(tracker.current).toBe(a);
    notebooks.remove(a);
    expect(tracker.current).toBeNull();
  });
});
