// Fleet benchmark (issue 3, 11): one fake Control Agent process-side emulates 2×N Kea peers
// (N hot-standby pairs, each peer on its own 127.0.0.1 port, answers shaped like Kea 3.0.4's
// by default: version-get, status-get with system-time/clock-skew, so no ha-heartbeat; or
// like Kea 2.2's with --kea 2.2: no version-get, so the controller asks ha-heartbeat every 30 s),
// the real kea-ha-controller binary polls them every keaPollInterval. Reports the
// controller's CPU share of one core, its RSS, and poll lateness p50/p99 (measured here, from
// the arrival times of each peer's status-get), at several fleet sizes, as ratios against the
// issue's targets, against the idle controller (0 clusters) and against a transport floor (a
// bare client polling the same fleet the same way, answers dropped) measured in the same run.
//
// Run on demand: bench/run.sh fleet [--seconds N] [--sizes 10,100,500] (or build with
// -DKEA_HA_BENCH=ON and run fleet_bench). docs/performance.md describes the method and results.
// Traffic stays on 127.0.0.1; every phase is bounded in time.

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iterator>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "bench_support.hpp"
#include "kea_ha/core/poll_schedule.hpp"
#include "kea_ha/lab/kea_lab.hpp"
#include "support/controller_process.hpp"

namespace {

using kea_ha::bench::load_average;

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// One emulated peer: its port, its role in the pair, and when its status-gets arrived.
struct FakePeer {
    std::uint16_t port = 0;
    std::string name;      // server1 / server2
    std::string role;      // primary / standby
    std::size_t pair = 0;
    std::vector<Clock::time_point> arrivals;
    // Answers serialised once: the fake must cost as little CPU as possible, since it shares
    // the machine with the controller it measures.
    std::string status_get;                           // Kea 2.2: whole answer
    std::vector<std::string> status_parts;            // Kea 3.0: pieces around each system-time
    std::string heartbeat_prefix, heartbeat_suffix;  // around the HTTP date
    std::string config_get;                           // built on first use
};

/// The wall clock now, in UTC, formatted with strftime's `format`.
std::string utc_now(const char* format) {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[64];
    std::strftime(text, sizeof text, format, &tm);
    return text;
}

/// Kea 3.0's status-get `system-time`: "YYYY-MM-DD HH:MM:SS", UTC.
std::string system_time_now() { return utc_now("%Y-%m-%d %H:%M:%S"); }

/// Which Kea the fake agents emulate (`--kea 3.0`, the default, or `--kea 2.2`).
enum class KeaShape { V22, V30 };

/// ha-heartbeat's `date-time` (IMF-fixdate).
std::string http_date_now() { return utc_now("%a, %d %b %Y %H:%M:%S GMT"); }

/// The fleet: 2×pairs acceptors on one io_context thread.
class FakeFleet {
public:
    FakeFleet(std::size_t pairs, const nlohmann::json& config_template, KeaShape shape)
        : template_(config_template), shape_(shape) {
        for (std::size_t pair = 0; pair < pairs; ++pair) {
            for (int i = 0; i < 2; ++i) {
                auto acceptor = std::make_unique<tcp::acceptor>(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
                auto peer = std::make_unique<FakePeer>();
                peer->port = acceptor->local_endpoint().port();
                peer->name = i == 0 ? "server1" : "server2";
                peer->role = i == 0 ? "primary" : "standby";
                peer->pair = pair;
                peer->arrivals.reserve(4096);
                prepare_answers(*peer, peers_.size(), shape);
                peers_.push_back(std::move(peer));
                acceptors_.push_back(std::move(acceptor));
            }
        }
        for (std::size_t i = 0; i < acceptors_.size(); ++i) {
            net::co_spawn(io_, accept_loop(i), net::detached);
        }
        thread_ = std::thread([this] { io_.run(); });
    }
    ~FakeFleet() {
        io_.stop();
        thread_.join();
    }

    std::uint16_t port(std::size_t pair, int which) const { return peers_[pair * 2 + which]->port; }

    std::string url(std::size_t pair, int which) const {
        return "http://127.0.0.1:" + std::to_string(peers_[pair * 2 + which]->port) + "/";
    }

    /// Poll lateness samples (ms) for arrivals within [from, to): each interval minus `interval`.
    std::vector<double> lateness(Clock::time_point from, Clock::time_point to, std::chrono::milliseconds interval) {
        std::lock_guard lock(mutex_);
        std::vector<double> out;
        for (const auto& peer : peers_) {
            const auto& a = peer->arrivals;
            for (std::size_t k = 1; k < a.size(); ++k) {
                if (a[k] < from || a[k] >= to) continue;
                const double gap = std::chrono::duration<double, std::milli>(a[k] - a[k - 1]).count();
                out.push_back(std::max(0.0, gap - static_cast<double>(interval.count())));
            }
        }
        return out;
    }

    std::size_t requests() const { return requests_.load(); }

    /// Kea 2.2's agent when dhcp4 is stopped behind it (kea-2.2-facts.md).
    static constexpr const char* kOffline =
        R"([{"result":1,"text":"unable to forward command to the dhcp4 service: No such file or directory. )"
        R"(The server is likely to be offline"}])";

    /// Dark: every agent answers that its DHCP daemon does not respond (Kea's CA answer when the
    /// daemon's control socket is gone): every peer of every cluster unreachable at once.
    void set_dark(bool dark) { dark_ = dark; }

