#pragma once
// apiTokensFile (issue 14 item 5): one API client per line, "NAME ROLE TOKEN", so that each
// change, HA action and event names who made it, and read-only clients cannot write.
#include <string>
#include <string_view>
#include <vector>

#include "kea_ha/core/result.hpp"

namespace kea_ha::core {

enum class ApiRole { Read, Admin };

struct ApiToken {
    std::string name;    ///< recorded in events, logs and answers: 1 to 64 of A-Z a-z 0-9 . _ -
    ApiRole role = ApiRole::Admin;
    std::string secret;  ///< at least 16 characters, no whitespace
};

/// Parses the file's text: blank lines and lines starting with '#' are skipped; each other
/// line is NAME, ROLE (read or admin) and TOKEN separated by spaces or tabs. Invalid, naming
/// `file:LINE` and what is wrong: a missing or extra field, a bad name or role, a token shorter
/// than 16 characters, a name or token given twice, no client at all.
Result<std::vector<ApiToken>> parse_api_tokens(std::string_view text, std::string_view file);

}  // namespace kea_ha::core
