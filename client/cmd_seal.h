// `certseal seal …`: electronic seals (docs/CLI.md, docs/SEALS.md) — make from a template or from
// drawing points, preview to a file, list, show (with records), replace, delete, save the picture
// or the seal data, use.
//
// Wiring: cli.cpp calls add_seal_commands with how to reach the session's API and whether JSON
// output was asked for; the command's work is set into `action` as the other families do.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "client/http.h"

namespace certseal::client {

struct SealCliHooks {
  std::function<Result<Http*>()> api;
  std::function<bool()> json_output;
};

void add_seal_commands(CLI::App& app, SealCliHooks hooks, std::function<Result<nlohmann::json>()>& action);

}  // namespace certseal::client
