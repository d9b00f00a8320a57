/**
 * Why: the install doctor's fix reasons and the probe's backend-row reasons
 * in the user's language, by code.
 *
 * The kernel side (doctor.py because(), probe.py _reason()) words each reason
 * in English from contract.json `reason_texts` (the CLI and headless runs
 * print that English) and sends it beside a stable code with arguments: a
 * fix's reason as its sentences (`fix.i18n.reason`), a backend row's as one
 * (`row.i18n`). Here each code gets its sentence through the translator
 * (common/texttable.ts). A reason falls back to the English the kernel sent
 * when any of its codes is unknown here (a newer kernel side), has no
 * translation, or when the kernel sent no codes (an older kernel side).
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { CONTRACT } from '../common/_generated/contract';
import type { TextParams, Translate, Wording } from '../common/texttable';
import { shown, wordKnown } from '../common/texttable';
import type { IProbeBackend, IProbeTextKey } from '../kernel/types';

/**
 * A code of contract.json `reason_texts`.
 */
export type ReasonCode = keyof typeof CONTRACT.reason_texts.codes;

/**
 * A parameter as shown: its value, or "unknown" (the kernel's English says
 * "unknown" for a null argument too).
 */
function u(trans: Translate, value: string | null | undefined): string {
  return value ?? trans.__('unknown');
}

/**
 * "driver 580.65 (CUDA up to 13.0)", "driver 580.65" or "driver of unknown
 * version" (doctor.py driver_phrase()).
 */
export function driverPhrase(trans: Translate, a: TextParams): string {
  return a.driver_cuda
    ? trans.__('driver %1 (CUDA up to %2)', shown(a.driver), a.driver_cuda)
    : a.driver
      ? trans.__('driver %1', a.driver)
      : trans.__('driver of unknown version');
}

/**
 * The sentences, one per code (TypeScript fails the build when a code of the
 * contract has none). null: data, or text with no translation by design.
 */
