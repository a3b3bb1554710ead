// File type conversion (see requantize.hpp).
#include "model/requantize.hpp"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "kernels/kernels.hpp"
#include "slm/error.hpp"

namespace slm::model {
namespace {

using kernels::DType;

// {arch}.block_count, else the number of ffn_down tensors (the plan's layer count).
std::int64_t layer_count(const gguf::File& in) {
  if (auto arch = in.get_optional<std::string>("general.architecture"))
    if (auto n = in.get_optional<std::uint64_t>(*arch + ".block_count")) return std::int64_t(*n);
  std::int64_t n = 0;
  for (const auto& t : in.tensors())
    if (t.name.find("ffn_down") != std::string::npos) ++n;
  return n;
}

}  // namespace

RequantizeResult requantize(const gguf::File& in, FileType file_type, const std::filesystem::path& out,
                            const ProgressCallback& progress, int threads) {
  const int n_threads = threads > 0 ? threads : std::max(1, int(std::thread::hardware_concurrency()));
  std::error_code ec;
  if (std::filesystem::equivalent(in.path(), out, ec))
    throw Error(Error::Kind::Argument, "output is the input file", out.string());
  const auto& tensors = in.tensors();
  std::vector<PlanInput> plan_in;
  for (const auto& t : tensors) plan_in.push_back({t.name, t.n_dims, t.ne[0], t.type});
  const std::vector<DType> types = plan_types(file_type, plan_in, layer_count(in));

  gguf::Writer w(in.version());
  bool has_file_type = false, has_qv = false;
  for (const auto& kv : in.metadata()) {
    if (kv.key == "general.file_type") {
      w.add(kv.key, gguf::Value::u32(static_cast<std::uint32_t>(file_type)));
      has_file_type = true;
    } else if (kv.key == "general.quantization_version") {
      w.add(kv.key, gguf::Value::u32(2));
      has_qv = true;
    } else {
      w.add(kv.key, kv.value);
    }
  }
  if (!has_qv) w.add("general.quantization_version", gguf::Value::u32(2));
  if (!has_file_type) w.add("general.file_type", gguf::Value::u32(static_cast<std::uint32_t>(file_type)));

  RequantizeResult result;
  result.n_tensors = tensors.size();
  WriteProgress state;
  state.n_tensors = tensors.size();
  for (std::size_t i = 0; i < tensors.size(); ++i)
    state.bytes_total += kernels::row_bytes(types[i], tensors[i].ne[0]) * std::uint64_t(tensors[i].n_elements() / tensors[i].ne[0]);

  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const gguf::TensorInfo& t = tensors[i];
    const DType to = types[i];
    const std::span<const std::int64_t> shape(t.ne, std::size_t(t.n_dims));
    auto report = [&, i](std::uint64_t bytes) {
      state.tensors_done = i + 1;
      state.bytes_done += bytes;
      state.tensor = tensors[i].name;
      if (progress) progress(state);
    };
    if (to == t.type) {
      w.add_tensor(t.name, to, shape, [&, i, report](const gguf::Writer::Sink& sink) {
        const auto bytes = in.tensor_data(tensors[i]);
        sink(bytes);
        report(bytes.size());
      });
      continue;
    }
    if (!kernels::dtype_info(t.type).supported)
      throw Error(Error::Kind::Unsupported,
                  "cannot convert from " + std::string(kernels::dtype_name(t.type)) + " (not supported)", in.path(),
                  t.name);
    ++result.n_converted;
    w.add_tensor(t.name, to, shape, [&, i, to, report](const gguf::Writer::Sink& sink) {
      const gguf::TensorInfo& ti = tensors[i];
      const std::int64_t ne0 = ti.ne[0], n_rows = ti.n_elements() / ne0;
      const std::size_t in_row = kernels::row_bytes(ti.type, ne0), out_row = kernels::row_bytes(to, ne0);
      // Rows in blocks of about 4 MiB of output, so the sink sees few large pieces; each block's
      // rows are split between `threads` workers (quantization is row-independent).
      const std::int64_t block = std::max<std::int64_t>(1, std::int64_t((std::size_t{4} << 20) / out_row));
      std::vector<std::uint8_t> buf(out_row * std::size_t(std::min(block, n_rows)));
      const std::uint8_t* src = in.tensor_data(ti).data();
      for (std::int64_t r0 = 0; r0 < n_rows; r0 += block) {
        const std::int64_t nr = std::min(block, n_rows - r0);
        auto work = [&, r0](std::int64_t a, std::int64_t b) {
          std::vector<float> f(static_cast<std::size_t>(ne0));
          for (std::int64_t r = a; r < b; ++r) {
            kernels::dequantize_row(ti.type, src + std::size_t(r0 + r) * in_row, f.data(), ne0);
            kernels::quantize_row(to, f.data(), buf.data() + std::size_t(r) * out_row, ne0);
          }
        };
        const std::int64_t nt = std::min<std::int64_t>(n_threads, nr);
        std::vector<std::jthread> workers;
        for (std::int64_t t = 1; t < nt; ++t) workers.emplace_back(work, nr * t / nt, nr * (t + 1) / nt);
        work(0, nr / nt);
        workers.clear();  // joins
        sink(std::span<const std::uint8_t>(buf.data(), std::size_t(nr) * out_row));
      }
      report(out_row * std::uint64_t(n_rows));
    });
  }
  try {
    w.write_file(out);
  } catch (...) {
    std::filesystem::remove(out, ec);  // no half-written model left behind
    throw;
  }
  result.file_size = std::filesystem::file_size(out);
  return result;
}

}  // namespace slm::model
