#include "api/api_service.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/static_files.hpp"
#include "api/views.hpp"
#include "auth/passwords.hpp"
#include "auth/tokens.hpp"
#include "core/logging.hpp"
#include "core/text.hpp"

namespace sb::api {

namespace json = boost::json;

namespace {

Response jsonResponse(int status, const json::value& value) {
  return Response::json(status, json::serialize(value));
}

Response unauthenticated(std::string_view message) {
  auto r = errorResponse(401, "unauthenticated", message);
  r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"switchboard\"");
  return r;
}

// "Bearer <token>" with the scheme in any case; empty when absent or another scheme.
std::string_view bearerToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return {};
  }
  header.remove_prefix(kScheme.size());
  while (!header.empty() && header.front() == ' ')
    header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ')
    header.remove_suffix(1);
  return header;
}

// Supervisors and administrators see every call; anyone else only the calls they answered.
bool seesAllCalls(const store::User& user) {
  return user.roles.has(store::Role::kSupervisor) || user.roles.has(store::Role::kAdmin);
}

constexpr std::size_t kMaxCallIdLength = 128;

std::int64_t idParam(const Request& request) {
  return std::stoll(std::string(request.param("id")));  // the router admits digits only
}

// Looks up skill groups named by id or name; the error names the entry at fault.
Result<std::vector<store::SkillAssignment>> resolveSkills(store::Store& store,
                                                          const std::vector<SkillRef>& refs) {
  std::vector<store::SkillAssignment> out;
  for (std::size_t i = 0; i < refs.size(); ++i) {
    const auto& ref = refs[i];
    std::optional<store::SkillGroup> group;
    if (ref.id) {
      group = store.skillGroups().findById(*ref.id);
      if (!group) {
        return Error::invalid(fmt::format("skill_groups[{}].id", i),
                              fmt::format("no skill group with id {}", *ref.id));
      }
      if (ref.name && *ref.name != group->name) {
        return Error::invalid(fmt::format("skill_groups[{}].name", i),
                              fmt::format("skill group {} is named \"{}\"", *ref.id, group->name));
      }
    } else {
      group = store.skillGroups().findByName(*ref.name);
      if (!group) {
        return Error::invalid(fmt::format("skill_groups[{}].name", i),
                              fmt::format("no skill group named \"{}\"", *ref.name));
      }
    }
    out.push_back({group->id, ref.level});
  }
  return out;
}

}  // namespace

