/**
 * Privacy rules of what goes into notebooks and reports, from the shared
 * contract (`scrub` and `params`): file paths in error messages reduced to
 * their base names, path-like parameter values to their base names. The
 * headless runner applies the same rules (jupyterlab_device_bench/records.py).
 */
import type { PartialJSONObject } from '@lumino/coreutils';
import { CONTRACT, LIMITS, truncateUnits } from './contract';

const SCRUB = CONTRACT.scrub;
const PARAMS = CONTRACT.params;

const ANSI = new RegExp(SCRUB.ansi, 'g');
// A quoted path runs to its closing quote, spaces included ('/Users/Jo Do/x').
const QUOTED_PATH = new RegExp(SCRUB.quoted_path, 'g');
// Bare absolute POSIX paths (not the // of URLs, not 1/2), ~, ./ and ../
// paths, Windows paths (also with the doubled backslashes of a Python repr)
// and UNC paths.
const BARE_PATH = new RegExp(SCRUB.bare_path, 'g');
const TRAILING = new RegExp(SCRUB.trailing);
const SEPARATORS = new RegExp(SCRUB.separators);
const DRIVE = new RegExp(SCRUB.drive);
const EDGE_SPACE = new RegExp(SCRUB.whitespace, 'g');
const KEPT_WHOLE: readonly string[] = SCRUB.kept_whole;

const LOOKS_LIKE_PATH = new RegExp(PARAMS.looks_like_path);
const PARAM_SEPARATORS = new RegExp(PARAMS.separators);
const DRIVE_PREFIX = new RegExp(PARAMS.drive_prefix);

function scrubPath(path: string): string {
  const trailing = TRAILING.exec(path)?.[0] ?? '';
  const text = path.slice(0, path.length - trailing.length);
  if (!text || KEPT_WHOLE.includes(text)) {
    return path;
  }
  const base = text.split(SEPARATORS).filter(Boolean).pop() ?? '';
  return (
    (base && !DRIVE.test(base) ? SCRUB.base_prefix + base : SCRUB.placeholder) +
    trailing
  );
}

/**
 * Reduce file paths in an error message to their base names, `…/x.gz`
 * (privacy: no user or folder names in notebooks).
 */
export function stripPaths(message: string): string {
  return message
    .replace(
      QUOTED_PATH,
      (_, quote: string, path: string) => quote + scrubPath(path) + quote
    )
    .replace(BARE_PATH, path => scrubPath(path));
}

/**
 * An error message as a run record keeps it: no terminal colours, paths
 * reduced to base names, trimmed, at most the record's error limit (cut with
 * an ellipsis).
 */
export function scrubError(message: string): string {
  const text = stripPaths(String(message).replace(ANSI, '')).replace(
    EDGE_SPACE,
    ''
  );
  if (text.length <= LIMITS.error) {
    return text;
  }
  return (
    truncateUnits(text, LIMITS.error - SCRUB.ellipsis.length) + SCRUB.ellipsis
  );
}

function paramBase(value: string): string {
  const parts = value.split(PARAM_SEPARATORS).filter(Boolean);
  const base = parts.length
    ? parts[parts.length - 1].replace(DRIVE_PREFIX, '')
    : '';
  return base && !base.startsWith('~') ? base : PARAMS.placeholder;
}

/**
 * The parameters as recorded: string values that look like paths keep only
 * their base name (privacy: no paths in notebooks or reports).
 */
export function recordParams(
  params: Record<string, unknown>
): PartialJSONObject {
  const out: PartialJSONObject = {};
  for (const [name, value] of Object.entries(params)) {
    out[name] =
      typeof value === 'string' && LOOKS_LIKE_PATH.test(value)
        ? paramBase(value)
        : (value as PartialJSONObject[string]);
  }
  return out;
}
