/**
 * The install doctor's fix titles and steps in the user's language, by code.
 *
 * The kernel-side doctor (doctor.py) words every fix in English and sends,
 * beside the words, each title and step as a stable code with its arguments
 * (`fix.i18n`; the codes are listed in contract.json `doctor_texts`). Here each
 * code gets its sentence through the translator, filled from those arguments;
 * commands are never part of a sentence, so they stay verbatim. As with the
 * diagnoses (diagnostics.ts), a sentence without a translation (an English UI)
 * falls back to the kernel's own words, and so does a code this frontend does
 * not know (a newer kernel side).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { CONTRACT } from '../common/_generated/contract';
import type { IProbeFix } from '../kernel/types';

/**
 * A code of contract.json `doctor_texts`.
 */
export type DoctorTextCode = keyof typeof CONTRACT.doctor_texts.codes;

type Args = Record<string, string | null | undefined>;

/**
 * A sentence twice: filled into its English template, and translated.
 */
interface ILine {
  english: string;
  localized: string;
}

function fill(template: string, args: string[]): string {
  return template.replace(/%(\d+)/g, (all, n: string) =>
    Number(n) <= args.length ? args[Number(n) - 1] : all
  );
}

/**
 * `localized` is the trans.__ call written out (so that jupyterlab-translate
 * extracts its template); `template` is the same English template.
 */
function line(localized: string, template: string, ...args: string[]): ILine {
  return { english: fill(template, args), localized };
}

function value(text: string | null | undefined): string {
  return text ?? '?';
}

/**
 * The sentences, one per code (TypeScript fails the build when a code of the
 * contract has none). null: a sentence that has no translation by design.
 */
