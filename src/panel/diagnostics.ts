/**
 * The probe's diagnoses in the user's language, by code.
 *
 * The kernel-side probe words its diagnoses in English (the CLI `doctor`
 * prints them too) and stores nothing language-specific: each diagnosis
 * carries a `code`. Here each code gets a sentence through the translator,
 * filled from the report's own fields. Where the sentence has a translation
 * (a non-English UI), the panel shows it and keeps the kernel's English
 * words as the detail; in English the kernel's fuller words stand alone.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { IProbeDiagnostic } from '../kernel/types';
import type { IProbeReport } from '../tokens';

/**
 * What the panel shows for a diagnosis.
 */
export interface IDiagnosticText {
  /**
   * The sentence to show first.
   */
  text: string;
  /**
   * The kernel's own (English) words, when `text` is a translation; else null.
   */
  detail: string | null;
}

/**
 * The sentence for a code, with its arguments; null for a code this
 * frontend does not know (a newer probe): the kernel's words then stand.
 */
function sentence(
  trans: TranslationBundle,
  diagnostic: IProbeDiagnostic,
  report: IProbeReport
): { english: string; localized: string } | null {
  // Each template is written out at its trans.__ call so that the string
  // extractor (jupyterlab-translate) finds it; `english` is the same
  // template filled in, to tell whether the translator had a translation.
  const pick = (
    template: string,
    localized: string,
    ...args: (string | number)[]
  ) => ({
    english: template.replace(/%(\d+)/g, (all, n: string) =>
      Number(n) <= args.length ? String(args[Number(n) - 1]) : all
    ),
    localized
  });
  const cuda = report.cuda;
  const gpus = (cuda?.nvml_gpus ?? []).map(g => g.name).join(', ');
  switch (diagnostic.code) {
    case 'torch-missing':
      return pick(
        'PyTorch (torch) is not installed in the Python environment of this kernel.',
        trans.__(
          'PyTorch (torch) is not installed in the Python environment of this kernel.'
        )
      );
    case 'torch-import-failed':
      return pick(
        'torch is installed, but importing it failed.',
        trans.__('torch is installed, but importing it failed.')
      );
    case 'cpu-only-build':
      return pick(
        'This torch %1 is a CPU-only build, so it cannot use the GPU of this machine.',
        trans.__(
          'This torch %1 is a CPU-only build, so it cannot use the GPU of this machine.',
          report.torch.version ?? ''
        ),
        report.torch.version ?? ''
      );
    case 'cuda-unavailable':
      return gpus
        ? pick(
            'torch cannot use CUDA although an NVIDIA GPU was found (%1).',
            trans.__(
              'torch cannot use CUDA although an NVIDIA GPU was found (%1).',
              gpus
            ),
            gpus
          )
        : pick(
            'torch cannot use CUDA: no usable NVIDIA GPU or driver was found.',
            trans.__(
              'torch cannot use CUDA: no usable NVIDIA GPU or driver was found.'
            )
          );
    case 'driver-old':
      return pick(
        'The NVIDIA driver supports CUDA up to %1, but torch was built for CUDA %2: update the driver.',
        trans.__(
          'The NVIDIA driver supports CUDA up to %1, but torch was built for CUDA %2: update the driver.',
          cuda?.driver_cuda_version ?? '?',
          report.torch.cuda_build ?? '?'
        ),
        cuda?.driver_cuda_version ?? '?',
        report.torch.cuda_build ?? '?'
      );
    case 'arch-unsupported':
      return pick(
        "This torch build has no code for the GPU's compute capability.",
        trans.__(
          "This torch build has no code for the GPU's compute capability."
        )
      );
    case 'cuda-devices-hidden':
      return pick(
        'torch sees %1 of the %2 NVIDIA GPUs because of CUDA_VISIBLE_DEVICES.',
        trans.__(
          'torch sees %1 of the %2 NVIDIA GPUs because of CUDA_VISIBLE_DEVICES.',
          cuda?.device_count ?? 0,
          cuda?.nvml_gpu_count ?? 0
        ),
        cuda?.device_count ?? 0,
        cuda?.nvml_gpu_count ?? 0
      );
    case 'mps-unavailable':
      return pick(
        'torch cannot use MPS (the GPU of Apple silicon) on this Mac.',
        trans.__('torch cannot use MPS (the GPU of Apple silicon) on this Mac.')
      );
    case 'cpu-only': {
      const model = report.cpu.model ?? trans.__('unknown model');
      return pick(
        'No GPU was found for this kernel; it will run on the CPU (%1).',
        trans.__(
          'No GPU was found for this kernel; it will run on the CPU (%1).',
          model
        ),
        model
      );
    }
    case 'torchvision-mismatch':
      return pick(
        'The installed torchvision does not match this torch release.',
        trans.__('The installed torchvision does not match this torch release.')
      );
    case 'torchaudio-mismatch':
      return pick(
        'The installed torchaudio does not match this torch release.',
        trans.__('The installed torchaudio does not match this torch release.')
      );
    default:
      return null;
  }
}

/**
 * The diagnosis in the user's language (see the module comment).
 */
export function diagnosticText(
  trans: TranslationBundle,
  diagnostic: IProbeDiagnostic,
  report: IProbeReport
): IDiagnosticText {
  const found = sentence(trans, diagnostic, report);
  if (!found || found.localized === found.english) {
    return { text: diagnostic.message, detail: null };
  }
  return { text: found.localized, detail: diagnostic.message };
}
