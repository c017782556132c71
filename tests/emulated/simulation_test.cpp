// The GPU network step (src/backends/cuda/simulate.cu and simulate.cpp, compiled here as C++)
// on the emulated runtime, with the GPU run's own tests (simulation_tests.hpp); the recurrent
// networks' statistics tests take minutes here and run on a GPU only.
#define NM_CUDA_EMULATED
#include "emulated/runtime_emulation.hpp"

#include "backends/cuda/simulate.cpp"
#include "backends/cuda/simulate.cu"

#define NM_SIM_SUITE emulated_simulation
#define NM_NEED_SIM_DEVICE()
#define NM_NEED_LONG_SIM_DEVICE()                                                                  \
    GTEST_SKIP() << "minutes on the emulated runtime: run on a GPU (ctest -L gpu)"
// Host scalar code has no FMA where the CPU's vectorised loops contract: the traces' last bits
// drift apart over the steps (the spikes must not).
#define NM_SIM_TRACE_TOLERANCE 1e-12
#include "simulation_tests.hpp"
