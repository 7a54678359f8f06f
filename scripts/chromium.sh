#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed (the browser tests drive /usr/bin/chromium
# through Microsoft.Playwright; Playwright's own browser download is not used).
set -euo pipefail
if [ -x "${ENGINE_CHROMIUM:-/usr/bin/chromium}" ]; then exit 0; fi
echo "chromium.sh: installing Chromium from Debian packages..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq chromium >&2
