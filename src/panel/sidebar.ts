/**
 * The sidebar that holds the panel's sections: JupyterLab's `SidePanel`
 * (the chrome of the Debugger and the table of contents) with a titled
 * header, a toolbar of command buttons and an accordion of collapsible
 * sections. Which sections are collapsed is kept by key, so that the plugin
 * can save it and restore it after a reload.
 */
import type { ITranslator } from '@jupyterlab/translation';
import { SidePanel } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { type ISignal, Signal } from '@lumino/signaling';
import { AccordionPanel, Widget } from '@lumino/widgets';
import type { DevicePanelModel } from './model';

/**
 * The key of a section widget (what is saved): its `data-section` attribute.
 */
export function sectionKey(widget: Widget): string {
  return widget.node.dataset.section ?? widget.id;
}

export class DeviceSidebar extends SidePanel {
  constructor(options: DeviceSidebar.IOptions) {
    super({ translator: options.translator });
    this._model = options.model;
    this.addClass('jp-DeviceBench-sidebar');
    const title = new Widget({ node: document.createElement('h2') });
    title.node.textContent = options.title;
    title.addClass('jp-DeviceBench-sidebarTitle');
    title.addClass('jp-text-truncated');
    this.header.addWidget(title);
    this._accordion.expansionToggled.connect(this._onToggled, this);
  }

  /**
   * Emitted when the user (or `setCollapsed`) collapses or expands a section.
   */
  get collapsedChanged(): ISignal<this, string[]> {
    return this._collapsedChanged;
  }

  /**
   * The keys of the sections that are collapsed now.
   */
  get collapsed(): string[] {
    return this.widgets.filter(w => w.isHidden).map(sectionKey);
  }

  /**
   * Collapse exactly these sections (by key), now and when they are added
   * later (the benchmark and report plugins add theirs after this one).
   */
  setCollapsed(keys: readonly string[]): void {
    this._wanted = new Set(keys);
    this.widgets.forEach((widget, index) => {
      if (this._wanted.has(sectionKey(widget))) {
        this._accordion.collapse(index);
      } else {
        this._accordion.expand(index);
      }
    });
  }

  /**
   * Add a section at the end (see `insertSection`).
   */
  addWidget(widget: Widget): void {
    this.insertSection(this.widgets.length, widget);
  }

  /**
   * Insert a section; it starts collapsed when its key was saved collapsed.
   * Its title carries the key too (`data-section`).
   */
  insertSection(index: number, widget: Widget): void {
    widget.title.dataset = {
      ...widget.title.dataset,
      section: sectionKey(widget)
    };
    super.insertWidget(index, widget);
    const at = this.widgets.indexOf(widget);
    if (this._wanted.has(sectionKey(widget))) {
      this._accordion.collapse(at);
    }
  }

  // The model asks the kernel only while the sidebar is shown (whichever
  // sections are collapsed: the benchmark needs the devices too).
  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._model.setActive(this.isVisible);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._model.setActive(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._model.setActive(false);
  }

  protected onBeforeDetach(msg: Message): void {
    if (!this._model.isDisposed) {
      this._model.setActive(false);
    }
    super.onBeforeDetach(msg);
  }

  private get _accordion(): AccordionPanel {
    return this.content as AccordionPanel;
  }

  private _onToggled(): void {
    const collapsed = this.collapsed;
    // What the user sees is what is wanted from now on (sections not yet
    // added keep their saved state).
    const known = new Set(this.widgets.map(sectionKey));
    const pending = [...this._wanted].filter(key => !known.has(key));
    this._wanted = new Set([...collapsed, ...pending]);
    this._collapsedChanged.emit([...this._wanted]);
  }

  private _model: DevicePanelModel;
  private _wanted = new Set<string>();
  private _collapsedChanged = new Signal<this, string[]>(this);
}

export namespace DeviceSidebar {
  export interface IOptions {
    model: DevicePanelModel;
    /**
     * The header's title (translated).
     */
    title: string;
    translator?: ITranslator;
  }
}
