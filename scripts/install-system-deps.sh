#!/usr/bin/env bash
# System packages the tests and benchmarks need (Debian): a PostgreSQL server, Chromium for the
# browser tests (Playwright drives /usr/bin/chromium), fonts for its screenshots, and wrk for the
# web/API load benchmark, Pango for WeasyPrint's PDFs, poppler-utils to read them back. Installs only what is missing.
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
# WeasyPrint (PDF letters and statements) renders with Pango
ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0.so.0" || need+=(libpango-1.0-0 libpangoft2-1.0-0)
# the statement tests read the PDFs back with pdftotext (and pdftoppm shows them as pictures)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
# the inbound-mail tests run a private Dovecot IMAP server (its mail processes run as the user vmail)
[ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
id vmail >/dev/null 2>&1 || $SUDO useradd --system --no-create-home --shell /usr/sbin/nologin vmail
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "installing system packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
