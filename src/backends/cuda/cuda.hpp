// The CUDA backend as the rest of neuromorph sees it: plain C++, no CUDA types.
#pragma once

#include "nm/simulation.hpp"
#include "nm/train.hpp"
#include "train/device_trainer.hpp"

#include <string>

namespace nm::cuda {

// Devices the driver reports (0 without a driver or a GPU; never throws).
int device_count();

// "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, 79.1 GiB)"; throws nm::device_error naming what is
// missing when no device can be used.
std::string require_device();

// Runs built networks on device 0 (nm::simulation::run's device argument).
device_simulator simulator();

// Trainers for spiking stacks (dense, conv2d, recurrent; train/device_trainer.hpp) on device 0.
device_factory trainer_factory();

} // namespace nm::cuda