export const REASON_TEXTS: Record<ReasonCode, Wording> = {
  // The probe's own diagnosis (English; the diagnosis above is translated).
  'probe-cause': () => null,
  // A device's id and name, and the CPU's model: data, shown as they are.
  'row-device': () => null,
  'row-cpu': () => null,
  'facts-cover-cuda-platforms': (trans, a) =>
    trans.__(
      "This product's facts cover CUDA wheels for Linux x86-64 and Windows, not %1 (data as of %2).",
      u(trans, a.platform),
      u(trans, a.as_of)
    ),
  'torch-newer-cuda-unknown': (trans, a) =>
    trans.__(
      'torch %1 is newer than this product knows (data as of %2), so its CUDA variants are not known here.',
      u(trans, a.torch),
      u(trans, a.as_of)
    ),
  'torch-older-than-known': (trans, a) =>
    trans.__(
      'torch %1 is older than the releases this product knows (data as of %2).',
      u(trans, a.torch),
      u(trans, a.as_of)
    ),
  'no-wheels-for-python': (trans, a) =>
    trans.__(
      'None of the torch releases this product knows (data as of %1) has wheels for Python %2.',
      u(trans, a.as_of),
      u(trans, a.python)
    ),
  'no-code-for-capability': (trans, a) =>
    trans.__(
      '%1: none of the CUDA builds of the torch releases this product knows has code for compute capability %2 (data as of %3), so even a correct install cannot use this GPU; the kernel will use the CPU.',
      u(trans, a.gpus),
      u(trans, a.capability),
      u(trans, a.as_of)
    ),
  'newest-build-for-gpu': (trans, a) =>
    trans.__(
      "%1 is torch %2's newest CUDA build with code for %3 that runs on the %4.",
      u(trans, a.variant),
      u(trans, a.torch),
      u(trans, a.gpus),
      driverPhrase(trans, a)
    ),
  'release-moved': (trans, a) =>
    trans.__(
      'torch %1 has no CUDA build for this GPU; this is the newest release that has.',
      u(trans, a.torch)
    ),
  'newest-known-with-build': (trans, a) =>
    trans.__(
      'This is the newest release this product knows with a build for %1.',
      u(trans, a.gpus)
    ),
  'capability-unread': trans =>
    trans.__(
      "(The GPU's compute capability could not be read; check it is 5.0 or newer.)"
    ),
  'minor-version-compatible': (trans, a) =>
    trans.__(
      'CUDA %1 runs on a CUDA %2 driver through CUDA minor-version compatibility.',
      u(trans, a.cuda),
      u(trans, a.driver_cuda)
    ),
  'only-build-needs-driver': (trans, a) =>
    trans.__(
      "torch %1's CUDA builds are %2; only %3 has code for %4, and it needs a driver for CUDA %5, newer than the %6.",
      u(trans, a.torch),
      u(trans, a.variants),
      u(trans, a.variant),
      u(trans, a.gpus),
      u(trans, a.cuda),
      driverPhrase(trans, a)
    ),
  'keep-driver-release': (trans, a) =>
    trans.__(
      'torch %1 is the newest release with a build (%2) that has code for %3 and runs on the %4.',
      u(trans, a.torch),
      u(trans, a.variant),
      u(trans, a.gpus),
      driverPhrase(trans, a)
    ),
  'data-as-of': (trans, a) => trans.__('data as of %1', u(trans, a.as_of)),
  'no-nvidia-gpu-cpu-build': trans =>
    trans.__('No NVIDIA GPU was found, so the CPU build is the one.'),
  'cpu-build-smaller': trans =>
    trans.__('The CPU build is a much smaller download.'),
  'intel-mac-last-torch': (trans, a) =>
    trans.__(
      'This is an Intel Mac: the last torch with macOS x86-64 wheels is %1, and current torch has no MPS on Intel Macs, so the kernel uses the CPU.',
      u(trans, a.torch)
    ),
  'intel-mac-pythons': (trans, a) =>
    trans.__(
      'torch %1 has wheels for Python %2 only.',
      u(trans, a.torch),
      u(trans, a.pythons)
    ),
  'python-under-rosetta': trans =>
    trans.__(
      'This Python is an Intel (x86_64) build running under Rosetta 2: it cannot use MPS and runs slowly.'
    ),
  'torch-newer-mps-unknown': (trans, a) =>
    trans.__(
      'torch %1 is newer than this product knows (data as of %2); its macOS requirement for MPS is not known here (torch 2.9 to %3 need macOS 14).',
      u(trans, a.torch),
      u(trans, a.as_of),
      u(trans, a.newest)
    ),
  'torch-needs-macos': (trans, a) =>
    trans.__(
      'torch %1 needs macOS %2 for MPS; this Mac runs macOS %3.',
      u(trans, a.torch),
      u(trans, a.needed),
      u(trans, a.macos)
    ),
  'after-macos-update': trans => trans.__('After the macOS update.'),
  'keep-macos-release': (trans, a) =>
    trans.__(
      'torch %1 is the last release whose MPS runs on macOS %2 (it needs %3); you stay on an older torch.',
      u(trans, a.torch),
      u(trans, a.macos),
      u(trans, a.needed)
    ),
  'pypi-arm64-has-mps': trans =>
    trans.__("PyPI's macOS arm64 wheel includes MPS."),
  'macos-meets-no-mps': (trans, a) =>
    trans.__(
      "macOS %1 meets torch %2's requirement (%3), yet MPS is not available.",
      u(trans, a.macos),
      u(trans, a.torch),
      u(trans, a.needed)
    ),
  'reinstall-same-build': trans =>
    trans.__(
      'A broken install or an incompatible dependency (such as numpy) is the usual cause; reinstalling the same build replaces its files and dependencies.'
    ),
  'torchvision-pair': trans =>
    trans.__(
      'One torchvision release matches each torch release; the pair comes from the same index as the installed torch build.'
    ),
  'torchaudio-must-match': trans =>
    trans.__('torchaudio must match the torch release.'),
  'torchaudio-last-2-11': (trans, a) =>
    trans.__(
      "torchaudio's last release is 2.11; no torchaudio is built for torch %1.",
      u(trans, a.torch)
    ),
  'rocm-needs-driver': trans =>
    trans.__('The ROCm build needs the amdgpu driver and access to /dev/kfd.'),
  'driver-minor-compatible': (trans, a) =>
    trans.__(
      'CUDA %1 runs on this driver through minor-version compatibility (minimum %2); a driver for CUDA %3 or newer avoids PTX JIT failures.',
      u(trans, a.cuda),
      u(trans, a.minimum),
      u(trans, a.cuda)
    ),
  'intel-mac-no-mps': (trans, a) =>
    trans.__(
      'The last torch with macOS x86-64 wheels is %1; current torch has no MPS on Intel Macs.',
      u(trans, a.torch)
    ),
  'pixi-manages': trans =>
    trans.__(
      'pixi manages this environment: add the conda-forge build to the project (run in a terminal, then restart the kernel).'
    ),
  'conda-stay-forge': trans =>
    trans.__(
      "torch came from conda here, so stay with conda: conda-forge build (its CUDA builds are chosen by cuda-version; conda-forge can lag PyTorch's releases)."
    ),
  'conda-or-pip': (trans, a) =>
    trans.__(
      "Or with pip inside this conda environment, from PyTorch's own index (the conda 'pytorch' channel stopped at %1, so conda install -c pytorch no longer gets it).",
      u(trans, a.channel)
    ),
  'conda-with-pip': (trans, a) =>
    trans.__(
      "With pip inside this conda environment, from PyTorch's own index (the conda 'pytorch' channel stopped at %1, so conda install -c pytorch no longer gets it).",
      u(trans, a.channel)
    ),
  'conda-or-forge': trans =>
    trans.__(
      "Or the conda-forge build (its CUDA builds are chosen by cuda-version; conda-forge can lag PyTorch's releases)."
    ),
  'row-cpu-only-build': trans => trans.__('this torch is a CPU-only build'),
  'row-arch-unsupported': trans =>
    trans.__("this torch build has no code for the GPU's compute capability"),
  'row-cuda-unavailable': trans =>
    trans.__('torch.cuda.is_available() is False'),
  'row-torch-missing': trans =>
    trans.__('torch is not installed in this kernel'),
  'row-torch-import-failed': trans =>
    trans.__('torch is installed but does not import'),
  'row-no-nvidia-gpu': trans => trans.__('no NVIDIA GPU was found'),
  'row-no-mps-build': trans => trans.__('this torch build has no MPS support'),
  'row-mps-usable': (trans, a) =>
    trans.__('Metal Performance Shaders, macOS %1', u(trans, a.macos)),
  'row-rocm-no-gpu': (trans, a) =>
    trans.__(
      'This torch is a ROCm (HIP %1) build, but no AMD GPU is usable',
      u(trans, a.hip)
    ),
  'row-no-nvidia-driver': trans =>
    trans.__(
      'no NVIDIA driver was found (the NVML library could not be loaded)'
    ),
  'row-visible-devices-hide-all': (trans, a) =>
    trans.__(
      'CUDA_VISIBLE_DEVICES is set to "%1", which hides every GPU from this kernel',
      u(trans, a.env)
    ),
  'row-driver-too-old': trans => trans.__('the NVIDIA driver is too old'),
  'row-driver-no-gpu': trans =>
    trans.__('the NVIDIA driver is loaded but reports no GPU'),
  'row-cuda-false-gpu-detected': (trans, a) =>
    trans.__(
      'This torch is a CUDA %1 build, but torch.cuda.is_available() is False although an NVIDIA GPU was detected',
      u(trans, a.cuda)
    ),
  'row-macos-too-old': (trans, a) =>
    trans.__(
      'macOS %1 is too old; MPS needs macOS 12.3 or later',
      u(trans, a.macos)
    ),
  'row-rosetta': trans =>
    trans.__(
      'this Python is an Intel (x86_64) build running under Rosetta 2 on Apple silicon'
    ),
  'row-intel-mac': (trans, a) =>
    trans.__(
      'this Mac has an Intel (%1) processor, not Apple silicon; on an Intel Mac, MPS needs an AMD GPU',
      u(trans, a.machine)
    ),
  'row-mps-unavailable': (trans, a) =>
    trans.__(
      'This torch supports MPS (Apple GPU), but MPS is not available on this Apple silicon Mac (macOS %1)',
      u(trans, a.macos)
    ),
  'row-torch-needs-macos': (trans, a) =>
    trans.__(
      'torch %1 needs macOS %2 for MPS; this Mac runs macOS %3',
      u(trans, a.torch),
      u(trans, a.needed),
      u(trans, a.macos)
    )
};

/**
 * Sentences joined as the language writes them: no space after a
 * full-width stop (Chinese), one space otherwise.
 */
function joined(parts: string[]): string {
  return parts.reduce(
    (text, part) =>
      !text
        ? part
        : /[\u3000-\u303f\uff00-\uffef]$/.test(text)
          ? text + part
          : `${text} ${part}`,
    ''
  );
}

/**
 * A reason in the user's language from its sentences' codes; `english` (the
 * kernel's words) unless every sentence has a translation.
 */
export function reasonText(
  trans: TranslationBundle,
  keys: readonly IProbeTextKey[] | undefined,
  english: string
): string {
  if (!keys || !keys.length) {
    return english;
  }
  const parts: string[] = [];
  for (const key of keys) {
    const part = wordKnown(trans, REASON_TEXTS, key.code, key.args ?? {});
    if (part === null) {
      return english;
    }
    parts.push(part);
  }
  return joined(parts);
}

/**
 * A backend row's reason in the user's language (its English otherwise).
 */
export function backendReasonText(
  trans: TranslationBundle,
  row: IProbeBackend
): string {
  return reasonText(trans, row.i18n ? [row.i18n] : undefined, row.reason);
}
