// The CUDA trainer's whole step (src/backends/cuda/trainer.cu, compiled here as C++) on the
// emulated runtime: its launches, GEMM arguments, buffers, graph capture and replay, against the
// CPU model in double precision, with the GPU run's own tests (step_tests.hpp), where no GPU is
// present.
#define NM_CUDA_EMULATED
#include "emulated/runtime_emulation.hpp"

#include "backends/cuda/trainer.cu"

#define NM_STEP_SUITE emulated_trainer
#define NM_NEED_STEP_DEVICE()
#include "step_tests.hpp"
