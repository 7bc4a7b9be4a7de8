#!/usr/bin/env bash
# make bench: measure mongoconn against the budgets of DESIGN.md §6 (and
# §11's for serve and for a thousand targets) and print a table. BENCH_QUICK=1 skips the bare driver's 30-second defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

mkdir -p bin
go build -o bin/mongoconn .
go build -o bin/bareping ./internal/bareping
export MONGOCONN_BIN="$PWD/bin/mongoconn" BAREPING_BIN="$PWD/bin/bareping"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test -run '^$' -bench 'Ping|Verdict|DiscoverReplSet|PeakRSS|ManyTargets$|Interrupt' -benchtime 10x -timeout 20m . | tee "$out" >&2
go test -run '^$' -bench 'Serve' -benchtime 1x -timeout 10m . | tee -a "$out" >&2
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
atleast() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && a >= b) ? "ok" : "MISS" }'; }

echo
echo "| measurement                                  | result         | budget           | met  |"
echo "|----------------------------------------------|----------------|------------------|------|"
m=$(metric 'BenchmarkPing/mongoconn' ms/run); d=$(metric 'BenchmarkPing/bare-driver' ms/run)
ratio=$(awk -v a="$m" -v b="$d" 'BEGIN { if (b > 0) printf "%.2f", a / b }')
row "ping on FerretDB (mongoconn / bare driver)" "${m} / ${d} ms" "ratio <= 2" "$(judge "$ratio" 2)"
row "  ratio" "${ratio}x" "" ""
s=$(metric 'BenchmarkPing/mongosh' ms/run); [ -n "$s" ] && row "  mongosh --eval ping (peer, for reference)" "${s} ms" "" ""
r=$(metric 'BenchmarkVerdictRefused/mongoconn' ms/run)
row "verdict, refused port" "${r} ms" "< 50 ms" "$(judge "$r" 50)"
si=$(metric 'BenchmarkVerdictSilent' ms/run)
row "verdict, silent host, --timeout 1s" "${si} ms" "< 1100 ms" "$(judge "$si" 1100)"
dr=$(metric 'BenchmarkDriverDefaults/refused' ms/run); ds=$(metric 'BenchmarkDriverDefaults/silent' ms/run)
[ -n "$dr" ] && row "  bare driver, defaults: refused / silent" "${dr} / ${ds} ms" "" ""
for c in discover diagnose; do
	t=$(metric "BenchmarkDiscoverReplSet/$c" trips/member); w=$(metric "BenchmarkDiscoverReplSet/$c" ms/run)
	row "$c, 3-member set, 20 ms/reply: trips/member" "$t" "<= 5" "$(judge "$t" 5)"
	row "  wall time" "${w} ms" "" ""
done
for c in ping diagnose discover wire-check tunnel-check explain; do
	v=$(metric "BenchmarkPeakRSS/$c" MiB-rss)
	row "peak RSS: $c" "${v} MiB" "< 30 MiB" "$(judge "$v" 30)"
done
it=$(metric 'BenchmarkInterrupt' ms/exit)
row "exit after Ctrl-C during diagnose" "${it} ms" "< 200 ms" "$(judge "$it" 200)"
lt=$(metric 'BenchmarkReadLog' MB/s); lm=$(metric 'BenchmarkReadLog' B/op)
row "explain --log, 16 MiB application log" "${lt} MB/s" ">= 50 MB/s" "$(atleast "$lt" 50)"
[ -n "$lm" ] && row "  allocated per 16 MiB read" "$(awk -v b="$lm" 'BEGIN { printf "%.1f MiB", b / 1048576 }')" "" ""
mt=$(metric 'BenchmarkManyTargets/' ms/run); mr=$(metric 'BenchmarkManyTargets/' MiB-rss)
# Several targets at once are budgeted by §11 (64 MiB), not by §6's 30 MiB for one.
[ -n "$mt" ] && row "diagnose 200 targets: wall / RSS" "${mt} ms / ${mr} MiB" "< 64 MiB" "$(judge "$mr" 64)"
for c in ping-c256 ping-c256-ulimit1024 ping-c1000 diagnose-c256-ulimit1024; do
	w=$(metric "^BenchmarkManyTargets1000/$c-[0-9]+$" ms/run); r=$(metric "^BenchmarkManyTargets1000/$c-[0-9]+$" MiB-rss)
	g=$(metric "^BenchmarkManyTargets1000/$c-[0-9]+$" gc-cpu-%); n=$(metric "^BenchmarkManyTargets1000/$c-[0-9]+$" peak-fds)
	x=$(metric "^BenchmarkManyTargets1000/$c-[0-9]+$" false/run)
	[ -z "$w" ] && continue
	case $c in
	*c1000*) row "1000 targets, $c: wall / RSS" "${w} ms / ${r} MiB" "" "" ;;
	*) row "1000 targets, $c: wall" "${w} ms" "< 2500 ms" "$(judge "$w" 2500)"
	   row "  peak RSS" "${r} MiB" "< 64 MiB" "$(judge "$r" 64)" ;;
	esac
	row "  false findings per run" "${x}" "0" "$(judge "$x" 0)"
	row "  collector's CPU share (gctrace); peak fds" "${g} %; ${n}" "" ""
done
sp=$(metric 'BenchmarkServe' p99-ms); s5=$(metric 'BenchmarkServe' p50-ms); sg=$(metric 'BenchmarkServe' ping-ms)
sr=$(metric 'BenchmarkServe' p99/ping); s1=$(metric 'BenchmarkServe' single-probe-ms); sm=$(metric 'BenchmarkServe' MiB-rss)
sc=$(metric 'BenchmarkServe' cpu-ms/probe)
if [ -n "$sp" ]; then
	row "serve, 100 probes/s for 10 s: p99 / ping" "${sp} / ${sg} ms" "ratio < 2" "$(judge "$sr" 2)"
	row "  ratio" "${sr}x" "" ""
	row "  p50; one probe at a time" "${s5} ms; ${s1} ms" "" ""
	row "  CPU per probe" "${sc} ms" "" ""
	row "serve: peak RSS" "${sm} MiB" "< 64 MiB" "$(judge "$sm" 64)"
fi
exit 0
