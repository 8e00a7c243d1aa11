// certseal: the CertSeal user's client (mobile shield on the command line). See docs/CLI.md.
#include "client/cli.h"

int main(int argc, char** argv) { return certseal::client::run_cli(argc, argv); }
