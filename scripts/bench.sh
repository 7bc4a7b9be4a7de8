#!/usr/bin/env bash
# make bench: measure mongoconn against every budget of DESIGN.md §6 and
# §11 in one run and print a table, the paired ratios beside the budgets,
# mongosh, the Node.js driver and PyMongo beside mongoconn when they are
# installed (make drivers-install), and where the start-up CPU goes.
# BENCH_QUICK=1 skips the bare driver's 30-second defaults and the peers.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

# The binaries are built as they ship (make build): static, no local paths.
mkdir -p bin
for p in mongoconn:. bareping:./internal/bareping barestart:./internal/barestart; do
	CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "bin/${p%%:*}" "${p#*:}"
done
export MONGOCONN_BIN="$PWD/bin/mongoconn" BAREPING_BIN="$PWD/bin/bareping" BARESTART_BIN="$PWD/bin/barestart"

out=$(mktemp)
trap 'rm -f "$out" "$out.bare" "$out.mc"' EXIT
go test -run '^$' -bench '^Benchmark(PingPaired|VerdictRefused|VerdictSilent|DiscoverReplSet|PeakRSS|ManyTargets|Interrupt)$' -benchtime 10x -timeout 20m . | tee "$out" >&2
go test -run '^$' -bench '^BenchmarkStartCPU$' -benchtime 200x -timeout 10m . | tee -a "$out" >&2
go test -run '^$' -bench '^BenchmarkServe$' -benchtime 1x -timeout 10m . | tee -a "$out" >&2
go test -run '^$' -bench 'ManyTargets1000' -benchtime 3x -timeout 20m . | tee -a "$out" >&2
if [ "${BENCH_QUICK:-}" != 1 ]; then
	go test -run '^$' -bench 'DriverDefaults' -benchtime 1x -timeout 5m . | tee -a "$out" >&2
fi
go test -run '^$' -bench 'ReadLog' -benchtime 5x -benchmem ./explain | tee -a "$out" >&2
echo >&2
echo "Micro-benchmarks of the parsers (ns/op, allocations):" >&2
go test -run '^$' -bench . -benchmem ./internal/wire ./diagnose 2>/dev/null | grep -E '^Benchmark' >&2 || true

# metric VALUE of the benchmark line whose name matches $1 and unit is $2.
metric() { awk -v n="$1" -v u="$2" '$1 ~ n { for (i = 3; i < NF; i++) if ($(i+1) == u) { print $i; exit } }' "$out"; }

row() { # name result budget pass
	printf '| %-44s | %-14s | %-16s | %-4s |\n' "$1" "$2" "$3" "$4"
}
judge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && a <= b) ? "ok" : "MISS" }'; }
below() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && a < b) ? "ok" : "MISS" }'; }
atleast() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && a >= b) ? "ok" : "MISS" }'; }

echo
echo "| measurement                                  | result         | budget           | met  |"
echo "|----------------------------------------------|----------------|------------------|------|"
m=$(metric 'BenchmarkPingPaired' mongoconn-ms); d=$(metric 'BenchmarkPingPaired' bare-ms)
ratio=$(metric 'BenchmarkPingPaired' ratio)
row "ping on FerretDB (mongoconn / bare driver)" "${m} / ${d} ms" "§6 ratio <= 2" "$(judge "$ratio" 2)"
row "  median ratio of 10 paired runs" "${ratio}x" "§11 ratio <= 1.1" "$(judge "$ratio" 1.1)"
pc=$(metric 'BenchmarkPingPaired' mongoconn-cpu-ms); bc=$(metric 'BenchmarkPingPaired' bare-cpu-ms)
row "  CPU per run (mongoconn / bare driver)" "${pc} / ${bc} ms" "" ""
for p in mongosh node pymongo; do
	pm=$(metric 'BenchmarkPingPaired' "$p-ms"); pr=$(metric 'BenchmarkPingPaired' "$p/mongoconn")
	[ -n "$pm" ] && row "  peer: $p ping (x mongoconn)" "${pm} ms (${pr}x)" "" ""
done
sc=$(metric 'BenchmarkStartCPU' mongoconn-cpu-ms); sb=$(metric 'BenchmarkStartCPU' bare-cpu-ms); sr=$(metric 'BenchmarkStartCPU' ratio)
row "CPU of mongoconn version / driver-only program" "${sc} / ${sb} ms" "§11 ratio <= 1.1" "$(judge "$sr" 1.1)"
row "  ratio (200 paired runs)" "${sr}x" "" ""
r=$(metric 'BenchmarkVerdictRefused/mongoconn' ms/run)
row "verdict, refused port" "${r} ms" "§6 < 50 ms" "$(below "$r" 50)"
si=$(metric 'BenchmarkVerdictSilent' ms/run)
row "verdict, silent host, --timeout 1s" "${si} ms" "§6 < 1100 ms" "$(judge "$si" 1100)"
dr=$(metric 'BenchmarkDriverDefaults/refused' ms/run); ds=$(metric 'BenchmarkDriverDefaults/silent' ms/run)
[ -n "$dr" ] && row "  bare driver, defaults: refused / silent" "${dr} / ${ds} ms" "" ""
for c in discover diagnose; do
	t=$(metric "BenchmarkDiscoverReplSet/$c" trips/member); w=$(metric "BenchmarkDiscoverReplSet/$c" ms/run)
	row "$c, 3-member set, 20 ms/reply: msgs/member" "$t" "§6 < 5" "$(below "$t" 5)"
	[ "$c" = diagnose ] && row "  the busiest member, the driver's included" "$t" "§11 <= 3" "$(judge "$t" 3)"
	row "  wall time" "${w} ms" "" ""
