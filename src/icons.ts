import { LabIcon } from '@jupyterlab/ui-components';

/**
 * A processor chip, the extension's icon. Its colours come from the theme
 * through JupyterLab's icon classes.
 */
const CHIP_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M9 2h2v3H9zM13 2h2v3h-2zM9 19h2v3H9zM13 19h2v3h-2zM2 9h3v2H2zM2 13h3v2H2zM19 9h3v2h-3zM19 13h3v2h-3z"/>
    <path d="M6 5h12a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm1 2v10h10V7zm2 2h6v6H9z"/>
  </g>
</svg>`;

export const chipIcon = new LabIcon({
  name: 'jupyterlab-device-bench:chip',
  svgstr: CHIP_SVG
});

/**
 * The start of the timed range (an opening bracket before a run arrow),
 * for the cell toolbar.
 */
export const timerStartIcon = new LabIcon({
  name: 'jupyterlab-device-bench:timer-start',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M4 3h6v2H6v14h4v2H4z"/>
    <path d="M11 7l8 5-8 5z"/>
  </g>
</svg>`
});

/**
 * The end of the timed range (a square before a closing bracket), for the
 * cell toolbar.
 */
export const timerStopIcon = new LabIcon({
  name: 'jupyterlab-device-bench:timer-stop',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M20 3h-6v2h4v14h-4v2h6z"/>
    <path d="M5 8h8v8H5z"/>
  </g>
</svg>`
});
