/**
 * The install doctor's fix titles and steps in the user's language, by code.
 *
 * The kernel-side doctor (doctor.py) words every fix in English and sends,
 * beside the words, each title and step as a stable code with its arguments
 * (`fix.i18n`; the codes are listed in contract.json `doctor_texts`). Here each
 * code gets its sentence through the translator, filled from those arguments
 * (common/texttable.ts); commands are never part of a sentence, so they stay
 * verbatim. As with the diagnoses (diagnostics.ts), a sentence without a
 * translation (an English UI) falls back to the kernel's own words, and so
 * does a code this frontend does not know (a newer kernel side). The fix's
 * reason is worded by panel/reasontext.ts.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { CONTRACT } from '../common/_generated/contract';
import type { TextParams, Translate, Wording } from '../common/texttable';
import { shown as v, translateKnown } from '../common/texttable';
import type { IProbeFix, IProbeTextKey } from '../kernel/types';
import { reasonText } from './reasontext';

/**
 * A code of contract.json `doctor_texts`.
 */
export type DoctorTextCode = keyof typeof CONTRACT.doctor_texts.codes;

function driver(trans: Translate, a: TextParams): string {
  return a.driver_cuda
    ? trans.__('driver %1 (CUDA up to %2)', v(a.driver), a.driver_cuda)
    : a.driver
      ? trans.__('driver %1', a.driver)
      : trans.__('driver of unknown version');
}

function minimum(trans: Translate, a: TextParams): string {
  return a.driver ?? trans.__('a newer version');
}

/**
 * The sentences, one per code (TypeScript fails the build when a code of the
 * contract has none). null: a sentence that has no translation by design.
 */
