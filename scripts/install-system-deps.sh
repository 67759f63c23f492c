#!/usr/bin/env bash
# Install the Debian packages the tracker needs, but only the missing ones.
#
#   scripts/install-system-deps.sh run    # fonts + PDF tooling for `make run`
#   scripts/install-system-deps.sh test   # the above + chromium for browser tests
#
# Idempotent and fast when everything is present: no `apt-get update` is run
# unless at least one package is missing.
set -euo pipefail

mode="${1:-run}"

# CJK fonts so WeasyPrint renders Chinese text in PDFs (the bulletin's defaults are the
# TrueType arphic and wqy fonts: see benchmarks/RESULTS.md); fontconfig's fc-list, with
# which the app checks them at start; poppler-utils
# (pdftotext/pdftoppm) to read generated PDFs back; Pango/HarfBuzz are
# WeasyPrint's native libraries (already in the base image, listed to be safe).
run_pkgs=(
  fontconfig
  fonts-noto-cjk
  fonts-wqy-zenhei
  fonts-arphic-ukai
  fonts-arphic-uming
  poppler-utils
  libpango-1.0-0
  libpangoft2-1.0-0
  libharfbuzz-subset0
)
# Browser tests drive Debian's /usr/bin/chromium through Playwright; zbar-tools'
# zbarimg decodes the QR codes printed on 督办/催办通知单 back to the task's address.
# libreoffice-writer-nogui (soffice --headless) converts the bulletin's .docx to PDF in the tests, as WPS/Word would.
test_pkgs=("${run_pkgs[@]}" chromium zbar-tools libreoffice-writer-nogui)

case "$mode" in
  run)  wanted=("${run_pkgs[@]}") ;;
  test) wanted=("${test_pkgs[@]}") ;;
  *)
    echo "usage: $0 run|test" >&2
    exit 2
    ;;
esac

is_installed() {
  local status
  status="$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]]
}

missing=()
for pkg in "${wanted[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "install-system-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-system-deps: not root and no sudo; install them with:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "install-system-deps ($mode): installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2

# Fonts just arrived: refresh fontconfig's cache so WeasyPrint sees them.
if command -v fc-cache >/dev/null 2>&1; then
  fc-cache -f >/dev/null 2>&1 || true
fi
