#include "api/http_types.hpp"

#include <boost/json.hpp>

namespace sb::api {

std::string_view Request::param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return {};
}

Response Response::json(int status, std::string body) {
  return {status, std::move(body), "application/json", {}};
}

Response errorResponse(int status, std::string_view code, std::string_view message,
                       std::string_view field) {
  boost::json::object error{{"code", code}, {"message", message}};
  if (!field.empty()) error["field"] = field;
  return Response::json(status, boost::json::serialize(boost::json::object{{"error", error}}));
}

Response errorResponse(const Error& error) {
  int status = 500;
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
      status = 400;
      break;
    case ErrorCode::kUnauthenticated:
      status = 401;
      break;
    case ErrorCode::kPermissionDenied:
      status = 403;
      break;
    case ErrorCode::kNotFound:
      status = 404;
      break;
    case ErrorCode::kConflict:
      status = 409;
      break;
    case ErrorCode::kUnavailable:
      status = 503;
      break;
    case ErrorCode::kInternal:
      status = 500;
      break;
  }
  return errorResponse(status, errorCodeName(error.code), error.message, error.field);
}

}  // namespace sb::api
