#!/usr/bin/env bash
# test/browser/browser_test.sh REPORT.html [OUTDIR] - render a report in a
# real browser (headless Chromium) and check what it drew: a screenshot that
# is not blank and shows the report's colours, and a DOM with every section,
# the charts' bars, points and threshold lines and the tables' rows.
#
#   EXPECT="timeline confusion roc"   the optional sections the report must
#                                     have; when EXPECT is set (even to
#                                     "none"), the others must be absent
#   HEIGHT=2400                       the window's height in pixels
#   PAGE=monitor                      the page is anomaly_monitor_report's
#                                     (default: report, anomaly_report's)
#
# Writes OUTDIR/PAGE.png and OUTDIR/PAGE.dom.html (OUTDIR defaults to a
# temporary directory).  Installs chromium and python3 when missing (root or
# sudo).  Exits non-zero on failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPORT=${1:?usage: browser_test.sh REPORT.html [OUTDIR]}
OUTDIR=${2:-$(mktemp -d /tmp/anomaly-browser.XXXXXX)}
HEIGHT=${HEIGHT:-2400}
PAGE=${PAGE:-report}
export PAGE
started=$SECONDS

# Install the Debian packages whose commands are missing.
ensure_tools() {
    local missing="" sudo=""
    command -v chromium >/dev/null || missing="$missing chromium fonts-dejavu-core"
    command -v python3 >/dev/null || missing="$missing python3"
    [ -z "$missing" ] && return 0
    echo "installing:$missing"
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# Run headless Chromium on the report with a throw-away profile; extra args first.
chromium_run() {
    local profile status=0
    profile=$(mktemp -d /tmp/anomaly-chromium.XXXXXX)
    timeout 120 chromium --headless --no-sandbox --disable-gpu \
        --disable-background-networking --disable-extensions --no-first-run \
        --hide-scrollbars --user-data-dir="$profile" "$@" "file://$REPORT" || status=$?
    rm -rf "$profile"
    return $status
}

[ -f "$REPORT" ] || { echo "no such report: $REPORT" >&2; exit 2; }
REPORT=$(cd "$(dirname "$REPORT")" && pwd)/$(basename "$REPORT")
mkdir -p "$OUTDIR"
ensure_tools
echo "rendering $REPORT with $(chromium --version 2>/dev/null | head -1)"

rm -f "$OUTDIR/$PAGE.png"
chromium_run --screenshot="$OUTDIR/$PAGE.png" --window-size=1200,"$HEIGHT" \
    >"$OUTDIR/chromium.log" 2>&1 || { cat "$OUTDIR/chromium.log"; exit 1; }
chromium_run --dump-dom >"$OUTDIR/$PAGE.dom.html" 2>"$OUTDIR/chromium-dom.log" \
    || { cat "$OUTDIR/chromium-dom.log"; exit 1; }

status=0
if [ -s "$OUTDIR/$PAGE.png" ]; then
    echo "  ok   png: $OUTDIR/$PAGE.png, $(stat -c %s "$OUTDIR/$PAGE.png") bytes"
    python3 "$HERE/check_png.py" "$OUTDIR/$PAGE.png" || status=1
else
    echo "  FAIL png: no screenshot at $OUTDIR/$PAGE.png"
    status=1
fi
if [ "${EXPECT+set}" = set ]; then
    # shellcheck disable=SC2086  # EXPECT is a list of words
    python3 "$HERE/check_dom.py" "$OUTDIR/$PAGE.dom.html" ${EXPECT:-none} || status=1
else
    python3 "$HERE/check_dom.py" "$OUTDIR/$PAGE.dom.html" || status=1
fi
echo "browser test: $([ $status -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - started)) s"
exit $status
