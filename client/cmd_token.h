// `certseal token …`: hardware and file-based tokens (证书业务(旧), docs/CLI.md) through the
// PKCS#11 modules registered with p11-kit (or one given with --module): list the tokens, the
// certificates in them, a certificate's details with thumbprints (SHA-1 by default; SHA-256, SM3,
// MD5) or one field alone (--copy), change the token's user PIN, delete a certificate after the
// PIN, write and read a seal picture kept on the token as a data object (client/p11_tokens.h);
// self-service certificates (自助服务): enroll (a key pair generated inside the token, its public
// key and a proof of possession sent for review), query (业务查询: install issued certificates
// into the token), renew.
//
// Wiring: cli.cpp calls add_token_commands with its context, which becomes the hooks (prompts, JSON
// output); the command's work is set into `action` as the other families do.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/bytes.h"
#include "base/result.h"
#include "client/http.h"

namespace certseal::client {

struct TokenCliHooks {
  std::function<Result<Http*>()> api;  // the session's API (self-service certificates)
  std::function<bool()> json_output;
  std::function<Result<SecretString>(const std::string& prompt)> ask_secret;
  std::function<Result<SecretString>(const std::string& prompt, const std::string& confirm)>
      ask_new_secret;
};

void add_token_commands(CLI::App& app, TokenCliHooks hooks,
                        std::function<Result<nlohmann::json>()>& action);

namespace cli {
class Ctx;
}
// The same, with hooks made from run_cli's context (client/cli_context.h): its session API, JSON
// output and prompts.
void add_token_commands(CLI::App& app, cli::Ctx& ctx,
                        std::function<Result<nlohmann::json>()>& action);

}  // namespace certseal::client