function sentences(
  trans: TranslationBundle
): Record<DoctorTextCode, (a: Args) => ILine | null> {
  const driver = (a: Args): ILine =>
    a.driver_cuda
      ? line(
          trans.__('driver %1 (CUDA up to %2)', a.driver ?? '?', a.driver_cuda),
          'driver %1 (CUDA up to %2)',
          a.driver ?? '?',
          a.driver_cuda
        )
      : a.driver
        ? line(trans.__('driver %1', a.driver), 'driver %1', a.driver)
        : line(
            trans.__('driver of unknown version'),
            'driver of unknown version'
          );
  const minimum = (a: Args): ILine =>
    a.driver
      ? { english: a.driver, localized: a.driver }
      : line(trans.__('a newer version'), 'a newer version');
  return {
    'pick-cuda-build': () =>
      line(
        trans.__('Pick the CUDA build on pytorch.org'),
        'Pick the CUDA build on pytorch.org'
      ),
    'choose-build': a => {
      const d = driver(a);
      return {
        english: fill('Choose the build on %1 for %2 and the %3.', [
          value(a.url),
          value(a.gpus),
          d.english
        ]),
        localized: trans.__(
          'Choose the build on %1 for %2 and the %3.',
          value(a.url),
          value(a.gpus),
          d.localized
        )
      };
    },
    'choose-its-build': a => {
      const d = driver(a);
      return {
        english: fill('Choose its CUDA build on %1 for %2 and the %3.', [
          value(a.url),
          value(a.gpus),
          d.english
        ]),
        localized: trans.__(
          'Choose its CUDA build on %1 for %2 and the %3.',
          value(a.url),
          value(a.gpus),
          d.localized
        )
      };
    },
    'choose-its-build-or-newer': a =>
      line(
        trans.__(
          'Choose its CUDA build on %1, or install a newer torch (below).',
          value(a.url)
        ),
        'Choose its CUDA build on %1, or install a newer torch (below).',
        value(a.url)
      ),
    'torch-newer-than-known': a =>
      line(
        trans.__('torch %1 is newer than this product knows', value(a.torch)),
        'torch %1 is newer than this product knows',
        value(a.torch)
      ),
    'torch-not-in-table': a =>
      line(
        trans.__("torch %1 is not in this product's table", value(a.torch)),
        "torch %1 is not in this product's table",
        value(a.torch)
      ),
    'no-release-for-python': a =>
      line(
        trans.__('No known torch release supports Python %1', value(a.python)),
        'No known torch release supports Python %1',
        value(a.python)
      ),
    'use-supported-python': a =>
      line(
        trans.__(
          'Use a Python that %1 supports, or see %2.',
          value(a.torch),
          value(a.url)
        ),
        'Use a Python that %1 supports, or see %2.',
        value(a.torch),
        value(a.url)
      ),
    'no-cuda-build-for-gpu': () =>
      line(
        trans.__('No PyTorch CUDA build supports this GPU'),
        'No PyTorch CUDA build supports this GPU'
      ),
    'older-releases-may-support': a =>
      line(
        trans.__(
          'Older torch releases may still support it; see %1.',
          value(a.url)
        ),
        'Older torch releases may still support it; see %1.',
        value(a.url)
      ),
    'install-torch-cuda': a =>
      line(
        trans.__(
          'Install torch %1 for CUDA %2 (%3)',
          value(a.torch),
          value(a.cuda),
          value(a.variant)
        ),
        'Install torch %1 for CUDA %2 (%3)',
        value(a.torch),
        value(a.cuda),
        value(a.variant)
      ),
    'update-driver-restart': a => {
      const m = minimum(a);
      return {
        english: fill(
          'Update the NVIDIA driver to %1 or newer (it must support CUDA %2), then restart the machine.',
          [m.english, value(a.cuda)]
        ),
        localized: trans.__(
          'Update the NVIDIA driver to %1 or newer (it must support CUDA %2), then restart the machine.',
          m.localized,
          value(a.cuda)
        )
      };
    },
    'update-driver-then-install': a => {
      const m = minimum(a);
      return {
        english: fill(
          'Update the NVIDIA driver to %1 or newer, then install torch %2 for CUDA %3 (%4)',
          [m.english, value(a.torch), value(a.cuda), value(a.variant)]
        ),
        localized: trans.__(
          'Update the NVIDIA driver to %1 or newer, then install torch %2 for CUDA %3 (%4)',
          m.localized,
          value(a.torch),
          value(a.cuda),
          value(a.variant)
        )
      };
    },
    'keep-driver-install': a =>
      line(
        trans.__(
          'Or keep the driver: torch %1 for CUDA %2 (%3)',
          value(a.torch),
          value(a.cuda),
          value(a.variant)
        ),
        'Or keep the driver: torch %1 for CUDA %2 (%3)',
        value(a.torch),
        value(a.cuda),
        value(a.variant)
      ),
    'no-release-for-this-python': () =>
      line(
        trans.__('No known torch release supports this Python'),
        'No known torch release supports this Python'
      ),
    'see-selector': a => ({
      english: value(a.url),
      localized: trans.__('See %1.', value(a.url))
    }),
    'install-torch': a =>
      line(
        trans.__('Install torch %1', value(a.torch)),
        'Install torch %1',
        value(a.torch)
      ),
    'install-torch-cpu-build': a =>
      line(
        trans.__('Install torch %1 (CPU build)', value(a.torch)),
        'Install torch %1 (CPU build)',
        value(a.torch)
      ),
    'no-wheel-intel-mac': a =>
      line(
        trans.__(
          'No torch wheel for Python %1 on an Intel Mac',
          value(a.python)
        ),
        'No torch wheel for Python %1 on an Intel Mac',
        value(a.python)
      ),
    'use-older-python-intel-mac': a =>
      line(
        trans.__(
          'Use Python %1 or older for this kernel, then torch %2.',
          value(a.python),
          value(a.torch)
        ),
        'Use Python %1 or older for this kernel, then torch %2.',
        value(a.python),
        value(a.torch)
      ),
    'install-torch-cpu': a =>
      line(
        trans.__('Install torch %1 (CPU)', value(a.torch)),
        'Install torch %1 (CPU)',
        value(a.torch)
      ),
    'use-native-arm64-python': () =>
      line(trans.__('Use a native arm64 Python'), 'Use a native arm64 Python'),
    'install-arm64-python': () =>
      line(
        trans.__(
          "Install an arm64 Python (python.org's universal2 installer or Miniforge for arm64), create the environment with it, install torch there, run the kernel from it."
        ),
        "Install an arm64 Python (python.org's universal2 installer or Miniforge for arm64), create the environment with it, install torch there, run the kernel from it."
      ),
    'update-macos-newest': a =>
      line(
        trans.__(
          'Update macOS to the newest version, or see %1.',
          value(a.url)
        ),
        'Update macOS to the newest version, or see %1.',
        value(a.url)
      ),
    'update-macos': a =>
      line(
        trans.__('Update macOS to %1 or newer', value(a.macos)),
        'Update macOS to %1 or newer',
        value(a.macos)
      ),
    'update-macos-restart': a =>
      line(
        trans.__(
          'Update macOS to %1 or newer (System Settings, General, Software Update), then restart the kernel.',
          value(a.macos)
        ),
        'Update macOS to %1 or newer (System Settings, General, Software Update), then restart the kernel.',
        value(a.macos)
      ),
    'then-install-torch': a =>
      line(
        trans.__('then install torch %1', value(a.torch)),
        'then install torch %1',
        value(a.torch)
      ),
    'keep-macos-install': a =>
      line(
        trans.__(
          'Or keep macOS %1: install torch %2',
          value(a.macos),
          value(a.torch)
        ),
        'Or keep macOS %1: install torch %2',
        value(a.macos),
        value(a.torch)
      ),
    'update-torch-and-macos': () =>
      line(trans.__('Update torch and macOS'), 'Update torch and macOS'),
    'update-macos-and-torch': () =>
      line(
        trans.__(
          'Update macOS and torch to their latest versions, then restart the kernel.'
        ),
        'Update macOS and torch to their latest versions, then restart the kernel.'
      ),
    'reinstall-torch': a =>
      a.torch
        ? line(
            trans.__('Reinstall torch %1', a.torch),
            'Reinstall torch %1',
            a.torch
          )
        : line(trans.__('Reinstall torch'), 'Reinstall torch'),
    'install-matching-torchvision': a =>
      line(
        trans.__(
          'Install the matching pair: torch %1 with torchvision %2',
          value(a.torch),
          value(a.torchvision)
        ),
        'Install the matching pair: torch %1 with torchvision %2',
        value(a.torch),
        value(a.torchvision)
      ),
    'install-matching-torchaudio': a =>
      line(
        trans.__(
          'Install torchaudio %1 with torch %2',
          value(a.torchaudio),
          value(a.torch)
        ),
        'Install torchaudio %1 with torch %2',
        value(a.torchaudio),
        value(a.torch)
      ),
    'uninstall-torchaudio': () =>
      line(
        trans.__('Uninstall torchaudio, or use torch 2.11 with it'),
        'Uninstall torchaudio, or use torch 2.11 with it'
      ),
    'uninstall-torchaudio-or-2-11': () =>
      line(
        trans.__(
          'Uninstall torchaudio if you do not need it, or install torch 2.11 with torchaudio 2.11.'
        ),
        'Uninstall torchaudio if you do not need it, or install torch 2.11 with torchaudio 2.11.'
      ),
    'check-rocm-driver': () =>
      line(trans.__('Check the ROCm driver'), 'Check the ROCm driver'),
    'install-rocm-driver': () =>
      line(
        trans.__(
          'Install the ROCm driver and add your user to the render and video groups, then restart the kernel.'
        ),
        'Install the ROCm driver and add your user to the render and video groups, then restart the kernel.'
      ),
    'see-cause-above': () =>
      line(trans.__('See the cause above'), 'See the cause above'),
    // The probe's own advice: English only (the diagnosis above is translated).
    'probe-advice': () => null,
    'optionally-update-driver': () =>
      line(
        trans.__('Optionally update the NVIDIA driver'),
        'Optionally update the NVIDIA driver'
      ),
    'update-driver-for-cuda': a =>
      line(
        trans.__(
          'Update the NVIDIA driver to one that supports CUDA %1 or newer.',
          value(a.cuda)
        ),
        'Update the NVIDIA driver to one that supports CUDA %1 or newer.',
        value(a.cuda)
      ),
    'cpu-on-intel-mac': () =>
      line(
        trans.__('The CPU is the device on an Intel Mac'),
        'The CPU is the device on an Intel Mac'
      )
  };
}

/**
 * A fix's title and steps as the panel shows them.
 */
export interface IFixText {
  title: string;
  steps: string[];
}

/**
 * The fix's title and steps in the user's language (see the module comment).
 */
export function fixText(trans: TranslationBundle, fix: IProbeFix): IFixText {
  const table = sentences(trans);
  const say = (
    key: { code: string; args?: Args } | undefined,
    english: string
  ): string => {
    const make =
      key && Object.prototype.hasOwnProperty.call(table, key.code)
        ? table[key.code as DoctorTextCode]
        : null;
    const found = make ? make(key?.args ?? {}) : null;
    if (!found || found.localized === found.english) {
      return english;
    }
    return found.localized;
  };
  const steps = fix.steps ?? [];
  const keys = fix.i18n?.steps ?? [];
  let title = say(fix.i18n?.title, fix.title);
  const suffix = fix.i18n?.title?.suffix;
  if (suffix && title !== fix.title) {
    title = trans.__('%1 (%2)', title, suffix);
  }
  return {
    title,
    steps: steps.map((step, i) => say(keys[i], step))
  };
}
