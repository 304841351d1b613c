// SHA-256 (FIPS 180-4), for checking model files against their card. Small and dependency-free;
// not constant-time (it hashes public files, not secrets).
//
//   std::string hex = fecg::sha256_hex(bytes.data(), bytes.size());  // 64 lowercase hex digits
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace fecg {

std::array<std::uint8_t, 32> sha256(const std::uint8_t* data, std::size_t size);
std::string sha256_hex(const std::uint8_t* data, std::size_t size);

}  // namespace fecg
