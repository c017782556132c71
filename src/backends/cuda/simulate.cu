// The network step on the GPU, the CPU loop's two phases:
//   update     one thread per neuron, one launch per run of populations of one model: Poisson
//              arrivals and currents of the step, deliver (read and clear the ring slot, exact
//              kernels or the synaptic drive), then the model's own integrate / fire / reset
//              or fused advance (models/*.hpp, the CPU's arithmetic in double), spike
//              statistics, the spike list (or counts) and the recording;
//   propagate  pre-synaptic projections: the step's spikes spread over the grid, threads over
//              their CSR rows, adding count·w by atomics into the target's ring slot at
//              step + delay;
// and, when state traces are recorded, a small kernel after the update that samples them.
// Post-synaptic projections need no kernel of their own: each update thread first walks its
// neuron's incoming synapses for the previous step's spike counts (gather_spikes).
// Steps come from base_step + a constant per node, so one captured graph replays any chunk.
#include "backends/cuda/check.hpp"
#include "backends/cuda/launch.cuh"
#include "backends/cuda/sim_descriptors.cuh"
#include "backends/cuda/sim_input.cuh"
#include "backends/cuda/sim_steps.hpp"
#include "backends/cuda/sim_walk.cuh"
#include "core/spike_count.hpp"

#include <cstring>

