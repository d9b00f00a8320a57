/**
 * The runs recorded in the followed notebook's metadata, validated on every
 * change, for the panel's "Recorded runs" section.
 */
import { VDomModel } from '@jupyterlab/apputils';
import type { INotebookModel, NotebookPanel } from '@jupyterlab/notebook';
import { METADATA_KEY } from '../common/contract';
import type { IReadResult } from '../records/types';
import { readDeviceBench } from '../records/validate';

export class RecordedRunsModel extends VDomModel {
  /**
   * The runs recorded in the followed notebook: valid runs, invalid entries
   * and problems, never dropped silently.
   */
  get recorded(): IReadResult {
    return this._recorded;
  }

  /**
   * Whether the chart shows the published reference figures.
   */
  get showReference(): boolean {
    return this._showReference;
  }
  set showReference(value: boolean) {
    this._showReference = value;
    this.stateChanged.emit();
  }

  /**
   * Follow a notebook (or none).
   */
  setNotebook(panel: NotebookPanel | null): void {
    if (panel === this._notebook) {
      return;
    }
    this._notebook?.model?.metadataChanged.disconnect(
      this._onMetadataChanged,
      this
    );
    this._notebook = panel;
    panel?.model?.metadataChanged.connect(this._onMetadataChanged, this);
    this._read();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.setNotebook(null);
    super.dispose();
  }

  private _onMetadataChanged(_: INotebookModel, change: { key: string }): void {
    // Other keys (kernelspec, language_info, …) change as kernels start.
    if (change.key === METADATA_KEY) {
      this._read();
    }
  }

  private _read(): void {
    const model = this._notebook?.model;
    this._recorded = readDeviceBench(
      model ? model.getMetadata(METADATA_KEY) : undefined
    );
    this.stateChanged.emit();
  }

  private _notebook: NotebookPanel | null = null;
  private _recorded: IReadResult = readDeviceBench(undefined);
  private _showReference = false;
}