ApiService::ApiService(Deps deps)
    : deps_(deps),
      policy_{deps.config.minPasswordLength},
      started_(std::chrono::steady_clock::now()),
      signIns_(auth::SignInLimits{deps.config.maxFailedSignIns,
                                  deps.config.maxFailedSignInsPerAddress,
                                  deps.config.signInLockout}),
      loginsOk_(deps.metrics.counter("sb_auth_logins_total", "Web sign-in attempts by result.",
                                     {{"result", "ok"}})),
      loginsFailed_(deps.metrics.counter("sb_auth_logins_total", "Web sign-in attempts by result.",
                                         {{"result", "failed"}})),
      loginsThrottled_(deps.metrics.counter(
          "sb_auth_logins_total", "Web sign-in attempts by result.", {{"result", "throttled"}})) {
  route("GET", "/healthz", Access::kPublic, &ApiService::healthz);
  route("GET", "/metrics", Access::kPublic, &ApiService::metrics);
  route("POST", "/api/v1/auth/login", Access::kPublic, &ApiService::login);
  route("POST", "/api/v1/auth/logout", Access::kSignedIn, &ApiService::logout);
  route("GET", "/api/v1/me", Access::kSignedIn, &ApiService::me);
  route("POST", "/api/v1/me/password", Access::kSignedIn, &ApiService::changePassword);
  route("GET", "/api/v1/users", Access::kAdmin, &ApiService::listUsers);
  route("POST", "/api/v1/users", Access::kAdmin, &ApiService::createUser);
  route("GET", "/api/v1/users/{id}", Access::kAdmin, &ApiService::getUser);
  route("PATCH", "/api/v1/users/{id}", Access::kAdmin, &ApiService::patchUser);
  route("DELETE", "/api/v1/users/{id}", Access::kAdmin, &ApiService::deleteUser);
  route("GET", "/api/v1/skill-groups", Access::kSignedIn, &ApiService::listSkillGroups);
  route("POST", "/api/v1/skill-groups", Access::kAdmin, &ApiService::createSkillGroup);
  route("GET", "/api/v1/registrations", Access::kSupervisor, &ApiService::listRegistrations);
  route("GET", "/api/v1/sip/bans", Access::kSupervisor, &ApiService::listBans);
  route("DELETE", "/api/v1/sip/bans/{address}", Access::kAdmin, &ApiService::deleteBan);
  route("GET", "/api/v1/sip/trunks", Access::kSupervisor, &ApiService::listTrunks);
  route("POST", "/api/v1/agent/signin", Access::kSignedIn, &ApiService::agentSignIn);
  route("POST", "/api/v1/agent/signout", Access::kSignedIn, &ApiService::agentSignOut);
  route("POST", "/api/v1/agent/state", Access::kSignedIn, &ApiService::agentSetState);
  route("POST", "/api/v1/agent/reset", Access::kSignedIn, &ApiService::agentReset);
  route("GET", "/api/v1/agents", Access::kSupervisor, &ApiService::listAgents);
  route("POST", "/api/v1/agents/{agent}/reset", Access::kSupervisor, &ApiService::resetAgent);
  route("GET", "/api/v1/queues", Access::kSupervisor, &ApiService::listQueues);
  // Call ids are ours but not numbers, hence {call} rather than {id}.
  route("GET", "/api/v1/calls", Access::kSignedIn, &ApiService::listCalls);
  route("GET", "/api/v1/calls/{call}", Access::kSignedIn, &ApiService::getCall);
  route("GET", "/api/v1/calls/{call}/recording", Access::kSignedIn, &ApiService::getCallRecording);
  route("GET", "/api/v1/calls/{call}/voicemail", Access::kSignedIn, &ApiService::getCallVoicemail);

  deps_.metrics.gauge("sb_uptime_seconds", "Seconds since the server started.", [this] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  });
}

void ApiService::route(const char* method, const char* pattern, Access access, Handler handler) {
  router_.add(method, pattern, static_cast<int>(routes_.size()));
  routes_.push_back({access, handler});
}

asio::awaitable<Response> ApiService::handle(Request& request) {
  try {
    co_return co_await dispatch(request);
  } catch (const std::exception& e) {
    spdlog::error("request failed method={} path=\"{}\" error=\"{}\"", request.method,
                  loggable(request.path, 200), e.what());
  }
  co_return errorResponse(500, "internal", "the server could not complete the request");
}

asio::awaitable<Response> ApiService::dispatch(Request& request) {
  auto match = router_.match(request.method, request.path);
  if (match.kind == Router::Match::Kind::kNoPath) {
    if (request.path.starts_with("/api/")) {
      co_return errorResponse(404, "not_found", fmt::format("no API endpoint {}", request.path));
    }
    if (request.method != "GET" && request.method != "HEAD") {
      auto r = errorResponse(405, "method_not_allowed",
                             fmt::format("{} is not allowed on {}", request.method, request.path));
      r.headers.emplace_back("Allow", "GET, HEAD");
      co_return r;
    }
    co_return co_await serveStatic(request);
  }
  if (match.kind == Router::Match::Kind::kWrongMethod) {
    auto r = errorResponse(405, "method_not_allowed",
                           fmt::format("{} is not allowed on {}; allowed: {}", request.method,
                                       request.path, match.allow));
    r.headers.emplace_back("Allow", match.allow);
    co_return r;
  }
  request.params = std::move(match.params);
  const Route& route = routes_[static_cast<std::size_t>(match.route)];
  if (route.access == Access::kPublic) co_return co_await (this->*route.handler)(request, nullptr);

  if (bearerToken(request.authorization).empty()) {
    co_return unauthenticated("sign in first: send Authorization: Bearer <token>");
  }
  auto caller = co_await authenticate(request);
  if (!caller) co_return unauthenticated("the token is invalid or has expired; sign in again");
  if (route.access == Access::kAdmin && !caller->user.roles.has(store::Role::kAdmin)) {
    co_return errorResponse(403, "forbidden", "this needs the admin role");
  }
  if (route.access == Access::kSupervisor && !caller->user.roles.has(store::Role::kAdmin) &&
      !caller->user.roles.has(store::Role::kSupervisor)) {
    co_return errorResponse(403, "forbidden", "this needs the supervisor or admin role");
  }
  co_return co_await (this->*route.handler)(request, &*caller);
}

