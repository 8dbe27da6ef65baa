#!/usr/bin/env bash
# Runs every fuzz target of the module, one after the other, for N seconds
# each (default 3): a regression guard for CI, and with a larger N the
# long local runs recorded in docs/reliability.md.
#
#   scripts/fuzz-smoke.sh            # each target 3 s (CI)
#   scripts/fuzz-smoke.sh 300        # each target 5 min
#   scripts/fuzz-smoke.sh 60 Load    # only targets whose name matches "Load"
#
# Environment: FUZZ_LOG_DIR (default: a temporary directory) keeps one log
# per target, whose last "fuzz: elapsed" line gives the time and executions;
# FUZZ_PARALLEL sets -parallel (default: GOMAXPROCS).
# A target that finds a failure writes the input to testdata/fuzz/<Target>/
# in its package, prints it, and makes the script exit 1 after all targets ran.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-3}"
filter="${2:-}"
logdir="${FUZZ_LOG_DIR:-$(mktemp -d)}"
mkdir -p "$logdir"
parallel=()
if [[ -n "${FUZZ_PARALLEL:-}" ]]; then parallel=(-parallel "$FUZZ_PARALLEL"); fi

# Package directory and target name of every "func FuzzXxx(f *testing.F)".
mapfile -t targets < <(grep -rEo --include='*_test.go' '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' . |
	sed -E 's#^\./(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]+)\(.*#\1 \2#' | sort -u)

failed=()
for t in "${targets[@]}"; do
	read -r dir name <<<"$t"
	if [[ -n "$filter" && ! "$name" =~ $filter ]]; then continue; fi
	log="$logdir/$name.log"
	start=$(date +%s)
	for try in 1 2; do
		status=FAIL
		if go test "./$dir" -run '^$' -fuzz "^${name}\$" -fuzztime "${seconds}s" -fuzzminimizetime 5s "${parallel[@]}" >"$log" 2>&1; then
			status=ok
			break
		fi
		# Go's fuzzing engine can report its own -fuzztime deadline as a
		# failure ("context deadline exceeded") when a slow input is still
		# running as the time runs out; no input failed then, and none is
		# written. A real failure always writes its input: that one counts.
		if grep -q 'Failing input written to' "$log" || ! grep -q 'context deadline exceeded' "$log"; then
			break
		fi
		status="ok (the engine's deadline, no failing input; try $try)"
	done
	if [[ $status == FAIL ]]; then failed+=("$dir $name"); fi
	last=$(grep -E '^fuzz: elapsed' "$log" | tail -n1 || true)
	printf '%-4s %-28s %-32s %4ss  %s\n' "$status" "$name" "./$dir" "$(($(date +%s) - start))" "${last#fuzz: }"
	if [[ $status == FAIL ]]; then tail -n 30 "$log"; fi
done

if ((${#failed[@]})); then
	echo "fuzz targets with failures: ${failed[*]}" >&2
	exit 1
fi
