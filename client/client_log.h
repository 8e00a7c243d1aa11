// The client's own log (SPEC §11 "Settings": logs on/off and encrypted export; docs/CLI.md
// "logs"). Off by default. When on, every command run appends one line to client.log in the data
// dir: the time, the command's path (its names only, never an option, argument or answer, so no
// password, code, data or file name is logged) and its outcome (ok, or the error code). At
// 1 MiB the file becomes client.log.1 (the previous one is dropped).
//
// Export (`certseal logs export`) puts the lines of both files into a JSON document encrypted to
// the platform's support certificate of the business (GET /api/v1/client/support-certificate,
// pki/cms_enveloped.h: a CMS EnvelopedData, SM2 key transport, SM4-CBC, as the cloud key's log
// export does), which only the support key opens (`certseal cloudkey decrypt-log`).
//
// Contract: not thread-safe (one command per process); file errors are values.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace certseal::client {

// Whether logs are on (settings.json in the data dir).
Result<bool> logs_enabled(const std::filesystem::path& data_dir);
Status set_logs_enabled(const std::filesystem::path& data_dir, bool on);
// The names of the subcommands the user ran, e.g. {"pc", "confirm"}.
std::vector<std::string> command_path(const CLI::App& app);
// Appends the line when logs are on; errors are ignored (logging never fails a command).
void record_command(const std::string& data_dir_flag, const std::vector<std::string>& path,
                    const Result<nlohmann::json>& outcome);
// The lines of client.log.1 and client.log, oldest first (each a JSON object).
Result<nlohmann::json> read_log(const std::filesystem::path& data_dir);

}  // namespace certseal::client
