/*
 * A fake libnvidia-ml.so.1 for the install doctor's real-kernel tests (pytest and Galata).
 * Only the NVML calls the probe makes; no CUDA context, no real driver. What it reports is
 * set when it is compiled:
 *   gcc -shared -fPIC -o libnvidia-ml.so.1 fake_nvml.c \
 *     -DFAKE_GPU_NAME='"NVIDIA GeForce RTX 3070 Ti Laptop GPU"' -DFAKE_CC_MAJOR=8 \
 *     -DFAKE_CC_MINOR=6 -DFAKE_DRIVER='"550.54.15"' -DFAKE_DRIVER_CUDA=12040
 * (those are the defaults).
 */
#include <string.h>

#ifndef FAKE_GPU_NAME
#define FAKE_GPU_NAME "NVIDIA GeForce RTX 3070 Ti Laptop GPU"
#endif
#ifndef FAKE_CC_MAJOR
#define FAKE_CC_MAJOR 8
#endif
#ifndef FAKE_CC_MINOR
#define FAKE_CC_MINOR 6
#endif
#ifndef FAKE_DRIVER
#define FAKE_DRIVER "550.54.15"
#endif
#ifndef FAKE_DRIVER_CUDA
#define FAKE_DRIVER_CUDA 12040
#endif

typedef struct { unsigned long long total, free, used; } fake_memory;
int nvmlInit_v2(void) { return 0; }
int nvmlShutdown(void) { return 0; }
int nvmlSystemGetCudaDriverVersion_v2(int *version) { *version = FAKE_DRIVER_CUDA; return 0; }
int nvmlSystemGetDriverVersion(char *text, unsigned size) {
    strncpy(text, FAKE_DRIVER, size); return 0;
}
int nvmlDeviceGetCount_v2(unsigned *count) { *count = 1; return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned index, void **handle) {
    *handle = (void *)(unsigned long)(index + 1); return 0;
}
int nvmlDeviceGetName(void *handle, char *text, unsigned size) {
    strncpy(text, FAKE_GPU_NAME, size); return 0;
}
int nvmlDeviceGetCudaComputeCapability(void *handle, int *major, int *minor) {
    *major = FAKE_CC_MAJOR; *minor = FAKE_CC_MINOR; return 0;
}
int nvmlDeviceGetMemoryInfo(void *handle, fake_memory *memory) {
    memory->total = 8ULL << 30; memory->free = 0; memory->used = 0; return 0;
}
