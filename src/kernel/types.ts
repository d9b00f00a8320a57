/**
 * The JSON document of the kernel probe (`jupyterlab_device_bench/probe.py`).
 *
 * Keys are snake_case exactly as the probe writes them. Every key is always
 * present; `null` means "unknown" or "not applicable". A pytest test checks
 * that these interfaces and the probe's document have the same keys.
 * See docs/probe.md.
 */

/**
 * The `schema_version` this extension understands.
 */
export const PROBE_SCHEMA_VERSION = 1;

/**
 * How serious a diagnostic is.
 */
export type DiagnosticSeverity = 'error' | 'warning' | 'info';

/**
 * The stable codes of the probe's diagnostics. Each appears at most once per document.
 */
export type DiagnosticCode =
  | 'torch-missing'
  | 'torch-import-failed'
  | 'cpu-only-build'
  | 'cuda-unavailable'
  | 'driver-old'
  | 'arch-unsupported'
  | 'cuda-devices-hidden'
  | 'mps-unavailable'
  | 'cpu-only'
  | 'torchvision-mismatch'
  | 'torchaudio-mismatch';

/**
 * The kind of a device in the flat device list.
 */
export type DeviceKind = 'cuda' | 'mps' | 'xpu' | 'cpu';

/**
 * The kernel's Python interpreter and host.
 */
export interface IProbePython {
  /** `platform.python_version()`, e.g. "3.11.7". */
  version: string | null;
  /** `platform.python_implementation()`, e.g. "CPython". */
  implementation: string | null;
  /** `sys.executable`: shown in the panel only, never written to notebooks. */
  executable: string;
  /** `platform.system()`: "Linux", "Darwin", "Windows". */
  os: string | null;
  /** `platform.release()`. */
  os_release: string | null;
  /** `platform.machine()`: "x86_64", "arm64", "AMD64", ... */
  machine: string | null;
  /** macOS only: true when an x86_64 Python runs under Rosetta 2; null elsewhere. */
  rosetta: boolean | null;
}

/**
 * What the kernel's torch is and was built for.
 */
export interface IProbeTorch {
  installed: boolean;
  /** The import error as "Type: message", when torch could not be imported. */
  import_error: string | null;
  /** "missing": torch is not installed; "failed": it is, but importing it failed. */
  import_error_type: 'missing' | 'failed' | null;
  /** `torch.__version__`, e.g. "2.13.0+cpu". */
  version: string | null;
  /** `torch.version.cuda`: the CUDA version torch was built with; null for CPU/ROCm builds. */
  cuda_build: string | null;
  /** `torch.version.hip`: set for ROCm builds. */
  hip: string | null;
  /** `torch.backends.cudnn.version()`, e.g. 90100. */
  cudnn: number | null;
  mps_built: boolean;
  mps_available: boolean;
  xpu_available: boolean;
  /** `torch.cuda.get_arch_list()`, e.g. ["sm_80", "sm_86", "sm_90"]; empty without CUDA. */
  arch_list: string[];
  /** `torch.get_num_threads()`. */
  num_threads: number | null;
}

/**
 * One GPU as NVML reports it (no CUDA context; ignores CUDA_VISIBLE_DEVICES).
 */
export interface IProbeNvmlGpu {
  index: number;
  name: string;
  /** Bytes. */
  total_memory: number | null;
  /** `nvmlDeviceGetCudaComputeCapability`, e.g. "8.6"; null when the driver does not say. */
  capability: string | null;
}

/**
 * One CUDA (or ROCm) device as torch sees it.
 */
export interface IProbeCudaDevice {
  /** The torch device index: `cuda:<index>`. */
  index: number;
  name: string;
  /** Bytes. */
  total_memory: number;
  /** "8.6". */
  capability: string;
  major: number;
  minor: number;
  multiprocessors: number | null;
  /** Whether the build has kernels for this device; null when not checked (ROCm). */
  supported: boolean | null;
}

/**
 * CUDA as torch and the NVIDIA driver see it.
 */
