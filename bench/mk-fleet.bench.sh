#!/usr/bin/env bash
# mkFleet benchmark (not a test): evaluates generated fleets of 1,000 and
# 5,000 hosts (bench/mk-fleet-gen.nix) with
#   nix-instantiate --eval --strict --json   (resolved + healthChecks + warnings)
# several times each, interleaved, and reports wall time (best / median),
# peak memory (GNU time's max RSS, else NIX_SHOW_STATS' heap figures) and the
# 5k/1k ratio measured in the same run.
#
#   bash bench/mk-fleet.bench.sh [RUNS]     (default 7 runs per size)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
runs=${1:-7}
sizes=(1000 5000)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expr="{ n }: let f = import $here/mk-fleet-gen.nix { inherit n; }; in { inherit (f) resolved healthChecks warnings; }"
echo "$expr" >"$tmp/bench.nix"

have_time=0
[ -x /usr/bin/time ] && /usr/bin/time -f '%M' true >/dev/null 2>&1 && have_time=1

one() { # size -> "wall_ms rss_kb"
  local n=$1 t0 t1 rss
  t0=$(date +%s%N)
  if [ "$have_time" = 1 ]; then
    /usr/bin/time -o "$tmp/time" -f '%M' nix-instantiate --eval --strict --json "$tmp/bench.nix" --arg n "$n" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    rss=$(tail -1 "$tmp/time")
  else
    NIX_SHOW_STATS=1 NIX_SHOW_STATS_PATH="$tmp/stats.json" nix-instantiate --eval --strict --json "$tmp/bench.nix" --arg n "$n" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
    rss=$(node -e 'const s=require(process.argv[1]);console.log(Math.round(s.gc.totalBytes/1024))' "$tmp/stats.json")
  fi
  t1=$(date +%s%N)
  echo "$(((t1 - t0) / 1000000)) $rss"
}

# Warm-up (store paths, page cache), not counted.
for n in "${sizes[@]}"; do one "$n" >/dev/null; done

declare -A walls rsss
for ((r = 0; r < runs; r++)); do
  for n in "${sizes[@]}"; do
    read -r w m < <(one "$n")
    walls[$n]+="$w "
    rsss[$n]+="$m "
  done
done

stats() { # "a b c" -> "best median max"
  tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | awk '{v[NR]=$1} END {m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%d %d %d\n", v[1], m, v[NR]}'
}

echo "mkFleet benchmark: $runs runs per size, nix-instantiate $(nix-instantiate --version | awk '{print $NF}'), $(nproc) CPU(s)"
printf '%-7s %10s %10s %12s\n' hosts best_ms median_ms max_rss_MB
declare -A best median
for n in "${sizes[@]}"; do
  read -r b md _ < <(stats "${walls[$n]}")
  read -r _ _ mx < <(stats "${rsss[$n]}")
  best[$n]=$b
  median[$n]=$md
  printf '%-7s %10d %10d %12d\n' "$n" "$b" "$md" $((mx / 1024))
done
awk -v b1="${best[1000]}" -v b5="${best[5000]}" -v m1="${median[1000]}" -v m5="${median[5000]}" \
  'BEGIN { printf "ratio 5000/1000: best %.2f, median %.2f\n", b5 / b1, m5 / m1 }'
[ "$have_time" = 1 ] || echo "(memory: Nix's gc.totalBytes, /usr/bin/time not available)"
