// A validated training run as the plan a device backend trains (device_trainer.hpp); what the
// device cannot train yet is refused with the layer or section it concerns.
#pragma once

#include "nm/data.hpp"
#include "nm/train.hpp"
#include "train/data.hpp"
#include "train/device_trainer.hpp"
#include "train/loss.hpp"
#include "train/optimizer.hpp"

namespace nm::train {

// `input`: the images the first layer reads (a flat vector when its size is not the code's
// channels). The layers were validated by building the CPU model.
device_plan make_device_plan(const train_spec& spec, const input_code& code,
                             const loss_options& loss, const optimizer_options& opt,
                             const dataset& train_split, image_shape input = {});

// The optimizer's tensors in the order device_trainer::upload takes them (each block's weight,
// then its bias), with the optimizer's moments beside them.
std::vector<device_tensor> device_tensors(std::vector<parameter<float>>& params,
                                          optimizer<float>& opt);

} // namespace nm::train
