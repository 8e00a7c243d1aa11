// Wiring of one certseald process: logger, database, migrations, services, HTTP server.
#pragma once

#include <memory>

#include "app/config.h"
#include "base/log.h"
#include "base/result.h"
#include "store/db.h"

namespace certseal::app {

// The exact version string reported by /api/v1/info and --version.
extern const char* const kVersion;

Result<std::unique_ptr<Logger>> open_logger(const Config& c, const Clock& clock);
// Creates the data folder (mode 0700) when missing.
Status prepare_data_dir(const Config& c);
Result<std::unique_ptr<store::Database>> open_database(const Config& c);

// Runs the server until SIGTERM/SIGINT; returns the process exit code.
int serve(const Config& c);
// Applies pending migrations and prints {"applied":[...],"current":N}; returns the exit code.
int migrate_only(const Config& c);

}  // namespace certseal::app