asio::awaitable<std::optional<ApiService::Caller>> ApiService::authenticate(
    const Request& request) {
  std::string hash = auth::hashToken(bearerToken(request.authorization));
  auto now = deps_.clock.now();
  auto user = co_await inStore([&](store::Store& s) -> std::optional<store::User> {
    auto userId = s.tokens().findUser(hash, now);
    if (!userId) return std::nullopt;
    return s.users().findById(*userId);
  });
  if (!user) co_return std::nullopt;
  co_return Caller{std::move(*user), std::move(hash)};
}

asio::awaitable<std::string> ApiService::hashPassword(std::string password) {
  co_return co_await runOn(deps_.blockingPool, [&] { return auth::hashPassword(password); });
}

asio::awaitable<Response> ApiService::serveStatic(Request& request) {
  auto file = resolveStaticPath(deps_.config.staticDir, request.path);
  if (!file) co_return errorResponse(400, "bad_request", "malformed path");
  auto content = co_await runOn(deps_.blockingPool, [&] { return readRegularFile(*file); });
  if (!content) co_return errorResponse(404, "not_found", fmt::format("no page {}", request.path));
  Response r{200, std::move(*content), std::string(mimeTypeFor(*file)), {}};
  co_return r;
}

asio::awaitable<Response> ApiService::healthz(Request&, Caller*) {
  // A round trip through the store thread: a wedged database makes the server unhealthy.
  int version = co_await inStore([](store::Store& s) { return s.schemaVersion(); });
  co_return jsonResponse(
      200, json::object{{"status", "ok"}, {"version", SB_VERSION}, {"schema_version", version}});
}

asio::awaitable<Response> ApiService::metrics(Request&, Caller*) {
  Response r{200, deps_.metrics.renderPrometheus(), "text/plain; version=0.0.4; charset=utf-8", {}};
  co_return r;
}

