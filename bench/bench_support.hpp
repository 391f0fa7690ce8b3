#pragma once
// What every benchmark reads off the machine or computes the same way: the load average
// printed next to the figures, a process's CPU time, medians, and how a bench gives up.
#include <errno.h>  // program_invocation_short_name (glibc)
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace kea_ha::bench {

/// Prints "BENCH: what" on stderr and exits 1.
[[noreturn]] inline void fail(const std::string& what) {
    std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what.c_str());
    std::exit(1);
}

/// The 1-minute load average (machine load next to the figures: the bench shares the machine).
inline double load_average() {
    std::ifstream in("/proc/loadavg");
    double one = 0;
    in >> one;
    return one;
}

/// CPU time of a process in seconds, in user space and in the kernel on its behalf.
struct CpuTimes {
    double user = 0;
    double system = 0;
    double total() const { return user + system; }
};

/// utime and stime of a process (fields 14 and 15 of /proc/PID/stat); nullopt when the file
/// cannot be read.
inline std::optional<CpuTimes> cpu_times(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');  // comm may contain spaces
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int index = 3; index <= 15 && fields >> field; ++index) {
        if (index == 14) utime = std::stoull(field);
        if (index == 15) stime = std::stoull(field);
    }
    const auto tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    return CpuTimes{static_cast<double>(utime) / tick, static_cast<double>(stime) / tick};
}

/// utime + stime of a process in seconds; nullopt when /proc/PID/stat cannot be read.
inline std::optional<double> cpu_seconds(pid_t pid) {
    const auto times = cpu_times(pid);
    if (!times) return std::nullopt;
    return times->total();
}

inline double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const auto n = values.size();
    if (n == 0) return 0;
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace kea_ha::bench
