#!/usr/bin/env bash
# Issuing 100 point-to-site VPN client certificates from one root in one
# call, against the same with a loop of openssl (see docs/performance.md).
#
#   bash scripts/bench-issue.sh              # 3 pairs
#   BENCH_PAIRS=5 bash scripts/bench-issue.sh
#   BENCH_COUNT=20 bash scripts/bench-issue.sh   # fewer certificates per run
#
# A: azcert new --issuer root.pfx --count N --name-template 'user-{n:03}'
#    (.pfx with the chain, compat profile, and .cer for each).
# B: a bash loop of N times: openssl req -newkey rsa:2048 | openssl x509
#    -req -CA (clientAuth, digitalSignature+keyEncipherment, authority and
#    subject key ids), openssl x509 -outform der (.cer), openssl pkcs12
#    -export with the root as its chain and azcert's compat algorithms.
# The sides run alternately, A B A B ..., each into a fresh directory; the
# times are wall-clock, by hyperfine (-N, one run) where it is installed,
# else by bash's EPOCHREALTIME. Every run's output is checked: N .pfx files,
# and the last certificate verifies against the root with openssl verify.
set -euo pipefail
export LC_ALL=C

repo="$(cd "$(dirname "$0")/.." && pwd)"
pairs="${BENCH_PAIRS:-3}"
count="${BENCH_COUNT:-100}"
[[ "$pairs" =~ ^[1-9][0-9]?$ ]] || { echo "BENCH_PAIRS must be 1 to 99" >&2; exit 2; }
[[ "$count" =~ ^[1-9][0-9]{0,2}$ ]] || { echo "BENCH_COUNT must be 1 to 999" >&2; exit 2; }
for tool in go openssl awk; do
	command -v "$tool" >/dev/null || { echo "bench-issue.sh needs $tool" >&2; exit 2; }
done
hyperfine=""
if [[ -z "${BENCH_NO_HYPERFINE:-}" ]] && command -v hyperfine >/dev/null; then
	hyperfine="$(command -v hyperfine)"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/azcert-bench-issue.XXXXXX")"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
export PW=bench-Pa55word
cd "$work"
(cd "$repo" && go build -trimpath -ldflags '-s -w' -o "$work/azcert" ./cmd/azcert)
./azcert new --ca 'Bench P2S Root' --name root --password env:PW -q >/dev/null
openssl pkcs12 -in root.pfx -passin env:PW -nodes -nocerts -out root.key 2>/dev/null
openssl x509 -inform der -in root.cer -out root.pem

cat >ext.cnf <<'CNF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
cat >openssl-loop.sh <<'SH'
set -euo pipefail
out="$1" count="$2"
for ((i = 1; i <= count; i++)); do
	n="$(printf 'user-%03d' "$i")"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$out/$n.key" -subj "/CN=$n" -addext "subjectAltName=DNS:$n" 2>/dev/null |
		openssl x509 -req -CA root.pem -CAkey root.key -days 365 -sha256 -extfile ext.cnf -copy_extensions copy -out "$out/$n.pem" 2>/dev/null
	openssl x509 -in "$out/$n.pem" -outform der -out "$out/$n.cer"
	openssl pkcs12 -export -inkey "$out/$n.key" -in "$out/$n.pem" -certfile root.pem -keypbe DES-EDE3-CBC -certpbe DES-EDE3-CBC -macalg sha1 -passout env:PW -out "$out/$n.pfx"
done
SH

time_cmd() { # prints the wall-clock milliseconds of "$@"
	if [[ -n "$hyperfine" ]]; then
		"$hyperfine" -N --runs 1 --export-json hf.json "$(printf '%q ' "$@")" >/dev/null 2>&1
		awk -F: '/"mean"/ { gsub(/[ ,]/, "", $2); printf "%.1f\n", $2 * 1000; exit }' hf.json
		return
	fi
	local t0=$EPOCHREALTIME
	"$@" >/dev/null 2>&1
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'
}
check_out() { # dir: count .pfx files, the last one verifies against the root
	local n
	n="$(find "$1" -name '*.pfx' | wc -l)"
	[[ "$n" -eq "$count" ]] || { echo "bench: $1 holds $n .pfx files, want $count" >&2; exit 1; }
	last="$(printf 'user-%03d' "$count")"
	openssl x509 -inform der -in "$1/$last.cer" -out "$1/last.pem"
	openssl verify -CAfile root.pem -purpose sslclient "$1/last.pem" >/dev/null
}

tmpl='user-{n:03}'
: >times.txt
for ((p = 1; p <= pairs; p++)); do
	rm -rf a b && mkdir a b
	ta="$(time_cmd ./azcert new --issuer root.pfx --issuer-password env:PW --count "$count" --name-template "$tmpl" --out-dir a --password env:PW)"
	check_out a
	tb="$(time_cmd bash openssl-loop.sh b "$count")"
	check_out b
	echo "$ta $tb" >>times.txt
	printf 'bench: pair %d: azcert %s ms, openssl loop %s ms\n' "$p" "$ta" "$tb" >&2
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ma="$(awk '{ print $1 }' times.txt | median)"
mb="$(awk '{ print $2 }' times.txt | median)"
mr="$(awk '{ printf "%.4f\n", $1 / $2 }' times.txt | median)"
printf '\n%s certificates, %s pairs, %s CPUs, %s, %s\n' "$count" "$pairs" "$(getconf _NPROCESSORS_ONLN)" "$(go env GOVERSION)" "$(openssl version | awk '{ print $1, $2 }')"
printf '| side | median (ms) | min-max (ms) |\n|---|---|---|\n'
printf '| azcert new --issuer --count %s | %s | %s |\n' "$count" "$ma" "$(awk '{ print $1 }' times.txt | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { print a "-" b }')"
printf '| openssl loop | %s | %s |\n' "$mb" "$(awk '{ print $2 }' times.txt | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { print a "-" b }')"
printf 'median of the per-pair ratios azcert/openssl: %sx\n' "$mr"
