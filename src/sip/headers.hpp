#pragma once
// Typed values of the headers the stack reads (RFC 3261 §20, grammar in §25). Results are views
// into the header text: keep the Message alive while using them.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "sip/header_types.hpp"
#include "sip/message.hpp"
#include "sip/uri.hpp"

namespace sb::sip {

// A header's ";name=value" parameters; the error names the malformed one (e.g. ";;").
Result<std::vector<Param>> parseParams(std::string_view text);
// A From, To, Contact or Route element (the types are in sip/header_types.hpp).
Result<NameAddr> parseNameAddr(std::string_view value);
// One via-parm.
Result<Via> parseVia(std::string_view value);
// The branch parameter of one via-parm, found without parsing the rest of it; empty when there
// is none. Enough to match a response to the request we sent.
std::string_view viaBranch(std::string_view value);
// The tag of a From or To value, found the same way: enough to match a message to a dialog.
std::string_view nameAddrTag(std::string_view value);

struct CSeq {
  std::uint32_t number = 0;
  std::string_view method;
};
Result<CSeq> parseCSeq(std::string_view value);

// A decimal number no larger than `max` (Max-Forwards, Expires, RSeq...).
std::optional<std::uint32_t> parseNumber(std::string_view value, std::uint32_t max);

// Splits a header value at top-level commas (not inside quoted strings or <...>); elements are
// trimmed and empty ones dropped.
ListItems splitList(std::string_view value);
// The first element of such a list, without splitting the rest.
std::optional<std::string_view> firstListItem(std::string_view value);

// Why a request cannot be processed at all, before any method-specific logic.
struct Rejection {
  int status;
  std::string_view reason;
};

// The checks every request must pass (RFC 3261 §8.2, §16.3): version (505), Request-URI scheme
// (416) and syntax, the mandatory headers present once each and well formed, CSeq matching the
// method, Max-Forwards and Expires in range (400). nullopt when the request is acceptable.
// A missing branch is acceptable: the transaction layer then matches as RFC 2543 did.
std::optional<Rejection> checkRequest(const Message& request);

// Responses failing these are dropped: Via, From, To, Call-ID and CSeq present and well formed.
bool isWellFormedResponse(const Message& response);

}  // namespace sb::sip