private:
    /// status-get / ha-heartbeat answers of a healthy hot-standby peer, shaped like Kea 2.2 or
    /// Kea 3.0.4 (kea-versions-facts.md: 3.0 adds `dhcp-state`, `server-name`, `system-time`,
    /// `clock-skew`). In hot-standby the primary serves scope "server1" and the standby none.
    static void prepare_answers(FakePeer& peer, std::size_t index, KeaShape shape) {
        const bool primary = peer.role == "primary";
        const std::string partner_role = primary ? "standby" : "primary";
        const nlohmann::json own_scopes = primary ? nlohmann::json::array({"server1"}) : nlohmann::json::array();
        const nlohmann::json partner_scopes = primary ? nlohmann::json::array() : nlohmann::json::array({"server1"});
        nlohmann::json local = {{"role", peer.role}, {"scopes", own_scopes}, {"state", "hot-standby"}};
        nlohmann::json remote = {{"age", 0},
                                 {"analyzed-packets", 0},
                                 {"communication-interrupted", false},
                                 {"connecting-clients", 0},
                                 {"in-touch", true},
                                 {"last-scopes", partner_scopes},
                                 {"last-state", "hot-standby"},
                                 {"role", partner_role},
                                 {"unacked-clients", 0},
                                 {"unacked-clients-left", 0}};
        const std::string marker = "@DATE@";
        const std::string partner_name = primary ? "server2" : "server1";
        if (shape == KeaShape::V30) {
            local["server-name"] = peer.name;
            local["system-time"] = marker;
            remote["server-name"] = partner_name;
            remote["system-time"] = marker;
            remote["clock-skew"] = 0;
        }
        nlohmann::json relationship = {{"ha-mode", "hot-standby"},
                                       {"ha-servers", {{"local", local}, {"remote", remote}}}};
        nlohmann::json arguments = {{"high-availability", nlohmann::json::array({relationship})},
                                    {"multi-threading-enabled", false},
                                    {"pid", 1000 + index},
                                    {"reload", 100},
                                    {"sockets", {{"status", "ready"}}},
                                    {"uptime", 100}};
        if (shape == KeaShape::V30) {
            arguments["dhcp-state"] = {{"disabled-by-db-connection", nlohmann::json::array()},
                                       {"disabled-by-local-command", nlohmann::json::array()},
                                       {"disabled-by-remote-command", nlohmann::json::array()},
                                       {"disabled-by-user", false},
                                       {"globally-disabled", false}};
        }
        const std::string status = nlohmann::json::array({{{"result", 0}, {"arguments", arguments}}}).dump();
        if (shape == KeaShape::V30) {
            for (std::size_t from = 0;;) {
                const auto at = status.find(marker, from);
                peer.status_parts.push_back(status.substr(from, at == std::string::npos ? std::string::npos : at - from));
                if (at == std::string::npos) break;
                from = at + marker.size();
            }
        } else {
            peer.status_get = status;
        }
        // {"arguments":{"date-time":"…","scopes":[…],"state":"hot-standby","unsent-update-count":0},…}
        nlohmann::json heartbeat = nlohmann::json::array({{{"result", 0},
                                                           {"text", "HA peer status returned."},
                                                           {"arguments",
                                                            {{"date-time", marker},
                                                             {"scopes", own_scopes},
                                                             {"state", "hot-standby"},
                                                             {"unsent-update-count", 0}}}}});
        const std::string text = heartbeat.dump();
        const auto at = text.find(marker);
        peer.heartbeat_prefix = text.substr(0, at);
        peer.heartbeat_suffix = text.substr(at + marker.size());
    }

    net::awaitable<void> accept_loop(std::size_t index) {
        for (;;) {
            boost::system::error_code ec;
            tcp::socket socket = co_await acceptors_[index]->async_accept(net::redirect_error(net::use_awaitable, ec));
            if (ec) co_return;
            net::co_spawn(io_, session(std::move(socket), index), net::detached);
        }
    }

    net::awaitable<void> session(tcp::socket socket, std::size_t index) {
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        for (;;) {
            http::request<http::string_body> request;
            boost::system::error_code ec;
            stream.expires_after(30s);
            co_await http::async_read(stream, buffer, request, net::redirect_error(net::use_awaitable, ec));
            if (ec) co_return;
            http::response<http::string_body> response{http::status::ok, request.version()};
            response.set(http::field::content_type, "application/json");
            response.keep_alive(request.keep_alive());
            response.body() = answer(request.body(), index);
            response.prepare_payload();
            co_await http::async_write(stream, response, net::redirect_error(net::use_awaitable, ec));
            if (ec || !response.keep_alive()) {
                stream.socket().shutdown(tcp::socket::shutdown_send, ec);
                co_return;
            }
        }
    }

    std::string answer(const std::string& body, std::size_t index) {
        ++requests_;
        const auto parsed = nlohmann::json::parse(body, nullptr, false);
        const std::string command = parsed.is_object() ? parsed.value("command", "") : "";
        auto& peer = *peers_[index];
        if (command == "status-get") {
            {
                std::lock_guard lock(mutex_);
                peer.arrivals.push_back(Clock::now());
            }
            if (dark_) {
                return kOffline;
            }
            if (peer.status_parts.empty()) return peer.status_get;
            const std::string now = system_time_now();
            std::string text = peer.status_parts[0];
            for (std::size_t k = 1; k < peer.status_parts.size(); ++k) text += now + peer.status_parts[k];
            return text;
        }
        if (dark_) return kOffline;
        if (command == "version-get" && shape_ == KeaShape::V30) {
            return R"([{"result":0,"text":"3.0.4","arguments":{"extended":"3.0.4"}}])";
        }
        if (command == "ha-heartbeat") return peer.heartbeat_prefix + http_date_now() + peer.heartbeat_suffix;
        if (command == "config-get") {
            if (peer.config_get.empty()) {
                nlohmann::json config = template_;
                auto& dhcp = config[0]["arguments"]["Dhcp4"];
                for (auto& hook : dhcp["hooks-libraries"]) {
                    if (hook.value("library", "").find("libdhcp_ha.so") == std::string::npos) continue;
                    auto& ha = hook["parameters"]["high-availability"][0];
                    ha["this-server-name"] = peer.name;
                    auto& peers = ha["peers"];
                    for (auto& p : peers) {
                        const int which = p.value("name", "") == "server1" ? 0 : 1;
                        p["url"] = "http://127.0.0.1:" + std::to_string(peers_[peer.pair * 2 + which]->port) + "/";
                    }
                }
                peer.config_get = config.dump();
            }
            return peer.config_get;
        }
        return R"([{"result":2,"text":"command not supported."}])";
    }

    nlohmann::json template_;
    KeaShape shape_;
    net::io_context io_{1};
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors_;
    std::vector<std::unique_ptr<FakePeer>> peers_;
    std::mutex mutex_;
    std::atomic<std::size_t> requests_{0};
    std::atomic<bool> dark_{false};
    std::thread thread_;
};

