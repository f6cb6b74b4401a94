#!/usr/bin/env bash
# Installs versitygw, the real S3-compatible server the storage/s3 tests run
# against (storage/s3/s3test). Idempotent: does nothing when versitygw is
# already on PATH. Takes a few minutes on first run (module download + build).
set -euo pipefail

VERSITYGW_VERSION="${VERSITYGW_VERSION:-v1.8.0}"
GOBIN_DIR="${GOBIN_DIR:-/usr/local/bin}"

if command -v versitygw >/dev/null 2>&1; then
	echo "versitygw already installed: $(command -v versitygw)"
	exit 0
fi

echo "installing versitygw ${VERSITYGW_VERSION} into ${GOBIN_DIR}"
CGO_ENABLED=0 GOBIN="${GOBIN_DIR}" go install "github.com/versity/versitygw/cmd/versitygw@${VERSITYGW_VERSION}"
"${GOBIN_DIR}/versitygw" --version || true
