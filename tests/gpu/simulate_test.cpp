// The GPU simulation tests (simulation_tests.hpp), skipped where no GPU is present.
#include "backends/cuda/cuda.hpp"

#define NM_SIM_SUITE gpu_simulation
#define NM_NEED_SIM_DEVICE()                                                                       \
    if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device"
#define NM_NEED_LONG_SIM_DEVICE() NM_NEED_SIM_DEVICE()
#define NM_SIM_TRACE_TOLERANCE 0 // the device contracts as the CPU's vector loops do
#include "simulation_tests.hpp"