/// utime + stime of a process, in seconds (0 when it cannot be read).
double cpu_seconds(pid_t pid) { return kea_ha::bench::cpu_seconds(pid).value_or(0); }
double system_seconds(pid_t pid) { return kea_ha::bench::cpu_times(pid).value_or(kea_ha::bench::CpuTimes{}).system; }

/// A process's CPU over a window, as shares of one core.
struct Share {
    double total = 0;
    double system = 0;  // the kernel's part of `total`
};

/// A /proc/PID/status memory line (VmRSS, VmHWM) of a process, in MiB.
double status_mib(pid_t pid, const std::string& key = "VmRSS") {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1)) / 1024.0;
    }
    return 0;
}

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(rank, values.size() - 1)];
}

/// When peer `i` of `count` first polls: its share of the first second, on the controller's
/// poll grid (core/poll_schedule.hpp) counted from the monotonic clock's origin, the same
/// absolute grid points the controller's polls fall on (issue 31 point 6: counted from the
/// floor client's own start they fell between them and did not share wake-ups the same way).
Clock::time_point grid_start(std::size_t i, std::size_t count) {
    const auto grid = kea_ha::core::poll_grid(1s);
    const auto spread = std::chrono::duration_cast<Clock::duration>(1s) * static_cast<long>(i) /
                        static_cast<long>(std::max<std::size_t>(1, count));
    return kea_ha::core::align_to_grid(Clock::now(), grid) + spread / grid * grid;
}

