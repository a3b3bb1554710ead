// Per-tensor type choice for Q4_K_M / Q8_0 / F16 / BF16 / F32 files (rules in quant_plan.hpp).
#include "model/quant_plan.hpp"

#include <cctype>

#include "kernels/kernels.hpp"
#include "slm/error.hpp"

namespace slm::model {
namespace {

using kernels::DType;

struct FileTypeName {
  FileType type;
  std::string_view name;
  DType default_type;  // what an ordinary converted tensor becomes
};
constexpr FileTypeName kFileTypes[] = {
    {FileType::Q4_K_M, "Q4_K_M", DType::Q4_K}, {FileType::Q8_0, "Q8_0", DType::Q8_0},
    {FileType::F16, "F16", DType::F16},        {FileType::BF16, "BF16", DType::BF16},
    {FileType::F32, "F32", DType::F32},
};

const FileTypeName& entry(FileType t) {
  for (const auto& e : kFileTypes)
    if (e.type == t) return e;
  throw Error(Error::Kind::Argument, "unknown file type " + std::to_string(static_cast<std::uint32_t>(t)));
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

// Categories as llama.cpp names them (checked in this order there too).
enum class Category { Output, TokenEmbd, AttnV, FfnDown, Other };

Category category_of(std::string_view name) {
  if (name == "output.weight") return Category::Output;
  if (name == "token_embd.weight") return Category::TokenEmbd;
  if (contains(name, "attn_qkv.weight") || contains(name, "attn_kv_b.weight") || contains(name, "attn_v.weight"))
    return Category::AttnV;
  if (contains(name, "ffn_down")) return Category::FfnDown;
  return Category::Other;
}

// Row length ne0 not a multiple of the block size: the next type that fits.
DType shape_fallback(DType t, std::int64_t ne0) {
  const auto block = [](DType x) { return kernels::dtype_info(x).block_elems; };
  if (ne0 % block(t) == 0) return t;
  DType f;
  switch (t) {
    case DType::Q4_K: f = DType::Q5_0; break;
    case DType::Q6_K: f = DType::Q8_0; break;
    default: f = DType::F16; break;             // Q8_0 / Q5_0 rows not a multiple of 32
  }
  return ne0 % block(f) == 0 ? f : DType::F16;
}

}  // namespace

std::optional<FileType> parse_file_type(std::string_view name) noexcept {
  for (const auto& e : kFileTypes) {
    if (e.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size() && same; ++i)
      same = std::toupper(static_cast<unsigned char>(name[i])) == e.name[i];
    if (same) return e.type;
  }
  return std::nullopt;
}

std::string_view file_type_name(FileType t) noexcept {
  for (const auto& e : kFileTypes)
    if (e.type == t) return e.name;
  return "?";
}

std::string file_type_names() {
  std::string s;
  for (const auto& e : kFileTypes) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}

bool is_convertible(std::string_view name, int n_dims) noexcept {
  return n_dims >= 2 && ends_with(name, "weight") && !contains(name, "_norm.weight");
}

std::vector<DType> plan_types(FileType file_type, std::span<const PlanInput> tensors, std::int64_t n_layer) {
  const DType base = entry(file_type).default_type;
  bool tied = true;  // until an output.weight shows up
  std::int64_t n_attn_v = 0;
  for (const PlanInput& t : tensors) {
    const Category c = category_of(t.name);
    if (c == Category::Output) tied = false;
    if (c == Category::AttnV) ++n_attn_v;
  }

  std::vector<DType> out;
  out.reserve(tensors.size());
  std::int64_t i_attn_v = 0, i_ffn_down = 0;
  for (const PlanInput& t : tensors) {
    if (!is_convertible(t.name, t.n_dims)) {
      out.push_back(t.type);
      continue;
    }
    DType type = base;
    if (file_type == FileType::Q4_K_M) {
      switch (category_of(t.name)) {
        case Category::Output:
          type = t.ne0 % 256 != 0 ? DType::Q8_0 : DType::Q6_K;
          break;
        case Category::TokenEmbd:
          if (tied) type = t.ne0 % 256 != 0 ? DType::Q8_0 : DType::Q6_K;
          break;
        case Category::AttnV:
          if (use_more_bits(i_attn_v, n_attn_v)) type = DType::Q6_K;
          ++i_attn_v;
          break;
        case Category::FfnDown:
          if (use_more_bits(i_ffn_down, n_layer)) type = DType::Q6_K;
          ++i_ffn_down;
          break;
        case Category::Other: break;
      }
    }
    type = shape_fallback(type, t.ne0);
    if (!kernels::can_quantize(type))
      throw Error(Error::Kind::Argument, "cannot quantize to " + std::string(kernels::dtype_name(type)), {},
                  std::string(t.name));
    out.push_back(type);
  }
  return out;
}

}  // namespace slm::model
