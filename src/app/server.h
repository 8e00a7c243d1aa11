// certseald's sub-commands: serve, migrate, admin ...
#pragma once

#include <string>

#include "app/config.h"

namespace certseal::app {

// Runs the server until SIGTERM/SIGINT; returns the process exit code.
int serve(const Config& c);
// Applies pending migrations and prints {"applied":[...],"current":N}.
int migrate_only(const Config& c);
// Creates an operator account (or promotes an existing account and sets its password).
int admin_create_operator(const Config& c, const std::string& phone, const std::string& password);
// Prints the newest SMS outbox messages as JSON lines, codes in clear (whoever runs it on the
// server machine can read the database anyway); code_only: just the newest SMS code of `phone`.
int admin_sms_outbox(const Config& c, const std::string& phone, int limit, bool code_only = false);
// Runs the scheduled jobs once.
int admin_run_jobs(const Config& c);
// Recomputes the transparency log from its stored entries and checks every checkpoint
// (docs/LEDGER.md "Audit"); prints a JSON report; exit 1 when it finds a problem.
int admin_ledger_audit(const Config& c);

}  // namespace certseal::app