/// The transport floor: the requests the controller sends in steady state, one status-get per
/// peer per second on one kept-alive connection each (on Kea 3.0 that is all it sends; before
/// 3.0 it adds one ha-heartbeat per peer every 30 s, 1/30 of the requests, left out here),
/// answers read with Beast and thrown away: no JSON, no state. Run as a child process
/// (`fleet_bench --floor-client PORT…`) so its CPU is measured apart, like the controller's. What the controller spends above this is
/// its own work; this much any client of this design spends on loopback.
net::awaitable<void> floor_peer(std::uint16_t port, Clock::time_point first) {
    auto ex = co_await net::this_coro::executor;
    net::steady_timer timer(ex);
    auto next = first;
    timer.expires_at(next);
    co_await timer.async_wait(net::use_awaitable);
    beast::tcp_stream stream(ex);
    co_await stream.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), net::use_awaitable);
    stream.socket().set_option(tcp::no_delay(true));
    auto request = [port](const char* command) {
        const std::string body = std::string(R"({"command":")") + command + R"(","service":["dhcp4"]})";
        return "POST / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
               "\r\nUser-Agent: fleet-bench-floor\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    };
    const std::string status = request("status-get");
    beast::flat_buffer buffer;
    for (;;) {
        co_await net::async_write(stream, net::buffer(status), net::use_awaitable);
        http::response<http::string_body> answer;
        co_await http::async_read(stream, buffer, answer, net::use_awaitable);
        next += 1s;
        timer.expires_at(next);
        co_await timer.async_wait(net::use_awaitable);
    }
}

int floor_client(const std::vector<std::uint16_t>& ports) {
    net::io_context io{1};
    for (std::size_t i = 0; i < ports.size(); ++i) {
        net::co_spawn(io, floor_peer(ports[i], grid_start(i, ports.size())), [](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& what) {
                std::fprintf(stderr, "floor client: %s\n", what.what());
            }
            std::exit(1);
        });
    }
    io.run();
    return 0;
}

/// The kernel's share, nearly alone: the same requests on the same grid, written and read with
/// plain callbacks on a bare socket into one reused buffer per peer, the answer found by its
/// Content-Length and dropped. No Beast, no coroutine, no allocation per poll. What any HTTP
/// client polling this way spends at the least; the gap to `floor_peer` is Beast and coroutines.
class RawFloorPeer {
public:
    RawFloorPeer(net::io_context& io, std::uint16_t port, Clock::time_point first)
        : socket_(io), timer_(io), next_(first) {
        auto request = [port](const char* command) {
            const std::string body = std::string(R"({"command":")") + command + R"(","service":["dhcp4"]})";
            return "POST / HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                   "\r\nUser-Agent: fleet-bench-raw\r\nContent-Type: application/json\r\n"
                   "Accept: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        };
        request_ = request("status-get");
        buffer_.resize(64 * 1024);
        socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
        socket_.set_option(tcp::no_delay(true));
        wait();
    }

private:
    void wait() {
        timer_.expires_at(next_);
        timer_.async_wait([this](error_code ec) {
            if (ec) fail("timer", ec);
            next_ += 1s;
            send();
        });
    }

    void send() {
        used_ = 0;
        net::async_write(socket_, net::buffer(request_), [this](error_code ec, std::size_t) {
            if (ec) fail("write", ec);
            receive();
        });
    }

    void receive() {
        socket_.async_read_some(net::buffer(buffer_.data() + used_, buffer_.size() - used_),
                                [this](error_code ec, std::size_t n) {
                                    if (ec) fail("read", ec);
                                    used_ += n;
                                    if (!complete()) return receive();
                                    wait();
                                });
    }

    /// The whole answer is in: headers, then Content-Length bytes of body.
    bool complete() const {
        const std::string_view text(buffer_.data(), used_);
        const auto end = text.find("\r\n\r\n");
        if (end == std::string_view::npos) return false;
        const auto field = text.find("Content-Length: ");
        if (field == std::string_view::npos || field > end) fail("read", error_code{});
        const auto length = std::strtoul(buffer_.data() + field + 16, nullptr, 10);
        return used_ >= end + 4 + length;
    }

    [[noreturn]] static void fail(const char* what, error_code ec) {
        std::fprintf(stderr, "raw floor client: %s: %s\n", what, ec ? ec.message().c_str() : "no Content-Length");
        std::exit(1);
    }

    tcp::socket socket_;
    net::steady_timer timer_;
    Clock::time_point next_;
    std::string request_;
    std::vector<char> buffer_;
    std::size_t used_ = 0;
};

int raw_floor_client(const std::vector<std::uint16_t>& ports) {
    net::io_context io{1};
    std::vector<std::unique_ptr<RawFloorPeer>> peers;
    for (std::size_t i = 0; i < ports.size(); ++i) {
        peers.push_back(std::make_unique<RawFloorPeer>(io, ports[i], grid_start(i, ports.size())));
    }
    io.run();
    return 0;
}

/// Runs a floor client (`mode`: --floor-client or --raw-floor-client) against `fleet` for
/// `measure` after a warm-up; its CPU share of one core.
Share measure_floor(const FakeFleet& fleet, std::size_t clusters, std::chrono::seconds measure, const char* mode) {
    std::vector<std::string> args = {"/proc/self/exe", mode};
    for (std::size_t pair = 0; pair < clusters; ++pair) {
        for (int which = 0; which < 2; ++which) args.push_back(std::to_string(fleet.port(pair, which)));
    }
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) kea_ha::bench::fail("fork failed");
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::execv("/proc/self/exe", argv.data());
        std::_Exit(127);
    }
    std::this_thread::sleep_for(3s);  // connects and the first round (measurement, not sync)
    const double before = cpu_seconds(pid);
    const double system_before = system_seconds(pid);
    const auto from = Clock::now();
    std::this_thread::sleep_for(measure);
    const double after = cpu_seconds(pid);
    const double system_after = system_seconds(pid);
    const double window = std::chrono::duration<double>(Clock::now() - from).count();
    int status = 0;
    const bool still_running = ::waitpid(pid, &status, WNOHANG) == 0;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    if (!still_running) kea_ha::bench::fail("the floor client stopped early");
    return {(after - before) / window, (system_after - system_before) / window};
}