asio::awaitable<Response> ApiService::login(Request& request, Caller*) {
  auto login = decodeLogin(request.body);
  if (!login) co_return errorResponse(login.error());

  const auto& address = request.remoteAddress;
  if (auto wait = signIns_.admit(login->username, address, deps_.clock.now()); wait > 0) {
    loginsThrottled_.add();
    spdlog::info("sign-in refused username=\"{}\" remote={}: too many failures",
                 loggable(login->username), address);
    auto refused = errorResponse(429, "too_many_attempts",
                                 fmt::format("too many failed sign-ins: try again in {} s", wait));
    refused.headers.emplace_back("Retry-After", std::to_string(wait));
    co_return refused;
  }
  // Settled below; a fault on the way (the store failing) leaves the attempt undecided.
  struct Undecided {
    auth::SignInGuard& guard;
    const std::string& username;
    const std::string& address;
    bool settled = false;
    ~Undecided() {
      if (!settled) guard.abandoned(username, address);
    }
  } attempt{signIns_, login->username, address};

  auto user =
      co_await inStore([&](store::Store& s) { return s.users().findByUsername(login->username); });
  // Unknown users cost a hash check too, so timing does not tell which user names exist.
  std::string hash = user ? user->passwordHash : auth::decoyHash();
  bool verified = co_await runOn(deps_.blockingPool,
                                 [&] { return auth::verifyPassword(login->password, hash); });
  attempt.settled = true;
  if (!user || !verified) {
    signIns_.failed(login->username, address, deps_.clock.now());
    loginsFailed_.add();
    spdlog::info("sign-in failed username=\"{}\" remote={}", loggable(login->username),
                 request.remoteAddress);
    co_return errorResponse(401, "invalid_credentials", "wrong username or password");
  }

  signIns_.succeeded(login->username, address);
  std::string token = auth::newBearerToken();
  auto now = deps_.clock.now();
  auto expires = now + deps_.config.tokenTtl.count();
  std::string tokenHash = auth::hashToken(token);
  co_await inStore([&](store::Store& s) {
    s.tokens().purgeExpired(now);
    s.tokens().create(tokenHash, user->id, now, expires);
  });
  loginsOk_.add();
  spdlog::info("signed in user={} remote={}", user->username, request.remoteAddress);
  co_return jsonResponse(200, json::object{{"token", token},
                                           {"token_type", "Bearer"},
                                           {"expires_at", formatIso8601(expires)},
                                           {"user", userView(*user, Secrets::kShow)}});
}

asio::awaitable<Response> ApiService::logout(Request&, Caller* caller) {
  co_await inStore([&](store::Store& s) { s.tokens().revoke(caller->tokenHash); });
  co_return Response::noContent();
}

asio::awaitable<Response> ApiService::me(Request&, Caller* caller) {
  co_return jsonResponse(200, userView(caller->user, Secrets::kShow));
}

asio::awaitable<Response> ApiService::changePassword(Request& request, Caller* caller) {
  auto change = decodePasswordChange(request.body, policy_);
  if (!change) co_return errorResponse(change.error());
  bool verified = co_await runOn(deps_.blockingPool, [&] {
    return auth::verifyPassword(change->oldPassword, caller->user.passwordHash);
  });
  if (!verified) {
    co_return errorResponse(
        Error::invalid("old_password", "old_password is not the current password"));
  }
  std::string hash = co_await hashPassword(change->newPassword);
  auto now = deps_.clock.now();
  co_await inStore([&](store::Store& s) {
    store::UserPatch patch;
    patch.passwordHash = hash;
    auto updated = s.users().update(caller->user.id, patch, now);
    // Other sessions signed in with the old password end; this one stays.
    if (updated) s.tokens().revokeAllForUser(caller->user.id, caller->tokenHash);
  });
  spdlog::info("password changed user={}", caller->user.username);
  co_return Response::noContent();
}

asio::awaitable<Response> ApiService::listUsers(Request&, Caller*) {
  auto users = co_await inStore([](store::Store& s) { return s.users().list(); });
  json::array out;
  for (const auto& u : users)
    out.push_back(userView(u));
  co_return jsonResponse(200, json::object{{"users", std::move(out)}});
}

asio::awaitable<Response> ApiService::createUser(Request& request, Caller* caller) {
  auto create = decodeUserCreate(request.body, policy_);
  if (!create) co_return errorResponse(create.error());
  std::string hash = co_await hashPassword(create->password);
  auto now = deps_.clock.now();
  auto result = co_await inStore([&](store::Store& s) -> Result<store::User> {
    auto skills = resolveSkills(s, create->skills);
    if (!skills) return skills.error();
    store::NewUser user{create->username,
                        create->name,
                        hash,
                        create->sipPassword.value_or(auth::randomSecret(12)),
                        create->roles,
                        create->settings.applyTo({}),
                        std::move(*skills)};
    return s.users().create(user, now);
  });
  if (!result) co_return errorResponse(result.error());
  spdlog::info("user created user={} by={}", result->username, caller->user.username);
  auto r = jsonResponse(201, userView(*result, Secrets::kShow));
  r.headers.emplace_back("Location", fmt::format("/api/v1/users/{}", result->id));
  co_return r;
}

