#pragma once
// The typed values of From, To, Contact, Route and Via (RFC 3261 §20, grammar in §25): views
// into the header text they were parsed from. headers.hpp parses them; a Message keeps its
// From, To and top Via parsed.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "sip/uri.hpp"

namespace sb::sip {

struct Param {
  std::string_view name;
  std::string_view value;  // quoted values keep their quotes
  bool hasValue = false;
};

std::optional<std::string_view> findParam(const std::vector<Param>& params, std::string_view name);

// The elements of a list header (Via, Contact, Route, ...), with inline room for the usual few.
using ListItems = boost::container::small_vector<std::string_view, 4>;

// From, To, Contact (one element), Route, Record-Route: name-addr or addr-spec with parameters.
struct NameAddr {
  std::string_view displayName;  // quotes removed, escapes kept
  std::string_view uriText;
  Uri uri;
  bool bracketed = false;
  std::vector<Param> params;

  std::string_view tag() const { return findParam(params, "tag").value_or(std::string_view()); }
};

// One via-parm.
struct Via {
  std::string_view transport;  // "UDP", "TCP", ... as written
  std::string_view host;
  std::optional<std::uint16_t> port;
  std::vector<Param> params;

  std::string_view branch() const {
    return findParam(params, "branch").value_or(std::string_view());
  }
  std::optional<std::string_view> received() const { return findParam(params, "received"); }
  // Present (possibly without a value) when the client asked for RFC 3581 symmetric responses.
  std::optional<std::string_view> rport() const { return findParam(params, "rport"); }
};

}  // namespace sb::sip