struct Figures {
    std::size_t clusters = 0;
    double cpu_share = 0;   // of one core
    double cpu_system = 0;  // the kernel's part of cpu_share
    double rss = 0;         // MiB (VmRSS at the end of the window)
    double hwm = 0;         // MiB (VmHWM: peak RSS since start)
    double fake_cpu = 0;    // this process (the fake CAs), share of one core
    double floor_cpu = 0;   // the transport floor client on the same fleet, share of one core
    Share raw_floor;        // the raw floor client (bare socket, callbacks)
    double floor_system = 0;  // the kernel's part of floor_cpu
    double load = 0;        // 1-minute load average at the end of the window
    double p50 = 0, p99 = 0;
    std::size_t samples = 0;
    std::size_t expected = 0;   // 2 peers × clusters × window seconds
    std::size_t late50 = 0;     // samples later than 50 ms
    double max_late = 0;
    double poll_latency_p50 = 0, poll_latency_max = 0;  // the controller's own poll_latency_ms (API)
    bool all_ok = false;
    // --outage: every agent goes dark at once, then comes back (the largest size only)
    bool outage = false;
    double down_s = 0, ok_again_s = 0;      // until every cluster is Down / OK again (-1: not in time)
    double api_max_ms = 0, api_p99_ms = 0;  // GET /v1/health while it happens
    double outage_p99 = 0, outage_max = 0;  // poll lateness while it happens
};

/// The cheapest transport floor measured in the run: what the controller's CPU is compared with.
double cheapest_floor(const Figures& f) {
    if (f.floor_cpu <= 0) return f.raw_floor.total;
    if (f.raw_floor.total <= 0) return f.floor_cpu;
    return std::min(f.floor_cpu, f.raw_floor.total);
}

/// Every cluster's state is `state` (from GET /v1/clusters).
bool all_in_state(kea_ha::testing::ControllerProcess& controller, std::size_t clusters, const std::string& state) {
    auto list = controller.get_json("/v1/clusters");
    if (!list || list->size() != clusters) return false;
    for (const auto& c : *list) {
        if (c.value("state", "") != state) return false;
    }
    return true;
}