asio::awaitable<Response> ApiService::getUser(Request& request, Caller*) {
  auto id = idParam(request);
  auto user = co_await inStore([id](store::Store& s) { return s.users().findById(id); });
  if (!user) co_return errorResponse(Error::notFound(fmt::format("no user with id {}", id)));
  co_return jsonResponse(200, userView(*user, Secrets::kShow));
}

asio::awaitable<Response> ApiService::patchUser(Request& request, Caller* caller) {
  auto id = idParam(request);
  auto patch = decodeUserPatch(request.body, policy_);
  if (!patch) co_return errorResponse(patch.error());
  std::optional<std::string> hash;
  if (patch->password) hash = co_await hashPassword(*patch->password);
  auto now = deps_.clock.now();
  auto result = co_await inStore([&](store::Store& s) -> Result<store::User> {
    auto existing = s.users().findById(id);
    if (!existing) return Error::notFound(fmt::format("no user with id {}", id));
    if (patch->roles && existing->roles.has(store::Role::kAdmin) &&
        !patch->roles->has(store::Role::kAdmin) &&
        s.users().countWithRole(store::Role::kAdmin) <= 1) {
      return Error::conflict("the last administrator cannot lose the admin role");
    }
    store::UserPatch update;
    update.name = patch->name;
    update.passwordHash = hash;
    update.sipPassword = patch->sipPassword;
    update.roles = patch->roles;
    if (patch->settings) update.settings = patch->settings->applyTo(existing->settings);
    if (patch->skills) {
      auto skills = resolveSkills(s, *patch->skills);
      if (!skills) return skills.error();
      update.skills = std::move(*skills);
    }
    auto updated = s.users().update(id, update, now);
    // A password reset by an administrator signs the user out everywhere.
    if (updated && hash) s.tokens().revokeAllForUser(id);
    return updated;
  });
  if (!result) co_return errorResponse(result.error());
  spdlog::info("user updated user={} by={}", result->username, caller->user.username);
  co_return jsonResponse(200, userView(*result, Secrets::kShow));
}

asio::awaitable<Response> ApiService::deleteUser(Request& request, Caller* caller) {
  auto id = idParam(request);
  if (id == caller->user.id) {
    co_return errorResponse(Error::conflict("you cannot delete the user you are signed in as"));
  }
  auto result = co_await inStore([id](store::Store& s) { return s.users().remove(id); });
  if (!result) co_return errorResponse(result.error());
  spdlog::info("user deleted id={} by={}", id, caller->user.username);
  co_return Response::noContent();
}

asio::awaitable<Response> ApiService::listSkillGroups(Request&, Caller*) {
  auto groups = co_await inStore([](store::Store& s) { return s.skillGroups().list(); });
  json::array out;
  for (const auto& g : groups)
    out.push_back(skillGroupView(g));
  co_return jsonResponse(200, json::object{{"skill_groups", std::move(out)}});
}

asio::awaitable<Response> ApiService::createSkillGroup(Request& request, Caller*) {
  auto create = decodeSkillGroupCreate(request.body);
  if (!create) co_return errorResponse(create.error());
  auto now = deps_.clock.now();
  auto result =
      co_await inStore([&](store::Store& s) { return s.skillGroups().create(create->name, now); });
  if (!result) co_return errorResponse(result.error());
  auto r = jsonResponse(201, skillGroupView(*result));
  r.headers.emplace_back("Location", fmt::format("/api/v1/skill-groups/{}", result->id));
  co_return r;
}

