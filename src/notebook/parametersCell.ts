/**
 * The injected-parameters cell (papermill's convention): one cell tagged
 * `injected-parameters` right after the `parameters` cell. Its code is
 * generated only from parameter names that the parameters cell assigns and
 * from JSON scalar values.
 */
import type { INotebookModel } from '@jupyterlab/notebook';
import {
  CONTRACT,
  fillTemplate,
  INJECTED_PARAMETERS_TAG,
  PARAMETERS_TAG
} from '../common/contract';
import { findTaggedCell } from './deviceCell';

const CELL = CONTRACT.parameters_cell;

/**
 * A parameter value the cell can hold.
 */
export type ParameterValue = string | number | boolean | null;

/**
 * Longest string value accepted.
 */
const MAX_STRING = CELL.max_string;

/**
 * Refused parameters: unknown names or unsupported values.
 */
export class InvalidParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidParameterError';
  }
}

/**
 * The names the parameters cell assigns at the top level (`name = ...`).
 */
export function parameterNames(source: string): string[] {
  const names = new Set<string>();
  for (const line of source.split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=]+)?=(?!=)/.exec(line);
    if (match) {
      names.add(match[1]);
    }
  }
  return [...names];
}

/**
 * A Python literal for a validated scalar. JSON string syntax is a valid
 * Python string literal.
 */
export function pythonLiteral(value: unknown): string {
  if (value === null) {
    return CELL.literals.null;
  }
  if (typeof value === 'boolean') {
    return value ? CELL.literals.true : CELL.literals.false;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new InvalidParameterError(`${value} is not a finite number.`);
    }
    return String(value);
  }
  if (typeof value === 'string') {
    if (value.length > MAX_STRING) {
      throw new InvalidParameterError(
        `A string parameter is longer than ${MAX_STRING}.`
      );
    }
    return JSON.stringify(value);
  }
  throw new InvalidParameterError(
    'Parameter values must be strings, numbers, booleans or null.'
  );
}

/**
 * The code of the injected-parameters cell.
 *
 * @throws InvalidParameterError for a name outside `allowed` or a bad value.
 */
export function parametersSource(
  params: Record<string, unknown>,
  allowed: readonly string[]
): string {
  const lines: string[] = [CELL.header];
  for (const [name, value] of Object.entries(params)) {
    if (!allowed.includes(name)) {
      throw new InvalidParameterError(
        `"${name.slice(0, 40)}" is not a parameter of this notebook (${allowed.join(', ')}).`
      );
    }
    lines.push(fillTemplate(CELL.line, { name, value: pythonLiteral(value) }));
  }
  return lines.join('\n');
}

/**
 * Insert or update the injected-parameters cell. The notebook is unchanged
 * when a parameter is refused.
 *
 * @throws InvalidParameterError when the notebook has no parameters cell, or
 * a name or value is refused.
 */
export function setParametersCell(
  model: INotebookModel,
  params: Record<string, unknown>
): number {
  const parametersIndex = findTaggedCell(model, PARAMETERS_TAG);
  if (parametersIndex < 0) {
    throw new InvalidParameterError(
      'This notebook has no cell tagged "parameters".'
    );
  }
  const allowed = parameterNames(
    model.sharedModel.getCell(parametersIndex).getSource()
  );
  const source = parametersSource(params, allowed);
  const index = findTaggedCell(model, INJECTED_PARAMETERS_TAG);
  if (index >= 0) {
    const cell = model.sharedModel.getCell(index);
    // Only a code cell after the parameters cell can override them: code
    // written anywhere else would be recorded but have no effect.
    if (cell.cell_type !== 'code' || index < parametersIndex) {
      throw new InvalidParameterError(
        `The cell tagged "${INJECTED_PARAMETERS_TAG}" must be a code cell after the "parameters" cell; remove its tag or move it (nothing was changed).`
      );
    }
    cell.setSource(source);
    return index;
  }
  model.sharedModel.insertCell(parametersIndex + 1, {
    cell_type: 'code',
    source,
    metadata: { tags: [INJECTED_PARAMETERS_TAG] }
  });
  return parametersIndex + 1;
}