namespace nm::cuda {

namespace {

constexpr int block_threads = 256;

// One thread per neuron of the run's populations (all of model M); Walks: the run has
// post-synaptic projections or plastic sources (sim_run::walks); D: where the descriptors are.
template<class M, bool Walks, class D>
__global__ void update(sim_view v, std::uint64_t offset, sim_run run) {
    const std::uint64_t g = run.first + blockIdx.x * std::uint64_t{blockDim.x} + threadIdx.x;
    if (g >= run.first + run.size) return;
    const std::uint64_t step = *v.base_step + offset;
    const sim_population& P =
        D::pop(population_of<D>(g, static_cast<int>(run.first_pop), static_cast<int>(run.end_pop)));
    const std::uint64_t i = g - P.first;
    // The previous step's spikes first, as the CPU propagates them before this step's update.
    if (Walks && step > 0) gather_spikes(v, P, i, step - 1);
    const std::uint64_t slot = (step & P.ring_mask) * P.size + i;
    // Every load first, then the arithmetic, then every store: the loads' latencies overlap
    // instead of queuing behind stores the compiler must assume may alias them.
    constexpr std::size_t n_state = M::state_fields.size();
    double columns[n_state], arrived[max_ports], x[max_ports], y[max_ports];
#pragma unroll
    for (std::size_t k = 0; k < n_state; ++k) columns[k] = v.state[k][g];
#pragma unroll
    for (int p = 0; p < max_ports; ++p) {
        const bool used = p < P.ports;
        arrived[p] = used ? P.port[p].ring[slot] : 0.0;
        x[p] = used && P.port[p].kind != sim_port_kind::delta ? P.port[p].x[i] : 0.0;
        y[p] = used && P.port[p].y ? P.port[p].y[i] : 0.0;
    }
    models::neuron_input in;
    if constexpr (M::is_complex) in.jump_im = imaginary_jump(P, i, slot, x, y);
    apply_stimuli<D>(P, i, step, arrived, in.current);
    if (v.trials.on && P.index == v.trials.input) add_trial_input(v.trials, i, step, arrived);
    deliver(P, i, arrived, x, y, in);
    typename M::state s;
    std::memcpy(&s, columns, sizeof s);
    const typename M::coeffs& c = coefficients<M>(P, i);
    int n;
    float spike_offset = -1.0f;
    if constexpr (models::fused_model<M>) {
        const models::crossing crossed = M::advance(c, s, in);
        n = crossed.n;
        spike_offset = static_cast<float>(crossed.offset);
    } else {
        const double u = P.stochastic ? P.firing.uniform(static_cast<std::uint32_t>(i),
                                                         static_cast<std::uint32_t>(step))
                                      : 0.0;
        const double vstar = M::integrate(c, s, in);
        n = M::fire(c, s, vstar, u);
        M::reset(c, s, vstar, n);
    }
    std::memcpy(columns, &s, sizeof s);
#pragma unroll
    for (std::size_t k = 0; k < n_state; ++k) v.state[k][g] = columns[k];
#pragma unroll
    for (int p = 0; p < max_ports; ++p) {
        if (p >= P.ports) break;
        P.port[p].ring[slot] = 0.0;
        if (P.port[p].kind != sim_port_kind::delta) P.port[p].x[i] = x[p];
        if (P.port[p].y) P.port[p].y[i] = y[p];
    }
    const unsigned parity = step & 1;
    if (v.counts[parity]) v.counts[parity][g] = static_cast<std::uint16_t>(n);
    if constexpr (Walks)
        for (std::uint32_t t = P.trace_begin; t < P.trace_end; ++t)
            advance_pre_trace(v.pre_traces[t], i, step, n);
    if (n == 0) return;
    count_spike(v.spikes[g], v.last_step[g], v.isi_sum[g], v.isi_sq[g], v.isi_n[g], step);
    if (v.trials.on && P.index == v.trials.readout) record_response(v.trials, P, i, step, n);
    if (v.fired_size) {
        const unsigned at = atomicAdd(v.fired_size + parity, 1u);
        v.fired[parity][at] = static_cast<std::uint32_t>(g);
        v.fired_count[parity][at] = static_cast<std::uint16_t>(n);
    }
    for (int k = 0; k < P.n_recorders; ++k) {
        const sim_recorder& R = P.recorders[k];
        if (step < R.start || step >= R.stop || (R.selected && !R.selected[i])) continue;
        const unsigned long long r = atomicAdd(v.record_size, 1ull);
        v.records[r] = {static_cast<std::uint32_t>(step), P.index, static_cast<std::uint32_t>(i),
                        static_cast<std::uint32_t>(n), spike_offset};
    }
}

// Spikes share the grid: with fewer spikes than blocks, each spike gets gridDim / fired blocks,
// whose threads take the synapses of its outgoing rows (up to max_fanout projections at a
// time, laid end to end) in turn; with more, blocks take spikes in turn. Thousands of synapses
// per spike then keep thousands of threads busy, one synapse or a few each.
constexpr int propagate_threads = 256, max_fanout = 16;

template<class D>
__global__ void __launch_bounds__(propagate_threads) propagate(sim_view v, std::uint64_t offset) {
    __shared__ sim_projection proj[max_fanout];
    __shared__ std::uint64_t begin[max_fanout], start[max_fanout + 1];
    const std::uint64_t step = *v.base_step + offset;
    const unsigned parity = step & 1;
    const unsigned fired = v.fired_size[parity];
    // The next step's list is free: the last kernel that read it (propagate, step − 1) is done.
    if (blockIdx.x == 0 && threadIdx.x == 0) v.fired_size[parity ^ 1] = 0;
    if (fired == 0) return;
    const unsigned per_spike = max(1u, gridDim.x / fired);
    const unsigned part = blockIdx.x % per_spike, stride = per_spike * blockDim.x;
    for (unsigned s = blockIdx.x / per_spike; s < fired; s += gridDim.x / per_spike) {
        if (blockIdx.x / per_spike >= gridDim.x / per_spike) break; // the grid's remainder
        const std::uint64_t g = v.fired[parity][s];
        const double count = v.fired_count[parity][s];
        const int pre = population_of<D>(g, 0, v.n_pops);
        const std::uint64_t i = g - D::pop(pre).first;
        const std::uint32_t out_end = D::outgoing_begin(pre + 1);
        for (std::uint32_t o = D::outgoing_begin(pre); o < out_end; o += max_fanout) {
            const int n =
                static_cast<int>(min(static_cast<std::uint32_t>(max_fanout), out_end - o));
            if (static_cast<int>(threadIdx.x) < n) {
                const int k = threadIdx.x;
                const std::uint32_t j = D::outgoing(o + k);
                proj[k] = D::projection(j);
                begin[k] = proj[k].offsets[i];
                const std::uint64_t length = proj[k].offsets[i + 1] - begin[k];
                start[k + 1] = length;
                if (part == 0) atomicAdd(v.events + j, static_cast<unsigned long long>(length));
            }
            __syncthreads();
            if (threadIdx.x == 0) {
                start[0] = 0;
                for (int k = 0; k < n; ++k) start[k + 1] += start[k];
            }
            __syncthreads();
            for (std::uint64_t t = part * blockDim.x + threadIdx.x; t < start[n]; t += stride) {
                int k = 0;
                while (t >= start[k + 1]) ++k;
                const sim_projection& p = proj[k];
                const sim_population& post = D::pop(p.post);
                const std::uint64_t x = begin[k] + (t - start[k]);
                const std::uint32_t packed = p.targets[x];
                const std::uint32_t delay = p.varying_delay ? packed >> p.delay_shift : p.delay;
                const std::uint64_t at =
                    ((step + delay) & post.ring_mask) * post.size + (packed & p.target_mask);
                atomicAdd(post.port[p.port].ring + at,
                          count * (p.varying_weight ? p.weights[x] : p.weight));
                if (p.complex_weight)
                    atomicAdd(post.im[p.port].ring + at,
                              count * (p.weights_im ? p.weights_im[x] : p.weight_im));
            }
            __syncthreads(); // the shared rows are rewritten for the next group or spike
        }
    }
}

// The last step's spikes through the post-synaptic projections (the updates walk each step's
// spikes at the start of the next): one thread per neuron.
template<class D>
__global__ void gather_last(sim_view v, std::uint64_t step) {
    const std::uint64_t g = blockIdx.x * std::uint64_t{blockDim.x} + threadIdx.x;
    if (g >= v.neurons) return;
    const sim_population& P = D::pop(population_of<D>(g, 0, v.n_pops));
    gather_spikes(v, P, g - P.first, step);
}

// One block per trace recorder, threads over its neurons.
__global__ void record_traces(sim_view v, std::uint64_t offset) {
    const std::uint64_t step = *v.base_step + offset;
    const sim_trace& tr = v.traces[blockIdx.x];
    if (step < tr.start || step >= tr.stop || (step - tr.start) % tr.every != 0) return;
    double* row = tr.values + (step - tr.start) / tr.every * tr.count;
    for (int j = threadIdx.x; j < tr.count; j += blockDim.x) row[j] = tr.column[tr.neurons[j]];
}

// update<M> for the run's model M (its index in sim_models).
template<class D, class... M>
void launch_update(const sim_view& v, std::uint64_t offset, const sim_run& run, cudaStream_t stream,
                   std::tuple<M...>*) {
    const auto blocks = static_cast<unsigned>((run.size + block_threads - 1) / block_threads);
    int model = 0;
    auto kernel = [&](auto* update_kernel) {
        launch(update_kernel, blocks, block_threads, stream, v, offset, run);
    };
    ((model++ == run.model ? (run.walks ? kernel(update<M, true, D>) : kernel(update<M, false, D>))
                           : void()),
     ...);
}

template<class D>
void enqueue(const sim_view& v, const sim_schedule& schedule, std::uint64_t first_offset,
             std::uint64_t count, cudaStream_t stream) {
    for (std::uint64_t k = first_offset; k < first_offset + count; ++k) {
        for (const sim_run& run : schedule.runs)
            launch_update<D>(v, k, run, stream, static_cast<sim_models*>(nullptr));
        if (v.n_traces > 0) {
            launch(record_traces, static_cast<unsigned>(v.n_traces), 128, stream, v, k);
        }
        if (schedule.propagate_blocks > 0)
            launch(propagate<D>, static_cast<unsigned>(schedule.propagate_blocks),
                   propagate_threads, stream, v, k);
    }
}

template<class T>
void upload_into(buffer<T>& b, const std::vector<T>& host) {
    if (!host.empty()) b.upload(host.data(), host.size());
}

} // namespace

bool set_network(const std::vector<sim_population>& pops,
                 const std::vector<sim_projection>& projections,
                 const std::vector<sim_stimulus>& stimuli, const std::vector<std::uint32_t>& begin,
                 const std::vector<std::uint32_t>& out, sim_network_buffers& global) {
    if (pops.size() > max_populations || projections.size() > max_projections ||
        stimuli.size() > max_stimuli) {
        upload_into(global.populations, pops);
        upload_into(global.projections, projections);
        upload_into(global.stimuli, stimuli);
        upload_into(global.outgoing_begin, begin);
        upload_into(global.outgoing, out);
        const sim_network network{global.populations.data(), global.projections.data(),
                                  global.stimuli.data(), global.outgoing_begin.data(),
                                  global.outgoing.data()};
        NM_CUDA_CHECK(cudaMemcpyToSymbol(global_bytes, &network, sizeof network));
        return true;
    }
    NM_CUDA_CHECK(
        cudaMemcpyToSymbol(population_bytes, pops.data(), pops.size() * sizeof(sim_population)));
    if (!stimuli.empty())
        NM_CUDA_CHECK(cudaMemcpyToSymbol(stimulus_bytes, stimuli.data(),
                                         stimuli.size() * sizeof(sim_stimulus)));
    if (!projections.empty()) {
        NM_CUDA_CHECK(cudaMemcpyToSymbol(projection_bytes, projections.data(),
                                         projections.size() * sizeof(sim_projection)));
        NM_CUDA_CHECK(
            cudaMemcpyToSymbol(outgoings, out.data(), out.size() * sizeof(std::uint32_t)));
    }
    NM_CUDA_CHECK(
        cudaMemcpyToSymbol(outgoing_begins, begin.data(), begin.size() * sizeof(std::uint32_t)));
    return false;
}

void enqueue_steps(const sim_view& v, const sim_schedule& schedule, std::uint64_t first_offset,
                   std::uint64_t count, cudaStream_t stream) {
    if (schedule.global_descriptors)
        enqueue<in_global>(v, schedule, first_offset, count, stream);
    else
        enqueue<in_constant>(v, schedule, first_offset, count, stream);
}

void finish_gathers(const sim_view& v, const sim_schedule& schedule, std::uint64_t last_step,
                    cudaStream_t stream) {
    const auto blocks = static_cast<unsigned>((v.neurons + block_threads - 1) / block_threads);
    if (schedule.global_descriptors)
        launch(gather_last<in_global>, blocks, block_threads, stream, v, last_step);
    else
        launch(gather_last<in_constant>, blocks, block_threads, stream, v, last_step);
}

} // namespace nm::cuda