export interface IProbeCuda {
  /** `torch.cuda.is_available()`; false without torch. */
  available: boolean;
  /** `torch.cuda.device_count()` when available, else 0. */
  device_count: number;
  /** The value of CUDA_VISIBLE_DEVICES, or null when unset. */
  visible_devices_env: string | null;
  /** Highest CUDA version the driver supports, e.g. "12.4" (NVML). */
  driver_cuda_version: string | null;
  /** The NVIDIA driver version, e.g. "550.54.15" (NVML). */
  driver_version: string | null;
  /** How NVML was reached: "pynvml" or "libnvidia-ml"; null when it was not. */
  nvml_source: string | null;
  /** Why NVML could not be queried, when it failed rather than being absent. */
  nvml_error: string | null;
  /** GPUs NVML sees, whatever torch was built for; null when NVML is missing. */
  nvml_gpu_count: number | null;
  nvml_gpus: IProbeNvmlGpu[];
  /** NVML sees a GPU, or (without NVML) driver files or nvidia-smi exist. */
  nvidia_gpu_detected: boolean;
  /** The warning torch raised while checking CUDA availability, if any. */
  init_warning: string | null;
  /** Filled only when CUDA is available. */
  devices: IProbeCudaDevice[];
}

/**
 * Apple's Metal Performance Shaders backend.
 */
export interface IProbeMps {
  built: boolean;
  available: boolean;
  /** `platform.mac_ver()[0]`, e.g. "14.4"; null off macOS. */
  macos_version: string | null;
}

/**
 * One Intel GPU (XPU).
 */
export interface IProbeXpuDevice {
  index: number;
  name: string;
  total_memory: number | null;
}

/**
 * Intel GPUs (XPU).
 */
export interface IProbeXpu {
  available: boolean;
  device_count: number;
  devices: IProbeXpuDevice[];
}

/**
 * The host CPU.
 */
export interface IProbeCpu {
  model: string | null;
  /** `os.cpu_count()`. */
  logical_cores: number | null;
  /** `torch.get_num_threads()`; null without torch. */
  torch_threads: number | null;
  /** Physical memory in bytes, when the OS tells (not on Windows). */
  total_memory: number | null;
}

/**
 * One entry of the flat device list the panel renders.
 */
export interface IProbeDevice {
  /** The torch device string: "cuda:0", "mps", "xpu:0", "cpu". */
  id: string;
  kind: DeviceKind;
  name: string;
  /** Whether torch can run on it now. Unusable GPUs are listed with false. */
  available: boolean;
  /** Bytes; null when unknown (MPS). */
  total_memory: number | null;
  /** One line for the panel, e.g. "compute capability 8.6, 82 multiprocessors". */
  detail: string;
}

/**
 * How the kernel's environment and its torch were installed (no network, nothing imported).
 */
export interface IProbeEnvironment {
  /** "venv", "uv-venv", "conda", "pixi", "system". */
  env_kind: string | null;
  /** `sys.prefix`: shown in commands only, never written to notebooks. */
  prefix: string;
  /** The pixi manifest of a pixi environment. */
  pixi_project: string | null;
  /** From torch's dist-info INSTALLER and conda-meta: "pip", "uv", "conda", "pixi", "other". */
  torch_installer: string | null;
  /** The INSTALLER file's text. */
  torch_installer_raw: string | null;
  /** torch's version from its metadata (also when it fails to import). */
  torch_dist_version: string | null;
  /** "cpu", "cu126", "rocm7.2", "xpu", or "default" (macOS PyPI build). */
  torch_variant: string | null;
  /** torchvision's version from its metadata (never imported). */
  torchvision: string | null;
  /** torchaudio's version from its metadata (never imported). */
  torchaudio: string | null;
}

/**
 * One backend at a glance: usable or not, and why in one line.
 */
export interface IProbeBackend {
  backend: 'cuda' | 'rocm' | 'mps' | 'xpu' | 'cpu';
  usable: boolean;
  /** The torch device to use when usable, e.g. "cuda:0". */
  device: string | null;
  /** Why, in English (the CLI prints it; the panel's fallback). */
  reason: string;
  /**
   * The reason as a code with arguments (contract.json `reason_texts`), for
   * the panel to word in the user's language; absent from an older kernel side.
   */
  i18n?: IProbeTextKey;
}

