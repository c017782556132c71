// --device cuda for the commands that can use a GPU: the CUDA backend's trainer and simulator,
// or a clear error where this build or this machine has none (never a silent CPU fallback).
#pragma once

#include <nm/errors.hpp>
#include <nm/simulation.hpp>
#include <nm/train.hpp>

#ifdef NM_WITH_CUDA
#include "backends/cuda/cuda.hpp"
#endif

#include <string>

namespace nm::cli {

struct accelerator {
    std::string name; // the device, in words
    device_factory trainer;
    device_simulator simulator;
};

inline accelerator open_accelerator(const std::string& device) {
    if (device != "cuda") throw bad_config("--device " + device + ": expected \"cpu\" or \"cuda\"");
#ifdef NM_WITH_CUDA
    return {cuda::require_device(), cuda::trainer_factory(), cuda::simulator()};
#else
    throw device_error("--device cuda: this neuromorph was built without the CUDA backend (nvcc "
                       "was not found when it was configured)");
#endif
}

} // namespace nm::cli
