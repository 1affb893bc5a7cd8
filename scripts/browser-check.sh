#!/usr/bin/env bash
# The reports' HTML in a real browser: builds the demo store, renders the
# handover report (English and Chinese) and a rep's digest, and opens each
# page in headless Chromium at 1280 px (a desktop) and 420 px (a phone).
# Fails when a page is wider than the window (something would scroll
# sideways or be cut off) or when a chart of the handover report is missing
# or has no bars. Screenshots of every page at both widths are kept under
# target/browser-check/ (CI keeps them as artifacts; look at them).
#
# Needs chromium and a CJK font (Debian: apt-get install chromium
# fonts-noto-cjk; .ci/run installs them) and python3. CRM names the crm
# binary to use (default: build it with cargo).
#
# A headless window is never narrower than 500 px, so each page is opened
# in a frame of the width under test inside a host page, with a probe
# added to a copy of the page (never to what crm writes) that measures it
# and posts what it found to the host, whose DOM Chromium prints.
set -euo pipefail
cd "$(dirname "$0")/.."

browser=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$browser" ] || { echo "browser-check: chromium is not installed (apt-get install chromium fonts-noto-cjk)" >&2; exit 2; }
if [ -z "${CRM:-}" ]; then
  cargo build --quiet
  CRM="${CARGO_TARGET_DIR:-$PWD/target}/debug/crm"
fi
out="${CARGO_TARGET_DIR:-$PWD/target}/browser-check"
rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The demo store, on the demo's own day.
export CRM_TODAY=2026-11-26 GIT_AUTHOR_DATE=2026-11-26T09:00:00+08:00 GIT_COMMITTER_DATE=2026-11-26T09:00:00+08:00
(cd "$work" && "$CRM" demo -q >/dev/null)
store="$work/crm-demo"
# Pages to check: name, charts it must have, and the crm command making it.
pages=(
  "handover-en 2 report handover --since 14d --format html --lang en"
  "handover-zh-CN 2 report handover --since 14d --format html --lang zh-CN"
  "digest-en 0 report digest --for chen.jie --format html --lang en"
  "digest-zh-CN 0 report digest --for chen.jie --format html --lang zh-CN"
)

chrome() {
  local profile
  profile=$(mktemp -d "$work/profile.XXXXXX")
  timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --user-data-dir="$profile" "$@" 2>/dev/null
  rm -rf "$profile"
}

# A host page showing PAGE in a frame WIDTH x HEIGHT, printing what the
# probe in the frame posts.
host() {
  cat <<EOF
<!DOCTYPE html><html><head><meta charset="utf-8"/></head>
<body style="margin:0;background:#555">
<iframe src="$1" style="display:block;border:0;width:$2px;height:$3px;background:#fff"></iframe>
<pre id="found"></pre>
<script>addEventListener('message', function (e) { document.getElementById('found').textContent = e.data; });</script>
</body></html>
EOF
}

probe='<script>(function () {
  var w = window.innerWidth, doc = document.documentElement, wide = [];
  document.querySelectorAll("body *").forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.right > w + 0.5 && e.children.length === 0) wide.push(e.tagName + " ends at " + Math.round(r.right) + "px: " + (e.textContent || "").trim().slice(0, 60));
  });
  var charts = Array.prototype.map.call(document.querySelectorAll("table.chart"), function (c) {
    return { chart: c.getAttribute("data-chart"), bars: c.querySelectorAll("td.bar").length, shown: c.getBoundingClientRect().width > 0 };
  });
  parent.postMessage(JSON.stringify({ width: w, scrollWidth: doc.scrollWidth, height: doc.scrollHeight, charts: charts, wide: wide.slice(0, 10) }), "*");
})();</script>'

failed=0
for spec in "${pages[@]}"; do
  read -r name charts args <<<"$spec"
  # shellcheck disable=SC2086 # the arguments are words
  if ! "$CRM" -C "$store" $args >"$out/$name.html"; then
    echo "FAIL $name: crm $args failed" >&2
    failed=1
    continue
  fi
  python3 - "$out/$name.html" "$work/$name-probe.html" "$probe" <<'EOF'
import sys
page, probe_copy, probe = sys.argv[1:]
html = open(page, encoding="utf-8").read()
open(probe_copy, "w", encoding="utf-8").write(html.replace("</body>", probe + "\n</body>"))
EOF
  for width in 1280 420; do
    host "$name-probe.html" "$width" 900 >"$work/$name-host.html"
    found=$(chrome --window-size=$((width > 500 ? width : 500)),900 --virtual-time-budget=5000 --dump-dom "file://$work/$name-host.html" |
      python3 -c 'import sys, re, html; m = re.search(r"<pre id=\"found\">(.*?)</pre>", sys.stdin.read(), re.S); print(html.unescape(m.group(1)) if m else "")')
    if [ -z "$found" ]; then
      echo "FAIL $name at ${width}px: the page could not be measured" >&2
      failed=1
      continue
    fi
    verdict=$(python3 - "$found" "$charts" "$width" <<'EOF'
import json, sys
found, charts, width = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
problems = []
if found["width"] != width:
    problems.append(f"the frame is {found['width']}px wide, not {width}px")
if found["scrollWidth"] > found["width"]:
    problems.append(f"the page is {found['scrollWidth']}px wide in a {found['width']}px window: " + "; ".join(found["wide"]))
if len(found["charts"]) < charts:
    problems.append(f"{len(found['charts'])} chart(s) instead of {charts}")
for c in found["charts"]:
    if c["bars"] == 0 or not c["shown"]:
        problems.append(f"chart {c['chart']} shows no bars")
print("ok height=%d" % found["height"] if not problems else "FAIL " + " | ".join(problems))
EOF
)
    case $verdict in
      ok*)
        height=${verdict#ok height=}
        height=$((height > 16000 ? 16000 : height))
        host "$name.html" "$width" "$height" >"$work/$name-shot.html"
        cp "$out/$name.html" "$work/$name.html"
        chrome --window-size=$((width > 500 ? width : 500)),"$height" --screenshot="$out/$name-$width.png" "file://$work/$name-shot.html" >/dev/null
        echo "ok   $name at ${width}px ($out/$name-$width.png)"
        ;;
      *)
        echo "$verdict" | sed "s|^FAIL|FAIL $name at ${width}px:|" >&2
        failed=1
        ;;
    esac
  done
done
exit "$failed"