export const FIX_TEXTS: Record<DoctorTextCode, Wording> = {
  'pick-cuda-build': trans => trans.__('Pick the CUDA build on pytorch.org'),
  'choose-build': (trans, a) =>
    trans.__(
      'Choose the build on %1 for %2 and the %3.',
      v(a.url),
      v(a.gpus),
      driver(trans, a)
    ),
  'choose-its-build': (trans, a) =>
    trans.__(
      'Choose its CUDA build on %1 for %2 and the %3.',
      v(a.url),
      v(a.gpus),
      driver(trans, a)
    ),
  'choose-its-build-or-newer': (trans, a) =>
    trans.__(
      'Choose its CUDA build on %1, or install a newer torch (below).',
      v(a.url)
    ),
  'torch-newer-than-known': (trans, a) =>
    trans.__('torch %1 is newer than this product knows', v(a.torch)),
  'torch-not-in-table': (trans, a) =>
    trans.__("torch %1 is not in this product's table", v(a.torch)),
  'no-release-for-python': (trans, a) =>
    trans.__('No known torch release supports Python %1', v(a.python)),
  'use-supported-python': (trans, a) =>
    trans.__('Use a Python that %1 supports, or see %2.', v(a.torch), v(a.url)),
  'no-cuda-build-for-gpu': trans =>
    trans.__('No PyTorch CUDA build supports this GPU'),
  'older-releases-may-support': (trans, a) =>
    trans.__('Older torch releases may still support it; see %1.', v(a.url)),
  'install-torch-cuda': (trans, a) =>
    trans.__(
      'Install torch %1 for CUDA %2 (%3)',
      v(a.torch),
      v(a.cuda),
      v(a.variant)
    ),
  'update-driver-restart': (trans, a) =>
    trans.__(
      'Update the NVIDIA driver to %1 or newer (it must support CUDA %2), then restart the machine.',
      minimum(trans, a),
      v(a.cuda)
    ),
  'update-driver-then-install': (trans, a) =>
    trans.__(
      'Update the NVIDIA driver to %1 or newer, then install torch %2 for CUDA %3 (%4)',
      minimum(trans, a),
      v(a.torch),
      v(a.cuda),
      v(a.variant)
    ),
  'keep-driver-install': (trans, a) =>
    trans.__(
      'Or keep the driver: torch %1 for CUDA %2 (%3)',
      v(a.torch),
      v(a.cuda),
      v(a.variant)
    ),
  'no-release-for-this-python': trans =>
    trans.__('No known torch release supports this Python'),
  'see-selector': (trans, a) => trans.__('See %1.', v(a.url)),
  'install-torch': (trans, a) => trans.__('Install torch %1', v(a.torch)),
  'install-torch-cpu-build': (trans, a) =>
    trans.__('Install torch %1 (CPU build)', v(a.torch)),
  'no-wheel-intel-mac': (trans, a) =>
    trans.__('No torch wheel for Python %1 on an Intel Mac', v(a.python)),
  'use-older-python-intel-mac': (trans, a) =>
    trans.__(
      'Use Python %1 or older for this kernel, then torch %2.',
      v(a.python),
      v(a.torch)
    ),
  'install-torch-cpu': (trans, a) =>
    trans.__('Install torch %1 (CPU)', v(a.torch)),
  'use-native-arm64-python': trans => trans.__('Use a native arm64 Python'),
  'install-arm64-python': trans =>
    trans.__(
      "Install an arm64 Python (python.org's universal2 installer or Miniforge for arm64), create the environment with it, install torch there, run the kernel from it."
    ),
  'update-macos-newest': (trans, a) =>
    trans.__('Update macOS to the newest version, or see %1.', v(a.url)),
  'update-macos': (trans, a) =>
    trans.__('Update macOS to %1 or newer', v(a.macos)),
  'update-macos-restart': (trans, a) =>
    trans.__(
      'Update macOS to %1 or newer (System Settings, General, Software Update), then restart the kernel.',
      v(a.macos)
    ),
  'then-install-torch': (trans, a) =>
    trans.__('then install torch %1', v(a.torch)),
  'keep-macos-install': (trans, a) =>
    trans.__('Or keep macOS %1: install torch %2', v(a.macos), v(a.torch)),
  'update-torch-and-macos': trans => trans.__('Update torch and macOS'),
  'update-macos-and-torch': trans =>
    trans.__(
      'Update macOS and torch to their latest versions, then restart the kernel.'
    ),
  'reinstall-torch': (trans, a) =>
    a.torch
      ? trans.__('Reinstall torch %1', a.torch)
      : trans.__('Reinstall torch'),
  'install-matching-torchvision': (trans, a) =>
    trans.__(
      'Install the matching pair: torch %1 with torchvision %2',
      v(a.torch),
      v(a.torchvision)
    ),
  'install-matching-torchaudio': (trans, a) =>
    trans.__(
      'Install torchaudio %1 with torch %2',
      v(a.torchaudio),
      v(a.torch)
    ),
  'uninstall-torchaudio': trans =>
    trans.__('Uninstall torchaudio, or use torch 2.11 with it'),
  'uninstall-torchaudio-or-2-11': trans =>
    trans.__(
      'Uninstall torchaudio if you do not need it, or install torch 2.11 with torchaudio 2.11.'
    ),
  'check-rocm-driver': trans => trans.__('Check the ROCm driver'),
  'install-rocm-driver': trans =>
    trans.__(
      'Install the ROCm driver and add your user to the render and video groups, then restart the kernel.'
    ),
  'see-cause-above': trans => trans.__('See the cause above'),
  // The probe's own advice: English only (the diagnosis above is translated).
  'probe-advice': () => null,
  'optionally-update-driver': trans =>
    trans.__('Optionally update the NVIDIA driver'),
  'update-driver-for-cuda': (trans, a) =>
    trans.__(
      'Update the NVIDIA driver to one that supports CUDA %1 or newer.',
      v(a.cuda)
    ),
  'cpu-on-intel-mac': trans => trans.__('The CPU is the device on an Intel Mac')
};

/**
 * A fix's title, reason and steps as the panel shows them.
 */
export interface IFixText {
  title: string;
  reason: string;
  steps: string[];
}

function say(
  trans: TranslationBundle,
  key: IProbeTextKey | undefined,
  english: string
): string {
  return key
    ? translateKnown(trans, FIX_TEXTS, key.code, {
        params: key.args,
        fallback: english
      })
    : english;
}

/**
 * The fix's title, reason and steps in the user's language (see the module
 * comment).
 */
export function fixText(trans: TranslationBundle, fix: IProbeFix): IFixText {
  const steps = fix.steps ?? [];
  const keys = fix.i18n?.steps ?? [];
  let title = say(trans, fix.i18n?.title, fix.title);
  const suffix = fix.i18n?.title?.suffix;
  if (suffix && title !== fix.title) {
    title = trans.__('%1 (%2)', title, suffix);
  }
  return {
    title,
    reason: reasonText(trans, fix.i18n?.reason, fix.reason),
    steps: steps.map((step, i) => say(trans, keys[i], step))
  };
}
