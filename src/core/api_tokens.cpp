#include "kea_ha/core/api_tokens.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace kea_ha::core {
namespace {

std::vector<std::string_view> fields_of(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        const auto start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

bool valid_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
    });
}

}  // namespace

Result<std::vector<ApiToken>> parse_api_tokens(std::string_view text, std::string_view file) {
    std::vector<ApiToken> tokens;
    std::set<std::string, std::less<>> names, secrets;
    std::size_t number = 0;
    while (!text.empty()) {
        const auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
        ++number;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const auto where = std::string(file) + ":" + std::to_string(number) + ": ";
        const auto fields = fields_of(line);
        if (fields.empty() || fields.front().front() == '#') continue;
        if (fields.size() != 3) {
            return make_error(ErrorKind::Invalid, where + "expected NAME ROLE TOKEN, found " + std::to_string(fields.size()) +
                                                      " field" + (fields.size() == 1 ? "" : "s"));
        }
        ApiToken token;
        token.name = std::string(fields[0]);
        if (!valid_name(token.name)) {
            return make_error(ErrorKind::Invalid,
                              where + "the client name must be 1 to 64 characters of A-Z a-z 0-9 . _ - (got '" + token.name + "')");
        }
        if (fields[1] == "read") {
            token.role = ApiRole::Read;
        } else if (fields[1] == "admin") {
            token.role = ApiRole::Admin;
        } else {
            return make_error(ErrorKind::Invalid, where + "role must be read or admin (got '" + std::string(fields[1]) + "')");
        }
        token.secret = std::string(fields[2]);
        if (token.secret.size() < 16) {
            // The line number, never the token: the file is a secret.
            return make_error(ErrorKind::Invalid, where + "the token of '" + token.name + "' is shorter than 16 characters");
        }
        if (!names.insert(token.name).second) {
            return make_error(ErrorKind::Invalid, where + "the client name '" + token.name + "' is given twice");
        }
        if (!secrets.insert(token.secret).second) {
            return make_error(ErrorKind::Invalid, where + "the token of '" + token.name + "' is another client's too");
        }
        tokens.push_back(std::move(token));
    }
    if (tokens.empty()) return make_error(ErrorKind::Invalid, std::string(file) + ": no client (NAME ROLE TOKEN) in the file");
    return tokens;
}

}  // namespace kea_ha::core