asio::awaitable<Response> ApiService::listRegistrations(Request&, Caller*) {
  json::array out;
  if (deps_.telephony != nullptr) {
    for (const auto& r : deps_.telephony->registrations()) {
      out.push_back(json::object{{"user", r.user},
                                 {"contact", r.contact},
                                 {"transport", r.transport},
                                 {"address", r.address},
                                 {"port", r.port},
                                 {"user_agent", r.userAgent},
                                 {"registered_at", formatIso8601(r.registeredAt)},
                                 {"expires_at", formatIso8601(r.expiresAt)}});
    }
  }
  co_return jsonResponse(200, json::object{{"registrations", std::move(out)}});
}

asio::awaitable<Response> ApiService::listBans(Request&, Caller*) {
  json::array out;
  if (deps_.telephony != nullptr) {
    for (const auto& b : deps_.telephony->bans()) {
      out.push_back(json::object{{"address", b.address},
                                 {"since", formatIso8601(b.since)},
                                 {"until", formatIso8601(b.until)},
                                 {"failures", b.failures}});
    }
  }
  co_return jsonResponse(200, json::object{{"bans", std::move(out)}});
}

asio::awaitable<Response> ApiService::listTrunks(Request&, Caller*) {
  json::array out;
  if (deps_.telephony != nullptr) {
    for (const auto& t : deps_.telephony->trunks()) {
      json::array networks(t.inboundNetworks.begin(), t.inboundNetworks.end());
      json::array dids(t.dids.begin(), t.dids.end());
      out.push_back(json::object{{"name", t.name},
                                 {"host", t.host},
                                 {"inbound_networks", std::move(networks)},
                                 {"dids", std::move(dids)},
                                 {"registration", t.registration},
                                 {"last_error", t.lastError},
                                 {"registrar", t.registrar}});
    }
  }
  co_return jsonResponse(200, json::object{{"trunks", std::move(out)}});
}

namespace {

json::object agentStateJson(const AgentStateView& v, UnixSeconds now) {
  json::object o{{"agent", v.agent},
                 {"status", v.status},
                 {"activity", v.activity},
                 {"phone_registered", v.phoneRegistered}};
  o["break_reason"] = v.breakReason.empty() ? json::value(nullptr) : json::value(v.breakReason);
  o["requested_status"] =
      v.requestedStatus.empty() ? json::value(nullptr) : json::value(v.requestedStatus);
  o["mobile_number"] = v.mobileNumber.empty() ? json::value(nullptr) : json::value(v.mobileNumber);
  o["since"] = v.since == 0 ? json::value(nullptr) : json::value(formatIso8601(v.since));
  o["seconds_in_state"] = v.since == 0 ? 0 : std::max<UnixSeconds>(0, now - v.since);
  return o;
}

}  // namespace

Response ApiService::agentCommand(Caller& caller, AgentCommand command, const std::string& reason,
                                  const std::string& mobileNumber) {
  if (!caller.user.roles.has(store::Role::kAgent)) {
    return errorResponse(Error{ErrorCode::kPermissionDenied, "only agents sign in to the ACD", {}});
  }
  if (deps_.telephony == nullptr) {
    return errorResponse(Error::unavailable("the ACD is not running"));
  }
  AgentPreferences preferences;
  preferences.userId = caller.user.id;
  preferences.initialBusy = caller.user.settings.initialState == store::InitialAgentState::kBusy;
  preferences.autoReadyAfterAcw = caller.user.settings.autoReadyAfterAcw;
  preferences.autoAnswer = caller.user.settings.autoAnswer;
  preferences.autoRecord = caller.user.settings.autoRecord;
  preferences.mobileNumber =
      mobileNumber.empty() ? caller.user.settings.mobileNumber : mobileNumber;
  for (const auto& skill : caller.user.skills)
    preferences.skills.push_back({skill.groupId, skill.groupName, skill.level});
  auto state = deps_.telephony->agentCommand(caller.user.username, command, reason, preferences);
  if (!state) return errorResponse(state.error());
  return jsonResponse(200, agentStateJson(*state, deps_.clock.now()));
}