/// The mass outage: every agent answers "daemon not responding" at once, so every peer of every
/// cluster changes condition (and every cluster its state and source of truth) within one poll
/// interval; then all come back. Measures how long until the API shows it, the API's own
/// latency meanwhile (a thread asks GET /v1/health every 20 ms), and poll lateness.
void run_outage(FakeFleet& fleet, kea_ha::testing::ControllerProcess& controller, std::size_t clusters,
                Figures& figures) {
    std::atomic<bool> sampling{true};
    std::vector<double> api_ms;
    std::thread prober([&] {
        while (sampling) {
            const auto asked = Clock::now();
            (void)controller.get_json("/v1/health");
            api_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - asked).count());
            std::this_thread::sleep_for(20ms);  // the sampling period, not a synchronisation
        }
    });
    const auto from = Clock::now();
    fleet.set_dark(true);
    const bool down = kea_ha::lab::wait_until([&] { return all_in_state(controller, clusters, "Down"); }, 60s, 100ms);
    figures.down_s = down ? std::chrono::duration<double>(Clock::now() - from).count() : -1;
    const auto back = Clock::now();
    fleet.set_dark(false);
    const bool ok = kea_ha::lab::wait_until([&] { return all_in_state(controller, clusters, "OK"); }, 60s, 100ms);
    figures.ok_again_s = ok ? std::chrono::duration<double>(Clock::now() - back).count() : -1;
    const auto to = Clock::now();
    sampling = false;
    prober.join();
    figures.outage = true;
    figures.api_p99_ms = percentile(api_ms, 99);
    figures.api_max_ms = api_ms.empty() ? 0 : *std::max_element(api_ms.begin(), api_ms.end());
    auto lateness = fleet.lateness(from, to, 1000ms);
    figures.outage_p99 = percentile(lateness, 99);
    figures.outage_max = lateness.empty() ? 0 : *std::max_element(lateness.begin(), lateness.end());
}

