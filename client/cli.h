// The certseal command line (docs/CLI.md "certseal"): parses argv with CLI11, runs one command,
// prints its result (human text in the chosen language, or one JSON document with --json) and
// returns the process exit code (client/exit_codes.h).
#pragma once

namespace certseal::client {

int run_cli(int argc, char** argv);

}  // namespace certseal::client
