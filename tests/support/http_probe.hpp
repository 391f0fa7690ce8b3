#pragma once
// A blocking HTTP/1.1 client for tests (one request per connection, a deadline, http only).

#include <chrono>
#include <map>
#include <string>

#include "kea_ha/core/result.hpp"

namespace kea_ha::testing {

struct HttpReply {
    unsigned status = 0;
    std::map<std::string, std::string> headers;  ///< lower-case names
    std::string body;
};

/// Sends `method target` to host:port with `body`; the whole exchange has `timeout`.
core::Result<HttpReply> http_request(const std::string& host, unsigned short port, const std::string& method,
                                     const std::string& target, const std::string& body = {},
                                     const std::map<std::string, std::string>& headers = {},
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// A TCP port on 127.0.0.1 that was free a moment ago.
unsigned short free_port(const std::string& address = "127.0.0.1");

}  // namespace kea_ha::testing
