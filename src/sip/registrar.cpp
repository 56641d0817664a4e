#include "sip/registrar.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sip/headers.hpp"
#include "sip/syntax.hpp"
#include "sip/uri.hpp"

namespace sb::sip {

namespace {

std::string_view outcomeName(AuthOutcome outcome) {
  switch (outcome) {
    case AuthOutcome::kChallenged:
      return "challenged";
    case AuthOutcome::kStale:
      return "stale";
    case AuthOutcome::kForbidden:
      return "forbidden";
    case AuthOutcome::kBad:
      return "bad";
    case AuthOutcome::kOk:
      break;
  }
  return "ok";
}

}  // namespace

Registrar::Registrar(SipCore& core, Timers& timers, const Clock& wall,
                     CredentialSource& credentials, Guard& guard, RegistrarOptions options,
                     MetricsRegistry& metrics)
    : core_(core),
      timers_(timers),
      wall_(wall),
      options_(std::move(options)),
      metrics_(metrics),
      auth_(core, wall, credentials, guard, AuthOptions{options_.realm, options_.algorithms}) {
  metrics_.gauge("sb_sip_registrations", "Registered contacts of agent phones.", [this] {
    std::size_t n = 0;
    for (const auto& [aor, entries] : bindings_)
      n += entries.size();
    return static_cast<double>(n);
  });
}

void Registrar::count(std::string_view result) {
  outcomes_.add(result);
}

void Registrar::handle(ServerTxId tx, const Message& request, const Peer& from) {
  const auto& to = request.to();
  if (!to || !to->uri.isSip() || to->uri.user.empty()) {
    core_.respond(tx, 400, "To Must Be A SIP URI With A User");
    count("bad");
    return;
  }
  auto aor = unescape(to->uri.user);
  if (!aor) {
    core_.respond(tx, 400, "Malformed User In To");
    count("bad");
    return;
  }
  auth_.authenticate(
      tx, request, from, AuthScheme::kWww, *aor,
      [this, tx, from, aor = *aor](const Message& req) { authenticated(tx, req, from, aor); },
      [this](AuthOutcome outcome) {
        if (outcome != AuthOutcome::kOk) count(outcomeName(outcome));
      });
}

void Registrar::authenticated(ServerTxId tx, const Message& request, const Peer& from,
                              const std::string& aor) {
  auto contacts = request.headerValues(HeaderId::kContact);
  std::optional<std::uint32_t> headerExpires;
  if (auto e = request.header(HeaderId::kExpires)) headerExpires = parseNumber(*e, 0xffffffff);
  auto callId = std::string(request.header(HeaderId::kCallId).value_or(""));
  bool changed = false;

  if (contacts.size() == 1 && contacts[0] == "*") {
    if (headerExpires != 0U) {
      core_.respond(tx, 400, "Wildcard Contact Needs Expires 0");
      count("bad");
      return;
    }
    for (const auto& entry : bindingsOf(aor))
      remove(aor, entry.contact);
    changed = true;
  } else {
    for (auto c : contacts) {
      if (c == "*") {
        core_.respond(tx, 400, "Wildcard Contact Must Stand Alone");
        count("bad");
        return;
      }
    }
    // Validate all contacts first: a REGISTER is applied whole or not at all.
    struct Update {
      std::string contact;
      std::uint32_t expires;
    };
    std::vector<Update> updates;
    for (auto c : contacts) {
      auto addr = parseNameAddr(c);
      if (!addr) {
        core_.respond(tx, 400, "Malformed Contact");
        count("bad");
        return;
      }
      std::uint32_t expires = static_cast<std::uint32_t>(options_.defaultExpires.count());
      if (auto p = findParam(addr->params, "expires")) {
        expires = parseNumber(*p, 0xffffffff).value_or(expires);
      } else if (headerExpires) {
        expires = *headerExpires;
      }
      if (expires > 0 && expires < options_.minExpires.count()) {
        core_.respond(tx, 423, {}, [&](MessageBuilder& b) {
          b.header(HeaderId::kMinExpires, std::to_string(options_.minExpires.count()));
        });
        count("too_brief");
        return;
      }
      expires =
          std::min<std::uint32_t>(expires, static_cast<std::uint32_t>(options_.maxExpires.count()));
      updates.push_back({std::string(addr->uriText), expires});
    }
    for (const auto& u : updates) {
      changed = true;
      if (u.expires == 0) {
        remove(aor, u.contact);
        continue;
      }
      auto& entries = bindings_[aor];
      auto it = std::find_if(entries.begin(), entries.end(),
                             [&](const Entry& e) { return e.binding.contact == u.contact; });
      if (it == entries.end()) {
        if (entries.size() >= options_.maxContactsPerUser) {
          // The oldest registration gives way: phones that vanished without unregistering.
          timers_.cancel(entries.front().expiry);
          entries.erase(entries.begin());
        }
        entries.push_back({});
        it = std::prev(entries.end());
        it->binding.registeredAt = wall_.now();
      }
      timers_.cancel(it->expiry);
      it->binding.aor = aor;
      it->binding.contact = u.contact;
      it->binding.source = from;
      it->binding.callId = callId;
      it->binding.userAgent = std::string(request.header(HeaderId::kUserAgent).value_or(""));
      it->binding.expiresAt = wall_.now() + u.expires;
      it->expiry = timers_.start(std::chrono::seconds(u.expires), [this, aor, contact = u.contact] {
        spdlog::info("sip registration expired aor={} contact={}", aor, contact);
        remove(aor, contact);
        if (listener_) listener_(aor);
      });
    }
  }

  auto now = wall_.now();
  auto current = bindingsOf(aor);
  core_.respond(tx, 200, {}, [&](MessageBuilder& b) {
    for (const auto& binding : current) {
      b.header(HeaderId::kContact, fmt::format("<{}>;expires={}", binding.contact,
                                               std::max<UnixSeconds>(0, binding.expiresAt - now)));
    }
    b.header(HeaderId::kDate, formatIso8601(now));
  });
  count("ok");
  if (changed) {
    spdlog::debug("sip registered aor={} contacts={} from={}", aor, current.size(),
                  describePeer(from));
    if (listener_) listener_(aor);
  }
}

void Registrar::remove(const std::string& aor, const std::string& contact) {
  auto it = bindings_.find(aor);
  if (it == bindings_.end()) return;
  auto& entries = it->second;
  for (auto e = entries.begin(); e != entries.end(); ++e) {
    if (e->binding.contact == contact) {
      timers_.cancel(e->expiry);
      entries.erase(e);
      break;
    }
  }
  if (entries.empty()) bindings_.erase(it);
}

std::vector<Binding> Registrar::bindings() const {
  std::vector<Binding> out;
  for (const auto& [aor, entries] : bindings_) {
    for (const auto& e : entries)
      out.push_back(e.binding);
  }
  return out;
}

std::vector<Binding> Registrar::bindingsOf(const std::string& aor) const {
  std::vector<Binding> out;
  if (auto it = bindings_.find(aor); it != bindings_.end()) {
    for (const auto& e : it->second)
      out.push_back(e.binding);
  }
  return out;
}

}  // namespace sb::sip
