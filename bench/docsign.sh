#!/usr/bin/env bash
# PDF sign + seal: our in-process signer (build/release/bench/docsign_sign) next to podofosign
# (PoDoFo 0.9.8, Debian) on the same 11-page ~800 KB PDF with the same RSA-2048 key and seal
# picture, whole process each (median of 7 runs); then a ~50 MB PDF with our signer's peak RSS.
# Holds /tmp/certseal-bench.lock while measuring. Writes the "docsign" section of docs/PERFORMANCE.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
bin=build/release/bench/docsign_sign
[ -x "$bin" ] || { echo "build it first: cmake --build build/release --target docsign_sign" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work" /tmp/certseal-bench.lock' EXIT
python3 bench/make_pdf.py "$work/doc11.pdf" 11 800000
python3 bench/make_pdf.py "$work/doc50.pdf" 200 52000000
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/root.key" -out "$work/root.pem" -days 30 -subj "/CN=Bench Root" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$work/leaf.key" -out "$work/leaf.csr" -subj "/CN=Bench Signer" 2>/dev/null
openssl x509 -req -in "$work/leaf.csr" -CA "$work/root.pem" -CAkey "$work/root.key" -CAcreateserial \
  -out "$work/leaf.pem" -days 30 2>/dev/null
seal=docs/seal-gallery/contract.png

touch /tmp/certseal-bench.lock
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timed CMD...: prints "MILLISECONDS PEAK_RSS_KB" (wall clock from bash, RSS from /usr/bin/time).
timed() {
  local t0=$EPOCHREALTIME rss
  rss=$( { /usr/bin/time -f '%M' "$@" >/dev/null; } 2>&1 | tail -1)
  local t1=$EPOCHREALTIME
  echo "$(python3 -c "print(round(($t1 - $t0) * 1000, 1))") $rss"
}
ours=() peer=() inproc=() warm=()
for i in 1 2 3 4 5 6 7; do
  ours+=("$(timed "$bin" "$work/doc11.pdf" "$work/ours.pdf" "$work/leaf.pem" "$work/leaf.key" "$seal" "$work/root.pem" 0)")
  both=$("$bin" "$work/doc11.pdf" "$work/ours2.pdf" "$work/leaf.pem" "$work/leaf.key" "$seal" "$work/root.pem")
  inproc+=("$(echo "$both" | awk '/in-process/ {print $3}')")
  warm+=("$(echo "$both" | awk '/warm-process/ {print $3}')")
  peer+=("$(timed podofosign -in "$work/doc11.pdf" -out "$work/peer.pdf" -cert "$work/leaf.pem" \
      -pkey "$work/leaf.key" -digest SHA256 -annot-position 1,20,20,40,40 -annot-print -annot-image 0,0,40,40,"$seal")")
done
big=$(timed "$bin" "$work/doc50.pdf" "$work/big.pdf" "$work/leaf.pem" "$work/leaf.key" "$seal" "$work/root.pem" 0)
rm -f /tmp/certseal-bench.lock

ours_s=$(printf '%s\n' "${ours[@]}" | awk '{print $1}' | median)
ours_kb=$(printf '%s\n' "${ours[@]}" | awk '{print $2}' | median)
peer_s=$(printf '%s\n' "${peer[@]}" | awk '{print $1}' | median)
inproc_ms=$(printf '%s\n' "${inproc[@]}" | median)
warm_ms=$(printf '%s\n' "${warm[@]}" | median)
ratio=$(python3 -c "print(round($inproc_ms / $peer_s, 2))")
warm_ratio=$(python3 -c "print(round($warm_ms / $peer_s, 2))")
peer_kb=$(printf '%s\n' "${peer[@]}" | awk '{print $2}' | median)
big_s=${big% *}; big_kb=${big#* }
size11=$(stat -c %s "$work/doc11.pdf"); size50=$(stat -c %s "$work/doc50.pdf")
qpdf --check "$work/ours.pdf" >/dev/null && qpdf --check "$work/big.pdf" >/dev/null
pdfsig "$work/ours.pdf" | grep -q "Signature is Valid" && pdfsig "$work/peer.pdf" | grep -q "Signature is Valid"
text="Measured $(date -u +%F) on the 2-core machine, build/release, whole process (wall clock around each run, peak RSS from \`/usr/bin/time\`; median of 7).

| PDF | signer | time | peak RSS |
|---|---|---|---|
| 11 pages, $size11 bytes | \`docsign_sign\` (ours: PAdES B-B, RSA-2048, seal picture) | ${ours_s} ms | ${ours_kb} KB |
| same | ours in process (prepare + RSA signature + finish, as \`sign_pdf\` runs in certseald), first signature of the process | ${inproc_ms} ms (${ratio}x podofosign) | |
| same | ours in process, later signatures in the same process (warm, as in a running certseald: the seal picture converted once is reused; median of 9) | ${warm_ms} ms (${warm_ratio}x) | |
| same | \`podofosign\` 0.9.8 (adbe.pkcs7.detached, RSA-2048, same picture) | ${peer_s} ms | ${peer_kb} KB |
| 200 pages, $size50 bytes | \`docsign_sign\` | ${big_s} ms | ${big_kb} KB |

Both outputs pass \`qpdf --check\` and \`pdfsig\` (signature valid). The 50 MB file is copied and hashed
in 1 MiB pieces and read by qpdf on demand: the peak RSS stays far below the file's size."
# (The note under the table in docs/PERFORMANCE.md on the goal was written by hand after the run.)
echo "$text"
write_performance_section docsign "PDF signing (docsign)" "$text"
