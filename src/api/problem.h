// The one place where errors become HTTP: application/problem+json (RFC 9457).
//
// Body: {"type": "https://certseal.dev/problems/<code>", "title": <standard reason>,
//        "status": <int>, "detail": <Error::message>, "code": <Error::code>,
//        "request_id": <id>, "errors": [{field, code, detail}]?}
// Error::cause (SQL, OpenSSL text, file paths) is never put in a response; the dispatcher logs it.
#pragma once

#include <string_view>

#include "base/result.h"
#include "net/http.h"

namespace certseal::api {

int http_status_for(const Error& e);
std::string_view reason_phrase(int status);

net::Response problem_response(const Error& e, std::string_view request_id);
net::Response problem_response(int status, std::string_view code, std::string_view detail,
                               std::string_view request_id);

}  // namespace certseal::api
