#pragma once
// A network namespace of the test's own (unshare(CLONE_NEWNET), loopback up), and Debian's
// iptables inside it: the end-to-end tests cut the HA channel between two Kea peers, or the
// controller from them, without touching the machine's own network (the project's network
// rule: traffic only on loopback or inside namespaces the test itself creates).

#include <string>
#include <vector>

#include "kea_ha/core/result.hpp"

namespace kea_ha::testing {

/// Moves this process into a new network namespace with its loopback up, once per process (a
/// second call does nothing). Call it first in a test, before the lab or the controller start
/// (threads and processes started later inherit it; ctest runs each test in a process of its
/// own). Needs root (CAP_SYS_ADMIN).
core::Status enter_own_network_namespace();

/// Runs `iptables ARGS…` in this process's namespace; the error holds its output.
core::Status iptables(const std::vector<std::string>& args);

/// A rule added now and deleted when this goes out of scope (or by remove()).
class FilterRule {
public:
    /// `spec`: the rule without -A/-D, e.g. {"INPUT", "-p", "tcp", "--dport", "8001", "-j", "DROP"}.
    explicit FilterRule(std::vector<std::string> spec);
    ~FilterRule();
    FilterRule(const FilterRule&) = delete;
    FilterRule& operator=(const FilterRule&) = delete;

    const core::Status& added() const { return added_; }
    core::Status remove();

private:
    std::vector<std::string> spec_;
    core::Status added_;
    bool present_ = false;
};

}  // namespace kea_ha::testing
