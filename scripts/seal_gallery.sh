#!/usr/bin/env bash
# Regenerates docs/seal-gallery.md and docs/seal-gallery/*.{png,svg} from what src/seal renders now.
# Usage: scripts/seal_gallery.sh [BUILD_DIR]   (default build/debug; builds the seal_gallery target)
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/debug}"
cmake --build "$build" --target seal_gallery >/dev/null
rm -rf docs/seal-gallery
mkdir -p docs/seal-gallery
# 150 dpi keeps the committed pictures small; the SVGs are resolution-free.
"$build/tests/seal_gallery" docs/seal-gallery docs/seal-gallery.md 150
echo "wrote docs/seal-gallery.md ($(ls docs/seal-gallery | wc -l) files, $(du -sh docs/seal-gallery | cut -f1))"
