/**
 * One tracker of the current kernel-bearing widget (notebook or console),
 * shared by the plugins through ICurrentKernelWidget. Built on the notebook
 * and console trackers and the shell's current-widget signal; no polling.
 */
import type { ILabShell } from '@jupyterlab/application';
import type { ConsolePanel, IConsoleTracker } from '@jupyterlab/console';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import type { IDisposable } from '@lumino/disposable';
import { type ISignal, Signal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';
import type { ICurrentKernelWidget } from '../tokens';

export namespace CurrentKernelWidget {
  export interface IOptions {
    notebooks?: INotebookTracker | null;
    consoles?: IConsoleTracker | null;
    /**
     * The shell, whose current-widget signal tells when the user goes back
     * to a widget that stayed current in its own tracker.
     */
    shell?: Pick<ILabShell, 'currentChanged'> | null;
  }
}

export class CurrentKernelWidget implements ICurrentKernelWidget, IDisposable {
  constructor(options: CurrentKernelWidget.IOptions) {
    this._notebooks = options.notebooks ?? null;
    this._consoles = options.consoles ?? null;
    this._shell = options.shell ?? null;
    this._notebooks?.currentChanged.connect(this._onNotebookChanged, this);
    this._consoles?.currentChanged.connect(this._onConsoleChanged, this);
    this._shell?.currentChanged.connect(this._onShellChanged, this);
    const notebook = this._notebooks?.currentWidget ?? null;
    const console = this._consoles?.currentWidget ?? null;
    if (notebook) {
      this._set(notebook, true);
    } else if (console) {
      this._set(console, false);
    }
    this._emitted = { current: this._current, isNotebook: this._isNotebook };
    this._notebook = this.currentNotebook;
  }

  get current(): NotebookPanel | ConsolePanel | null {
    return this._current;
  }

  get isNotebook(): boolean {
    return this._isNotebook;
  }

  get currentNotebook(): NotebookPanel | null {
    return this._notebooks?.currentWidget ?? null;
  }

  get changed(): ISignal<ICurrentKernelWidget, void> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._notebooks?.currentChanged.disconnect(this._onNotebookChanged, this);
    this._consoles?.currentChanged.disconnect(this._onConsoleChanged, this);
    this._shell?.currentChanged.disconnect(this._onShellChanged, this);
    this._current = null;
    Signal.clearData(this);
  }

  private _onNotebookChanged(_: unknown, panel: NotebookPanel | null): void {
    if (panel) {
      this._set(panel, true);
    } else if (this._isNotebook) {
      this._set(this._consoles?.currentWidget ?? null, false);
    }
    this._emitIfChanged();
  }

  private _onConsoleChanged(_: unknown, panel: ConsolePanel | null): void {
    if (panel) {
      this._set(panel, false);
    } else if (!this._isNotebook) {
      this._set(this._notebooks?.currentWidget ?? null, true);
    }
    this._emitIfChanged();
  }

  /**
   * A tracker only signals when its own current widget changes: going back
   * from a console to the notebook that was current all along is seen here.
   */
  private _onShellChanged(_: unknown, args: { newValue: Widget | null }): void {
    const widget = args.newValue;
    if (widget && this._notebooks?.has(widget)) {
      this._set(widget as NotebookPanel, true);
    } else if (widget && this._consoles?.has(widget)) {
      this._set(widget as ConsolePanel, false);
    }
    this._emitIfChanged();
  }

  private _set(
    widget: NotebookPanel | ConsolePanel | null,
    isNotebook: boolean
  ): void {
    this._current = widget;
    this._isNotebook = isNotebook && widget !== null;
  }

  private _emitIfChanged(): void {
    const notebook = this.currentNotebook;
    if (
      this._current === this._emitted.current &&
      this._isNotebook === this._emitted.isNotebook &&
      notebook === this._notebook
    ) {
      return;
    }
    this._emitted = { current: this._current, isNotebook: this._isNotebook };
    this._notebook = notebook;
    this._changed.emit(void 0);
  }

  private _notebooks: INotebookTracker | null;
  private _consoles: IConsoleTracker | null;
  private _shell: Pick<ILabShell, 'currentChanged'> | null;
  private _current: NotebookPanel | ConsolePanel | null = null;
  private _isNotebook = false;
  private _notebook: NotebookPanel | null = null;
  private _emitted: {
    current: NotebookPanel | ConsolePanel | null;
    isNotebook: boolean;
  } = { current: null, isNotebook: false };
  private _isDisposed = false;
  private _changed = new Signal<ICurrentKernelWidget, void>(this);
}