Figures run(std::size_t clusters, std::chrono::seconds measure, const nlohmann::json& config_template, KeaShape shape,
            bool keep, bool outage = false) {
    Figures figures;
    figures.outage = outage;
    figures.clusters = clusters;
    auto fleet = std::make_unique<FakeFleet>(clusters, config_template, shape);
    std::string servers;
    for (std::size_t i = 0; i < clusters; ++i) {
        servers += "  <keaServer name=\"pair" + std::to_string(i) + "\" url=\"" + fleet->url(i, 0) + "\"/>\n";
    }
    const std::string directory = kea_ha::testing::make_temp_directory("kea-ha-fleet");
    kea_ha::testing::ControllerProcess controller(
        directory, {{"keaPollInterval", "1"}, {"keaRequestTimeout", "2"}, {"logLevel", "warn"}}, servers);
    if (auto started = controller.start(60s); !started) {
        std::fprintf(stderr, "controller did not start: %s\n", started.error().describe().c_str());
        std::exit(1);
    }
    // Warm-up: every cluster OK (topology learned, every peer polled), bounded in time.
    figures.all_ok = kea_ha::lab::wait_until([&] { return all_in_state(controller, clusters, "OK"); }, 120s, 500ms);
    std::this_thread::sleep_for(2s);  // let the first polls' start-up burst pass (measurement, not sync)
    const auto from = Clock::now();
    const double cpu_before = cpu_seconds(controller.pid());
    const double system_before = system_seconds(controller.pid());
    const double fake_before = cpu_seconds(::getpid());
    std::this_thread::sleep_for(measure);  // the measured window itself
    const double cpu_after = cpu_seconds(controller.pid());
    const double system_after = system_seconds(controller.pid());
    const double fake_after = cpu_seconds(::getpid());
    const auto to = Clock::now();
    const double window = std::chrono::duration<double>(to - from).count();
    figures.cpu_share = (cpu_after - cpu_before) / window;
    figures.cpu_system = (system_after - system_before) / window;
    figures.fake_cpu = (fake_after - fake_before) / window;
    figures.rss = status_mib(controller.pid());
    figures.hwm = status_mib(controller.pid(), "VmHWM");
    figures.load = load_average();
    // The controller's own view of each poll's duration (status-get round trip), from the API:
    // tells a slow exchange (connect/answer) from a late start (scheduling).
    std::vector<double> latencies;
    for (std::size_t i = 0; i < clusters; i += std::max<std::size_t>(1, clusters / 50)) {
        auto detail = controller.get_json("/v1/clusters/pair" + std::to_string(i));
        if (!detail || !detail->contains("peers")) continue;
        for (const auto& peer : (*detail)["peers"]) {
            if (peer.contains("poll_latency_ms") && peer["poll_latency_ms"].is_number()) {
                latencies.push_back(peer["poll_latency_ms"].get<double>());
            }
        }
    }
    figures.poll_latency_p50 = percentile(latencies, 50);
    figures.poll_latency_max = latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end());
    auto lateness = fleet->lateness(from, to, 1000ms);
    figures.samples = lateness.size();
    // Each peer polls once a second: in the window, at least its whole seconds' worth.
    figures.expected = static_cast<std::size_t>(2.0 * static_cast<double>(clusters) * std::floor(window));
    figures.late50 = static_cast<std::size_t>(std::count_if(lateness.begin(), lateness.end(), [](double l) { return l > 50; }));
    figures.max_late = lateness.empty() ? 0 : *std::max_element(lateness.begin(), lateness.end());
    figures.p50 = percentile(lateness, 50);
    figures.p99 = percentile(lateness, 99);
    if (outage) run_outage(*fleet, controller, clusters, figures);
    controller.stop();
    if (clusters > 0) {
        const Share floor = measure_floor(*fleet, clusters, measure, "--floor-client");
        figures.floor_cpu = floor.total;
        figures.floor_system = floor.system;
        figures.raw_floor = measure_floor(*fleet, clusters, measure, "--raw-floor-client");
    }
    if (keep) {
        std::printf("(%zu clusters: controller log and state kept in %s)\n", clusters, directory.c_str());
    } else {
        std::error_code ignored;
        std::filesystem::remove_all(directory, ignored);
    }
    return figures;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::size_t> sizes = {10, 100, 500};
    int seconds = 20;
    bool keep = false;
    bool outage = false;  // a mass outage at the largest size (run_outage)
    KeaShape shape = KeaShape::V30;
    if (argc > 1 && std::string(argv[1]) == "--floor-client") {
        std::vector<std::uint16_t> ports;
        for (int i = 2; i < argc; ++i) ports.push_back(static_cast<std::uint16_t>(std::atoi(argv[i])));
        return floor_client(ports);
    }
    if (argc > 1 && std::string(argv[1]) == "--raw-floor-client") {
        std::vector<std::uint16_t> ports;
        for (int i = 2; i < argc; ++i) ports.push_back(static_cast<std::uint16_t>(std::atoi(argv[i])));
        return raw_floor_client(ports);
    }
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--seconds" && i + 1 < argc) {
            seconds = std::clamp(std::atoi(argv[++i]), 5, 300);
        } else if (arg == "--keep") {
            keep = true;
        } else if (arg == "--kea" && i + 1 < argc) {
            const std::string version = argv[++i];
            if (version != "2.2" && version != "3.0") {
                std::fprintf(stderr, "--kea: 2.2 or 3.0\n");
                return 2;
            }
            shape = version == "2.2" ? KeaShape::V22 : KeaShape::V30;
        } else if (arg == "--outage") {
            outage = true;
        } else if (arg == "--sizes" && i + 1 < argc) {
            sizes.clear();
            std::stringstream list(argv[++i]);
            for (std::string item; std::getline(list, item, ',');) sizes.push_back(std::clamp<std::size_t>(std::stoul(item), 1, 1000));
        } else {
            std::fprintf(stderr, "usage: fleet_bench [--seconds 5..300] [--sizes 10,100,500] [--keep] [--outage] [--kea 3.0|2.2]\n");
            return 2;
        }
    }
    // 1000 peers + 1000 controller connections need more than the default 1024 descriptors.
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    std::ifstream in(std::string(KEA_HA_TEST_DATA) + "/kea-2.2/config-get-hot-standby-primary.json");
    const auto config_template = nlohmann::json::parse(in);

    std::printf("fleet benchmark: fake Kea %s peers on 127.0.0.1, keaPollInterval 1 s, %d s measured per size\n",
                shape == KeaShape::V22 ? "2.2" : "3.0.4", seconds);
    std::printf("machine: %ld cores online, load average %.2f at start\n", ::sysconf(_SC_NPROCESSORS_ONLN),
                load_average());
    const Figures idle = run(0, std::chrono::seconds(seconds), config_template, shape, keep);
    std::printf("baseline (0 clusters): CPU %.2f%% of one core, RSS %.1f MiB (load %.2f)\n\n", idle.cpu_share * 100,
                idle.rss, idle.load);
    std::printf("%-9s %-7s %-7s %-8s %-8s %-8s %-8s %-8s %-7s %-7s %-6s | %-7s %-7s %-8s %-8s %-8s %-9s\n",
                "clusters", "all OK", "CPU %", "RSS MiB", "HWM MiB", "p50 ms", "p99 ms", "samples", "fake %",
                "floor %", "load", "CPU/5%", "RSS/100", "p99/50ms", "CPU-idle", "RSS/idle", "CPU/cheapest");
    std::vector<Figures> details;
    const std::size_t largest = *std::max_element(sizes.begin(), sizes.end());
    for (auto size : sizes) {
        const auto f = run(size, std::chrono::seconds(seconds), config_template, shape, keep, outage && size == largest);
        std::printf("%-9zu %-7s %-7.2f %-8.1f %-8.1f %-8.2f %-8.2f %-8zu %-7.1f %-7.2f %-6.2f | %-7.2f %-7.2f %-8.2f "
                    "%-8.2f %-8.2f %-9.2f\n",
                    f.clusters, f.all_ok ? "yes" : "NO", f.cpu_share * 100, f.rss, f.hwm, f.p50, f.p99, f.samples,
                    f.fake_cpu * 100, f.floor_cpu * 100, f.load, f.cpu_share / 0.05, f.rss / 100.0, f.p99 / 50.0,
                    (f.cpu_share - idle.cpu_share) * 100, idle.rss > 0 ? f.rss / idle.rss : 0.0,
                    cheapest_floor(f) > 0 ? f.cpu_share / cheapest_floor(f) : 0.0);
        std::fflush(stdout);
        details.push_back(f);
    }
    std::printf("\ndetails: samples seen/expected (a missing sample is a status-get that did not arrive in the window),\n"
                "samples later than 50 ms, the worst lateness, and the controller's own status-get round trip\n"
                "(poll_latency_ms of up to 100 peers, from GET /v1/clusters/NAME at the end of the window)\n");
    std::printf("%-9s %-16s %-10s %-12s %-14s %-14s %-11s %-9s %-18s\n", "clusters", "seen/expected", ">50 ms",
                "max ms", "rtt p50 ms", "rtt max ms", "raw floor %", "CPU/raw", "kernel % c/f/raw");
    for (const auto& f : details) {
        char kernel[64];
        std::snprintf(kernel, sizeof kernel, "%.2f/%.2f/%.2f", f.cpu_system * 100, f.floor_system * 100,
                      f.raw_floor.system * 100);
        std::printf("%-9zu %6zu/%-9zu %-10zu %-12.1f %-14.1f %-14.1f %-11.2f %-9.2f %-18s\n", f.clusters, f.samples,
                    f.expected, f.late50, f.max_late, f.poll_latency_p50, f.poll_latency_max, f.raw_floor.total * 100,
                    f.raw_floor.total > 0 ? f.cpu_share / f.raw_floor.total : 0.0, kernel);
    }
    // A bench whose clusters were not all OK, or whose polls did not all arrive, measured
    // something else than the steady state the figures claim (issue 31 point 6).
    std::string invalid;
    for (const auto& f : details) {
        if (!f.all_ok) invalid += " " + std::to_string(f.clusters) + " clusters: not all OK;";
        if (f.samples < f.expected)
            invalid += " " + std::to_string(f.clusters) + " clusters: " + std::to_string(f.expected - f.samples) +
                       " samples missing;";
    }
    for (const auto& f : details) {
        if (!f.outage) continue;
        std::printf("\nmass outage at %zu clusters (every agent answers 'daemon not responding', then recovers):\n"
                    "  all Down after %.2f s, all OK again after %.2f s (-1: not within 60 s)\n"
                    "  GET /v1/health meanwhile: p99 %.1f ms, max %.1f ms; poll lateness p99 %.1f ms, max %.1f ms\n",
                    f.clusters, f.down_s, f.ok_again_s, f.api_p99_ms, f.api_max_ms, f.outage_p99, f.outage_max);
    }
    std::printf("\nratios <= 1.00 meet the issue 3 targets (<= 5%% of one core, <= 100 MiB, p99 lateness <= 50 ms);\n"
                "CPU-idle: controller CPU %% minus the idle baseline's; fake %%: this process (the fake CAs);\n"
                "floor %%: a bare client sending status-get per peer per second on kept-alive connections to the same fleet,\n"
                "reading the answers with Beast and nothing else (no JSON, no state), measured right after the\n"
                "controller; CPU/cheapest: the controller against the cheaper of that floor and the raw floor,\n"
                "both measured in this run on the same grid as the controller;\n"
                "raw floor %%: the same requests from callbacks on a bare socket, answers found by Content-Length\n"
                "and dropped (no Beast, no coroutines); kernel %% c/f/raw: the part of the CPU spent in the kernel\n"
                "(stime) for the controller, the floor and the raw floor\n");
    if (!invalid.empty()) {
        std::printf("\nFAIL: the figures are not of a steady state:%s\n", invalid.c_str());
        return 1;
    }
    return 0;
}
