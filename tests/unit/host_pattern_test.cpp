// core/host_pattern: the allow-lists of issue 32 (apiAllowedHosts, keaAllowedHosts).
#include <gtest/gtest.h>

#include "kea_ha/core/host_pattern.hpp"

namespace {

using namespace kea_ha::core;

bool allows(std::string_view pattern, std::string_view host) {
    auto parsed = parse_host_pattern(pattern);
    EXPECT_TRUE(parsed.ok()) << pattern;
    return parsed.ok() && host_matches(*parsed, host);
}

TEST(HostPattern, NamesSuffixesAddressesAndNetworks) {
    struct Row { const char* pattern; const char* host; bool allowed; };
    const Row rows[] = {
        {"kea1.example.net", "kea1.example.net", true},
        {"kea1.example.net", "KEA1.Example.NET", true},
        {"kea1.example.net", "kea2.example.net", false},
        {"kea1.example.net", "kea1.example.net.evil", false},
        {"*.example.net", "kea1.example.net", true},
        {"*.example.net", "a.b.example.net", true},
        {"*.example.net", "example.net", false},
        {"*.example.net", "badexample.net", false},
        {"192.0.2.7", "192.0.2.7", true},
        {"192.0.2.7", "192.0.2.8", false},
        {"192.0.2.0/24", "192.0.2.200", true},
        {"192.0.2.0/24", "192.0.3.1", false},
        {"192.0.2.0/24", "::ffff:192.0.2.9", true},
        {"10.0.0.0/7", "11.255.0.1", true},
        {"10.0.0.0/7", "12.0.0.1", false},
        {"2001:db8::/64", "2001:db8::1", true},
        {"2001:db8::/64", "2001:db8:0:1::1", false},
        {"2001:db8::/64", "192.0.2.1", false},
        {"0.0.0.0/0", "203.0.113.5", true},
        {"192.0.2.0/24", "kea1.example.net", false},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(std::string(row.pattern) + " vs " + row.host);
        EXPECT_EQ(allows(row.pattern, row.host), row.allowed);
    }
}

TEST(HostPattern, BadEntriesAreRefusedSayingWhy) {
    struct Row { const char* text; const char* why; };
    const Row rows[] = {
        {"10.0.0.0/33", "prefix above 32"},
        {"::/129", "prefix above 128"},
        {"10.0.0.0/x", "whole number"},
        {"*.net", "at least two labels"},
        {"a.*.net", "only as the first label"},
        {"kea 1", "not a host name"},
        {"name/24", "a network is"},
        {"", "empty"},
    };
    for (const auto& row : rows) {
        SCOPED_TRACE(row.text);
        auto parsed = parse_host_pattern(row.text);
        ASSERT_FALSE(parsed.ok());
        EXPECT_NE(parsed.error().message.find(row.why), std::string::npos) << parsed.error().message;
    }
    auto list = parse_host_patterns("kea1.example.net, 10.0.0.0/8,,*.lab.example.net ");
    ASSERT_TRUE(list.ok()) << list.error().message;
    EXPECT_EQ(list->size(), 3u);
    EXPECT_FALSE(parse_host_patterns("ok.example.net, 10.0.0.0/99").ok());
}

TEST(HostPattern, HostOfAuthorityAndUrl) {
    EXPECT_EQ(host_of_authority("127.0.0.1:8067").value(), "127.0.0.1");
    EXPECT_EQ(host_of_authority("[::1]:8067").value(), "::1");
    EXPECT_EQ(host_of_authority("[::1]").value(), "::1");
    EXPECT_EQ(host_of_authority("Ctl.Example.NET.").value(), "ctl.example.net");
    EXPECT_FALSE(host_of_authority(""));
    EXPECT_FALSE(host_of_authority("a b"));
    EXPECT_FALSE(host_of_authority("[::1"));
    EXPECT_FALSE(host_of_authority("[kea]:80"));
    EXPECT_FALSE(host_of_authority("kea:80x"));
    EXPECT_EQ(host_of_url("https://user@kea1.example.net:8443/path?q").value(), "kea1.example.net");
    EXPECT_EQ(host_of_url("http://[2001:db8::1]:8000/").value(), "2001:db8::1");
    EXPECT_FALSE(host_of_url("kea1.example.net:8000"));
}

TEST(HostPattern, LoopbackAndWildcard) {
    for (const char* host : {"localhost", "LocalHost", "ui.localhost", "127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"}) {
        EXPECT_TRUE(is_loopback_host(host)) << host;
    }
    for (const char* host : {"localhost.example", "128.0.0.1", "::2", "evil-localhost"}) {
        EXPECT_FALSE(is_loopback_host(host)) << host;
    }
    EXPECT_TRUE(is_wildcard_address("0.0.0.0"));
    EXPECT_TRUE(is_wildcard_address("::"));
    EXPECT_FALSE(is_wildcard_address("127.0.0.1"));
    EXPECT_FALSE(is_wildcard_address("localhost"));
}

TEST(HostPattern, KeaAllowedHostsEntriesMayPinAPort) {
    auto list = parse_host_patterns("kea1.example.net:8000, [2001:db8::7]:8443, 192.0.2.0/24:8000, "
                                    "[2001:db8:1::/64]:8001, *.lab.example.net, 2001:db8:2::5",
                                    true);
    ASSERT_TRUE(list.ok()) << list.error().message;
    ASSERT_EQ(list->size(), 6u);
    struct Row { const char* url; bool allowed; };
    const Row rows[] = {
        {"http://kea1.example.net:8000/", true},
        {"http://kea1.example.net:6379/", false},   // the allowed host, another port
        {"http://kea1.example.net/", false},        // port 80
        {"https://[2001:db8::7]:8443/", true},
        {"https://[2001:db8::7]/", false},          // port 443
        {"http://192.0.2.9:8000/", true},
        {"http://192.0.2.9:8001/", false},
        {"http://[2001:db8:1::9]:8001/", true},
        {"http://[2001:db8:1::9]:8000/", false},
        {"http://a.lab.example.net:1234/", true},   // no port named: every port
        {"http://[2001:db8:2::5]:9/", true},        // an IPv6 address without brackets: no port
        {"http://kea2.example.net:8000/", false},
    };
    for (const auto& row : rows) EXPECT_EQ(url_matches_any(*list, row.url), row.allowed) << row.url;
    EXPECT_TRUE(host_port_matches_any(*list, "kea1.example.net", 8000));
    EXPECT_FALSE(host_port_matches_any(*list, "kea1.example.net", 8001));

    for (const char* bad : {"kea1.example.net:", "kea1.example.net:0", "kea1.example.net:65536", "kea1:80x",
                            "[2001:db8::7]8000", "[2001:db8::7"}) {
        EXPECT_FALSE(parse_host_patterns(bad, true).ok()) << bad;
    }
    // apiAllowedHosts takes no port: a Host header's port is never what it allows.
    EXPECT_FALSE(parse_host_patterns("kea1.example.net:8000").ok());
    EXPECT_EQ(port_of_url("http://[::1]/").value(), 80);
    EXPECT_EQ(port_of_url("https://user@h:8443/x").value(), 8443);
    EXPECT_FALSE(port_of_url("ftp://h/"));
}

}  // namespace