done
for c in ping diagnose discover wire-check tunnel-check explain; do
	v=$(metric "BenchmarkPeakRSS/$c" MiB-rss)
	row "peak RSS: $c" "${v} MiB" "§6 < 30 MiB" "$(below "$v" 30)"
done
it=$(metric 'BenchmarkInterrupt' ms/exit)
row "exit after Ctrl-C during diagnose" "${it} ms" "< 200 ms" "$(below "$it" 200)"
lt=$(metric 'BenchmarkReadLog' MB/s); lm=$(metric 'BenchmarkReadLog' B/op)
row "explain --log, 16 MiB application log" "${lt} MB/s" "§11 >= 50 MB/s" "$(atleast "$lt" 50)"
[ -n "$lm" ] && row "  allocated per 16 MiB read" "$(awk -v b="$lm" 'BEGIN { printf "%.1f MiB", b / 1048576 }')" "" ""
mt=$(metric 'BenchmarkManyTargets/' ms/run); mr=$(metric 'BenchmarkManyTargets/' MiB-rss)
# Several targets at once are budgeted by §11 (64 MiB), not by §6's 30 MiB for one.
[ -n "$mt" ] && row "diagnose 200 targets: wall / RSS" "${mt} ms / ${mr} MiB" "§11 < 64 MiB" "$(below "$mr" 64)"
for c in ping-c256 ping-c256-ulimit1024 ping-c1000 diagnose-c256-ulimit1024; do
	w=$(metric "^BenchmarkManyTargets1000/$c-[0-9]+$" ms/run); r=$(metric "^BenchmarkManyTargets1000/$c-[0-9]+$" MiB-rss)
	g=$(metric "^BenchmarkManyTargets1000/$c-[0-9]+$" gc-cpu-%); n=$(metric "^BenchmarkManyTargets1000/$c-[0-9]+$" peak-fds)
	x=$(metric "^BenchmarkManyTargets1000/$c-[0-9]+$" false/run)
	[ -z "$w" ] && continue
	case $c in
	*c1000*) row "1000 targets, $c: wall / RSS" "${w} ms / ${r} MiB" "" "" ;;
	*) row "1000 targets, $c: wall" "${w} ms" "§11 < 2500 ms" "$(below "$w" 2500)"
	   row "  peak RSS" "${r} MiB" "§11 < 64 MiB" "$(below "$r" 64)" ;;
	esac
	row "  false findings per run" "${x}" "§11 0" "$(judge "$x" 0)"
	row "  collector's CPU share (gctrace); peak fds" "${g} %; ${n}" "" ""
done
sp=$(metric 'BenchmarkServe' p99-ms); s5=$(metric 'BenchmarkServe' p50-ms); sg=$(metric 'BenchmarkServe' ping-ms)
sr=$(metric 'BenchmarkServe' p99/ping); s1=$(metric 'BenchmarkServe' single-probe-ms); sm=$(metric 'BenchmarkServe' MiB-rss)
sc=$(metric 'BenchmarkServe' cpu-ms/probe)
if [ -n "$sp" ]; then
	row "serve, 100 probes/s for 10 s: p99 / ping" "${sp} / ${sg} ms" "§11 ratio < 2" "$(below "$sr" 2)"
	row "  ratio" "${sr}x" "" ""
	row "  p50; one probe at a time" "${s5} ms; ${s1} ms" "" ""
	row "  CPU per probe" "${sc} ms" "" ""
	row "serve: peak RSS" "${sm} MiB" "§11 < 64 MiB" "$(below "$sm" 64)"
fi

# Where the start-up CPU goes: the package initialisers of mongoconn
# version (GODEBUG=inittrace=1, mean of 20 runs) beside those of the
# driver-only program, the largest first.
inittrace() { # BIN ARGS...: "package ms bytes" per line, mean of 20 runs
	for _ in $(seq 20); do GODEBUG=inittrace=1 "$@" 2>&1 >/dev/null; done |
		awk '$1 == "init" { c[$2] += $5; by[$2] += $8 } END { for (k in c) printf "%s %.3f %d\n", k, c[k] / 20, by[k] / 20 }'
}
inittrace "$BARESTART_BIN" > "$out.bare"
inittrace "$MONGOCONN_BIN" version > "$out.mc"
echo
echo "Start-up: package initialisers of mongoconn version, mean of 20 runs (GODEBUG=inittrace=1)"
awk '{ t += $2; b += $3 } END { printf "  all packages: %.1f ms, %.0f KiB\n", t, b / 1024 }' "$out.mc"
awk '{ t += $2; b += $3 } END { printf "  the driver-only program: %.1f ms, %.0f KiB\n", t, b / 1024 }' "$out.bare"
echo "  packages the driver-only program does not link, by time (ms, KiB):"
awk 'NR == FNR { bare[$1] = 1; next } !($1 in bare)' "$out.bare" "$out.mc" | sort -k2 -g -r | head -12 |
	awk '{ printf "    %-58s %6.3f %7.1f\n", $1, $2, $3 / 1024 }'
rm -f "$out.bare" "$out.mc"
exit 0
