#pragma once

#include <span>
#include <string_view>

namespace sb::store::sqlite {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

// Every schema change ever made, in order. Append; never edit a migration that has shipped.
std::span<const Migration> migrations();

}  // namespace sb::store::sqlite