asio::awaitable<Response> ApiService::agentSignIn(Request&, Caller* caller) {
  co_return agentCommand(*caller, AgentCommand::kSignIn, {});
}

asio::awaitable<Response> ApiService::agentSignOut(Request&, Caller* caller) {
  co_return agentCommand(*caller, AgentCommand::kSignOut, {});
}

asio::awaitable<Response> ApiService::agentReset(Request&, Caller* caller) {
  co_return agentCommand(*caller, AgentCommand::kReset, {});
}

// 重置 by a supervisor: an agent stuck ringing or talking is brought back to the status it
// signs in with; a call it was offered goes back to its place in the queue.
asio::awaitable<Response> ApiService::resetAgent(Request& request, Caller* caller) {
  if (deps_.telephony == nullptr)
    co_return errorResponse(Error::unavailable("the ACD is not running"));
  auto agent = percentDecode(request.param("agent")).value_or("");
  auto state = deps_.telephony->agentCommand(agent, AgentCommand::kReset, {}, {});
  if (!state) co_return errorResponse(state.error());
  spdlog::info("agent {} reset by {}", loggable(agent), caller->user.username);
  co_return jsonResponse(200, agentStateJson(*state, deps_.clock.now()));
}

asio::awaitable<Response> ApiService::agentSetState(Request& request, Caller* caller) {
  auto decoded = decodeAgentState(request.body);
  if (!decoded) co_return errorResponse(decoded.error());
  auto command = decoded->state == "idle"     ? AgentCommand::kIdle
                 : decoded->state == "busy"   ? AgentCommand::kBusy
                 : decoded->state == "mobile" ? AgentCommand::kMobile
                                              : AgentCommand::kBreak;
  co_return agentCommand(*caller, command, decoded->reason, decoded->number);
}

asio::awaitable<Response> ApiService::listAgents(Request&, Caller*) {
  auto users = co_await inStore([](store::Store& s) { return s.users().list(); });
  auto now = deps_.clock.now();
  json::array out;
  for (const auto& u : users) {
    if (!u.roles.has(store::Role::kAgent)) continue;
    std::optional<AgentStateView> state;
    if (deps_.telephony != nullptr) state = deps_.telephony->agentState(u.username);
    AgentStateView view = state.value_or(AgentStateView{});
    view.agent = u.username;
    auto o = agentStateJson(view, now);
    o["name"] = u.name;
    out.push_back(std::move(o));
  }
  co_return jsonResponse(200, json::object{{"agents", std::move(out)}});
}

asio::awaitable<Response> ApiService::deleteBan(Request& request, Caller* caller) {
  auto address = percentDecode(request.param("address")).value_or("");
  if (deps_.telephony == nullptr || !deps_.telephony->unban(address)) {
    co_return errorResponse(Error::notFound(fmt::format("{} is not banned", loggable(address))));
  }
  spdlog::info("sip ban lifted address={} by={}", address, caller->user.username);
  co_return Response::noContent();
}

asio::awaitable<Response> ApiService::listQueues(Request&, Caller*) {
  json::array out;
  if (deps_.telephony != nullptr) {
    for (const auto& q : deps_.telephony->queues())
      out.push_back(queueStatsView(q));
  }
  co_return jsonResponse(200, json::object{{"queues", std::move(out)}});
}

asio::awaitable<Response> ApiService::listCalls(Request& request, Caller* caller) {
  auto decoded = decodeCallQuery(request.query);
  if (!decoded) co_return errorResponse(decoded.error());
  store::CallFilter filter = std::move(*decoded);
  if (!seesAllCalls(caller->user)) {
    if (filter.agent && *filter.agent != caller->user.username) {
      co_return errorResponse(Error{ErrorCode::kPermissionDenied,
                                    "agents see only their own calls; leave agent out", "agent"});
    }
    filter.agent = caller->user.username;
  }
  auto calls = co_await inStore([&](store::Store& s) { return s.calls().list(filter); });
  json::array out;
  for (const auto& c : calls)
    out.push_back(callRecordView(c));
  co_return jsonResponse(
      200,
      json::object{{"calls", std::move(out)}, {"limit", filter.limit}, {"offset", filter.offset}});
}

