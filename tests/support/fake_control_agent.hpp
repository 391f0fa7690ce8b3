#pragma once
// A fake Kea Control Agent for tests: a Beast HTTP server on 127.0.0.1 (port chosen by the
// kernel) with its own io_context on its own thread, so tests may block while it answers.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kea_ha::testing {

/// How the fake answers one request.
struct FakeReply {
    unsigned status = 200;
    std::string content_type = "application/json";   ///< empty: no Content-Type header
    std::string body;
    std::chrono::milliseconds delay{0};               ///< wait (a timer, not a sleep) before answering
    bool close_mid_body = false;   ///< send headers with a Content-Length larger than the body, then close
    bool reset = false;            ///< close the socket (RST) without answering
    bool close_after_answer = false;  ///< answer as keep-alive, then close anyway (an idle timeout)
    std::uint64_t chunked_huge = 0;///< >0: stream a chunked body of this many bytes (ignores `body`)

    /// 200, application/json, `body` dumped.
    static FakeReply json(const nlohmann::json& body, unsigned status = 200);
    /// `[{"result": result, "text": text, "arguments": arguments}]` (arguments omitted when null).
    static FakeReply answer(int result, const std::string& text, const nlohmann::json& arguments = nullptr);
};

/// One request as the fake received it.
struct RecordedRequest {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;   ///< lower-case names
    std::string body;
    nlohmann::json json;                          ///< the body parsed; null when it is not JSON
    std::string command;                          ///< json["command"] when a string
    std::optional<std::string> service;           ///< json["service"][0] when a string
    std::chrono::steady_clock::time_point received{};  ///< when the whole request had been read
};

/// Optional TLS: a self-signed certificate and key (PEM files).
struct FakeTls {
    std::string cert_file;
    std::string key_file;
};

class FakeControlAgent {
public:
    using Handler = std::function<FakeReply(const nlohmann::json& request)>;

    FakeControlAgent();
    explicit FakeControlAgent(std::optional<FakeTls> tls);
    ~FakeControlAgent();
    FakeControlAgent(const FakeControlAgent&) = delete;
    FakeControlAgent& operator=(const FakeControlAgent&) = delete;

    /// The handler for `command` (replaces an earlier one). Handlers run on the fake's thread.
    void on(const std::string& command, Handler handler);
    /// Same reply every time.
    void on(const std::string& command, FakeReply reply);
    /// The handler for commands without one; by default `[{"result":2,"text":"'X' command not supported."}]`.
    void set_default(Handler handler);

    unsigned short port() const;
    /// "http://127.0.0.1:PORT/" (https:// in TLS mode).
    std::string url() const;

    std::vector<RecordedRequest> requests() const;
    std::size_t request_count() const;
    /// TCP connections accepted so far.
    std::size_t connection_count() const;
    void clear_requests();

    /// Stops serving (also done by the destructor); never waits for delayed handlers.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Writes a self-signed certificate for 127.0.0.1 / localhost into `directory` with the openssl CLI.
/// Returns nullopt when that fails.
std::optional<FakeTls> make_self_signed_cert(const std::string& directory);

}  // namespace kea_ha::testing
