#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sb {

// Decodes %HH escapes (URLs, SIP URIs); nullopt for a malformed escape. Decoded NULs are kept:
// callers that cannot hold them check for them.
std::optional<std::string> percentDecode(std::string_view text);

}  // namespace sb