asio::awaitable<std::optional<store::CallRecord>> ApiService::visibleCall(const Request& request,
                                                                          const Caller& caller) {
  auto id = percentDecode(request.param("call"));
  if (!id || id->empty() || id->size() > kMaxCallIdLength) co_return std::nullopt;
  auto call = co_await inStore([&](store::Store& s) { return s.calls().findById(*id); });
  // Someone else's call is answered like an unknown one, so ids of other calls are not confirmed.
  if (call && !seesAllCalls(caller.user) && call->agent != caller.user.username) {
    co_return std::nullopt;
  }
  co_return call;
}

namespace {

Response noSuchCall(const Request& request) {
  return errorResponse(Error::notFound(
      fmt::format("no call {}", loggable(percentDecode(request.param("call")).value_or("")))));
}

}  // namespace

asio::awaitable<Response> ApiService::getCall(Request& request, Caller* caller) {
  auto call = co_await visibleCall(request, *caller);
  if (!call) co_return noSuchCall(request);
  co_return jsonResponse(200, callRecordView(*call, Legs::kShow));
}

asio::awaitable<Response> ApiService::getCallRecording(Request& request, Caller* caller) {
  co_return co_await callFile(request, *caller, "recording");
}

asio::awaitable<Response> ApiService::getCallVoicemail(Request& request, Caller* caller) {
  co_return co_await callFile(request, *caller, "voicemail");
}

asio::awaitable<Response> ApiService::callFile(Request& request, Caller& caller,
                                               std::string_view which) {
  auto call = co_await visibleCall(request, caller);
  if (!call) co_return noSuchCall(request);
  const std::string& stored = which == "recording" ? call->recording : call->voicemail;
  if (stored.empty()) {
    co_return errorResponse(Error::notFound(fmt::format("call {} has no {}", call->id, which)));
  }
  auto file = resolveDataFile(deps_.config.dataDir, stored);
  if (!file) {
    spdlog::warn("call file outside the data folder refused call={} {}=\"{}\"", call->id, which,
                 loggable(stored, 200));
    co_return errorResponse(Error::notFound(fmt::format("call {} has no {}", call->id, which)));
  }
  // Recordings run to tens of MB: opened off the control loop, then read as they are sent, and
  // only the range asked for.
  auto slice =
      co_await runOn(deps_.blockingPool, [&] { return openFileSlice(*file, request.range); });
  Response r;
  r.contentType = "audio/wav";
  r.headers.emplace_back("Accept-Ranges", "bytes");
  r.headers.emplace_back("Cache-Control", "private, no-store");
  switch (slice.outcome) {
    case FileSlice::Outcome::kMissing:
      spdlog::warn("call file missing call={} file=\"{}\"", call->id,
                   loggable(file->string(), 200));
      co_return errorResponse(
          Error::notFound(fmt::format("the {} of call {} is missing", which, call->id)));
    case FileSlice::Outcome::kUnsatisfiable: {
      auto refused = errorResponse(416, "range_not_satisfiable",
                                   fmt::format("the {} has {} bytes", which, slice.size));
      refused.headers.emplace_back("Accept-Ranges", "bytes");
      refused.headers.emplace_back("Content-Range", fmt::format("bytes */{}", slice.size));
      co_return refused;
    }
    case FileSlice::Outcome::kPartial:
      r.status = 206;
      r.headers.emplace_back("Content-Range", contentRange(slice.range, slice.size));
      break;
    case FileSlice::Outcome::kWhole:
      r.status = 200;
      break;
  }
  if (slice.body.length > 0) r.source = std::move(slice.body);
  co_return r;
}

}  // namespace sb::api
