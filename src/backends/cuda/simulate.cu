// The network step on the GPU, two kernels per step (the CPU loop's two phases):
//   update     one thread per neuron of every population: Poisson arrivals and currents of the
//              step, deliver (read and clear the ring slot, exact exponential kernels), then
//              the model's own integrate / fire / reset (models/*.hpp, the CPU's arithmetic in
//              double), spike statistics, the spike list and the recording;
//   propagate  one warp per spike of the step, lanes over its CSR rows (pre-synaptic
//              strategy), adding count·w into the target's ring slot at step + delay.
// Steps come from base_step + a constant per node, so one captured graph replays any chunk.
#include "backends/cuda/check.hpp"
#include "backends/cuda/sim_steps.hpp"
#include "core/philox.hpp"

#include <cstring>

namespace nm::cuda {

namespace {

constexpr int block_threads = 256;

__device__ int population_of(const sim_view& v, std::uint64_t g) {
    int p = 0;
    while (p + 1 < v.n_pops && g >= v.pops[p + 1].first) ++p;
    return p;
}

template<class M>
__global__ void update(sim_view v, std::uint64_t offset) {
    const std::uint64_t g = blockIdx.x * std::uint64_t{blockDim.x} + threadIdx.x;
    if (g >= v.neurons) return;
    const std::uint64_t step = *v.base_step + offset;
    const auto step32 = static_cast<std::uint32_t>(step);
    const sim_population& P = v.pops[population_of(v, g)];
    const std::uint64_t i = g - P.first;
    const std::uint64_t slot = (step & P.ring_mask) * P.size + i;
    for (int s = 0; s < P.poissons; ++s) {
        const sim_poisson& src = P.poisson[s];
        if (step < src.start || step >= src.stop || src.count == 0) continue;
        const std::uint32_t word =
            philox4x32(static_cast<std::uint32_t>(i >> 2), step32, src.stream, 0, src.k0, src.k1)
                .w[i & 3];
        std::uint32_t k = 0;
        while (word >= src.thresholds[k]) ++k;
        P.port[src.port].ring[slot] += k * src.weight;
    }
    models::neuron_input in;
    for (int s = 0; s < P.dcs; ++s)
        if (step >= P.dc[s].start && step < P.dc[s].stop) in.current += P.dc[s].amplitude;
    double jump = 0.0;
    for (int p = 0; p < P.ports; ++p) {
        const sim_port& port = P.port[p];
        const double arrived = port.ring[slot];
        port.ring[slot] = 0.0;
        if (port.kind == sim_port_kind::delta) {
            jump += arrived;
        } else {
            jump += port.kernel * port.x[i];
            port.x[i] = port.decay * port.x[i] + arrived;
        }
    }
    in.jump = jump;
    constexpr std::size_t n_state = M::state_fields.size();
    double columns[n_state];
    for (std::size_t k = 0; k < n_state; ++k) columns[k] = v.state[k][g];
    typename M::state s;
    std::memcpy(&s, columns, sizeof s);
    const typename M::coeffs& c = P.coeffs[P.per_neuron ? i : 0];
    const double vstar = M::integrate(c, s, in);
    const int n = M::fire(c, s, vstar, 0.0);
    M::reset(c, s, vstar, n);
    std::memcpy(columns, &s, sizeof s);
    for (std::size_t k = 0; k < n_state; ++k) v.state[k][g] = columns[k];
    if (n == 0) return;
    v.spikes[g] += 1;
    if (v.last_step[g] >= 0) {
        const double isi = static_cast<double>(step - v.last_step[g]);
        v.isi_sum[g] += isi;
        v.isi_sq[g] += isi * isi;
        v.isi_n[g] += 1;
    }
    v.last_step[g] = static_cast<std::int64_t>(step);
    const unsigned parity = step & 1;
    const unsigned at = atomicAdd(v.fired_size + parity, 1u);
    v.fired[parity][at] = static_cast<std::uint32_t>(g);
    v.fired_count[parity][at] = static_cast<std::uint16_t>(n);
    if (P.record && step >= P.record_start && step < P.record_stop &&
        (!P.selected || P.selected[i])) {
        const unsigned long long r = atomicAdd(v.record_size, 1ull);
        v.records[r] = {step32, P.index, static_cast<std::uint32_t>(i),
                        static_cast<std::uint32_t>(n)};
    }
}

__global__ void propagate(sim_view v, std::uint64_t offset) {
    const std::uint64_t step = *v.base_step + offset;
    const unsigned parity = step & 1;
    const unsigned warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32, lane = threadIdx.x & 31;
    const unsigned warps = gridDim.x * blockDim.x / 32;
    const unsigned fired = v.fired_size[parity];
    // The next step's list is free: the last kernel that read it (propagate, step − 1) is done.
    if (blockIdx.x == 0 && threadIdx.x == 0) v.fired_size[parity ^ 1] = 0;
    for (unsigned s = warp; s < fired; s += warps) {
        const std::uint64_t g = v.fired[parity][s];
        const double count = v.fired_count[parity][s];
        const int pre = population_of(v, g);
        const std::uint64_t i = g - v.pops[pre].first;
        for (std::uint32_t o = v.outgoing_begin[pre]; o < v.outgoing_begin[pre + 1]; ++o) {
            const sim_projection& proj = v.projections[v.outgoing[o]];
            const sim_population& post = v.pops[proj.post];
            double* ring = post.port[proj.port].ring;
            const std::uint64_t begin = proj.offsets[i], end = proj.offsets[i + 1];
            const std::uint64_t fixed = ((step + proj.delay) & post.ring_mask) * post.size;
            for (std::uint64_t x = begin + lane; x < end; x += 32) {
                const std::uint32_t packed = proj.targets[x];
                const std::uint64_t at =
                    proj.varying_delay
                        ? ((step + (packed >> proj.delay_shift)) & post.ring_mask) * post.size +
                              (packed & proj.target_mask)
                        : fixed + packed;
                const double w = proj.varying_weight ? proj.weights[x] : proj.weight;
                atomicAdd(ring + at, count * w);
            }
            if (lane == 0) atomicAdd(v.events + v.outgoing[o], end - begin);
        }
    }
}

} // namespace

void enqueue_steps(const sim_view& v, std::uint64_t first_offset, std::uint64_t count,
                   int propagate_blocks, cudaStream_t stream) {
    const auto blocks = static_cast<unsigned>((v.neurons + block_threads - 1) / block_threads);
    for (std::uint64_t k = first_offset; k < first_offset + count; ++k) {
        update<models::lif><<<blocks, block_threads, 0, stream>>>(v, k);
        NM_CUDA_LAUNCHED();
        propagate<<<propagate_blocks, block_threads, 0, stream>>>(v, k);
        NM_CUDA_LAUNCHED();
    }
}

} // namespace nm::cuda
