// The certseal exit codes (docs/CLI.md "certseal"):
//   0 done; 1 server or network trouble (unreachable, 5xx, a broken answer, local I/O);
//   2 usage (bad command line or input, no terminal, a command not available yet);
//   3 refused (a 4xx problem from the server, or a missing local precondition: not logged in,
//     no such key on this device); 4 wrong certificate password or locked key.
// Contract: pure.
#pragma once

#include "base/result.h"

namespace certseal::client {

inline constexpr int kExitOk = 0;
inline constexpr int kExitServer = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRefused = 3;
inline constexpr int kExitPassword = 4;

int exit_code_for(const Error& e);

}  // namespace certseal::client