/**
 * The shell a command is written for; "notebook" is the cell form.
 */
export type CommandShell = 'posix' | 'powershell' | 'cmd' | 'notebook';

/**
 * One command line (or a few, one per line) for one shell.
 */
export interface IProbeCommand {
  shell: CommandShell;
  command: string;
}

/**
 * What an install fix installs.
 */
export interface IProbeFixTarget {
  /** The torch release, e.g. "2.13". */
  torch: string | null;
  /** "cu126", "cpu", ...; null for PyPI's default build (macOS). */
  variant: string | null;
  kind: string;
  cuda: string | null;
  index_url: string | null;
  torchvision: string | null;
}

/**
 * One way to fix a diagnosis (see docs/install-doctor.md).
 */
export interface IProbeFix {
  title: string;
  reason: string;
  /** The fix to show first; alternatives are false. */
  primary: boolean;
  /** Things to do by hand first (a driver or macOS update). */
  steps: string[];
  commands: IProbeCommand[];
  /** A `%pip` / `%conda` / `!uv` cell naming no path; null when there is none. */
  cell: string | null;
  installer: string | null;
  target: IProbeFixTarget | null;
  /** The device that should be usable after the fix, e.g. "cuda:0". */
  expect: string | null;
  /**
   * The title and steps as codes with arguments (contract.json
   * `doctor_texts`), for the frontend to word in the user's language;
   * absent from an older kernel side.
   */
  i18n?: IProbeFixI18n;
}

/**
 * A sentence of a fix by code: see src/panel/fixtext.ts.
 */
export interface IProbeTextKey {
  code: string;
  args: Record<string, string | null>;
  /** An alternative installer named after the title, e.g. "pip". */
  suffix?: string;
}

/**
 * A fix's title and steps by code, in the order of `title` and `steps`.
 */
export interface IProbeFixI18n {
  title: IProbeTextKey;
  steps: IProbeTextKey[];
  /**
   * The reason's sentences as codes of contract.json `reason_texts` (the
   * English `reason` is their English joined by spaces); absent from an
   * older kernel side.
   */
  reason?: IProbeTextKey[];
}

/**
 * A finding in plain English, with what to do about it.
 */
export interface IProbeDiagnostic {
  code: DiagnosticCode;
  severity: DiagnosticSeverity;
  message: string;
  /** What to do, including exact commands; null for plain notes. */
  fix: string | null;
  /** The install doctor's fix plan, primary first. */
  fixes: IProbeFix[];
  /**
   * The backend row's reason for this finding (contract.json `reason_texts`),
   * with its English `text`; null when the finding words no row (or absent,
   * from an older kernel side).
   */
  row?: (IProbeTextKey & { text: string }) | null;
}

/**
 * What the install doctor's facts are and whether they cover this torch.
 */
export interface IProbeFacts {
  as_of: string | null;
  newest_release: string | null;
  torch_release_known: boolean | null;
  newer_than_known: boolean;
}

/**
 * A section of the probe that failed; the section keeps neutral values.
 */
export interface IProbeError {
  section: string;
  message: string;
}

/**
 * The whole probe document.
 */
export interface IProbeReport {
  schema_version: number;
  python: IProbePython;
  torch: IProbeTorch;
  cuda: IProbeCuda;
  mps: IProbeMps;
  xpu: IProbeXpu;
  cpu: IProbeCpu;
  environment: IProbeEnvironment;
  /** CUDA devices, then MPS, then XPU, then the CPU; empty when torch is missing. */
  devices: IProbeDevice[];
  /** The id to preselect: the first available device; null without torch. */
  recommended: string | null;
  /** One row per backend (CUDA or ROCm, MPS on macOS, XPU when present, CPU). */
  backends: IProbeBackend[];
  diagnostics: IProbeDiagnostic[];
  facts: IProbeFacts;
  /** Python warnings raised while probing, as "Category: message". */
  warnings: string[];
  /** Text that third-party code printed while probing (kept out of the notebook). */
  captured_output: string | null;
  errors: IProbeError[];
  /** How long the probe took in the kernel. */
  elapsed_ms: number;
}
