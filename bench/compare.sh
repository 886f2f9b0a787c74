#!/usr/bin/env bash
# Compares jaio's engines with fio, a C lio_listio loop and the JDK's file channels, in one
# sitting and interleaved (each round runs every contender once, so that a noisy minute hits all
# of them), then prints a table with the ratios that BENCHMARKS.md sets targets for.
#
#   bench/compare.sh                      # ~6 minutes with the defaults
#   ROUNDS=1 SECS=2 bench/compare.sh      # a quick look (~2.5 minutes)
#   ROUNDS=3 SECS=5 bench/compare.sh      # steadier medians (~9 minutes)
#
# Settings (environment):
#   FILE        file to read (default: $TMPDIR/jaio-bench-1g.dat, 1 GiB of random bytes, created
#               once). Must be on a file system with O_DIRECT (ext4, xfs; not tmpfs).
#   ROUNDS      interleaved rounds (default 2); the summary shows each round and the median.
#   SECS        seconds measured per run: fio runtime (plus 1 s ramp), lio_bench seconds, and
#               JMH measurement iterations of 1 s each (default 5).
#   WARMUP      JMH warm-up iterations of 1 s (default 3).
#   DIRECT_MODES  O_DIRECT variants of DirectReadBenchmark: refill,list (default both).
#   STRACE_LISTS  lists of 32 for the io_uring_enter count (default 5000; 0 skips the count).
#   BUILD       1: build jaio-bench/target/benchmarks.jar first (default); 0: use the one there.
#   JAVA        a java >= 22 (default: $JAVA_HOME/bin/java, else the first >= 22 in /usr/lib/jvm).
#   LIO_BENCH   the C lio_listio loop: a binary, or a .c file compiled here with gcc
#               (default: bench/lio_bench.c of this repository).
#   OUT         directory for raw results (default: /tmp/jaio-compare-DATE).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${ROUNDS:-2}
SECS=${SECS:-5}
WARMUP=${WARMUP:-3}
DIRECT_MODES=${DIRECT_MODES:-refill,list}
STRACE_LISTS=${STRACE_LISTS:-5000}
BUILD=${BUILD:-1}
OUT=${OUT:-/tmp/jaio-compare-$(date +%Y%m%d-%H%M%S)}
FILE=${FILE:-${TMPDIR:-/tmp}/jaio-bench-1g.dat}
LIO_BENCH=${LIO_BENCH:-$ROOT/bench/lio_bench.c}
JAR=$ROOT/jaio-bench/target/benchmarks.jar

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

find_java() {
    local c v
    for c in "${JAVA:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" /usr/lib/jvm/*/bin/java "$(command -v java || true)"; do
        [[ -n $c && -x $c ]] || continue
        v=$("$c" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
        if [[ ${v%%.*} =~ ^[0-9]+$ ]] && (( ${v%%.*} >= 22 )); then
            echo "$c"
            return 0
        fi
    done
    return 1
}

JAVA=$(find_java) || die "no java >= 22 found: set JAVA=/path/to/bin/java"
JDK_HOME=$(dirname "$(dirname "$(readlink -f "$JAVA")")")
mkdir -p "$OUT"
log "results in $OUT; java $JAVA"

# ---------------------------------------------------------------- what else runs (noise)
snapshot() { # TITLE: load and the busiest processes over one second (top's second frame)
    echo "== $1: load $(cut -d' ' -f1-3 /proc/loadavg)"
    top -b -n 2 -d 1 -w 160 2>/dev/null | awk '/^top -/{frame++} frame==2' | sed -n '3p;7,13p'
    if command -v fincore > /dev/null; then fincore "$FILE" | tail -1 | sed 's/^/   in page cache (fincore): /'; fi
}
{
    echo "date: $(date -u +%FT%TZ)"
    echo "kernel: $(uname -r)  cpus: $(nproc)  file: $FILE"
    snapshot "before"
} > "$OUT/machine.txt"

# ---------------------------------------------------------------- build and tools
if [[ $BUILD == 1 ]]; then
    log "building jaio-bench/target/benchmarks.jar"
    (cd "$ROOT" && JAVA_HOME=$JDK_HOME ./mvnw -q -pl jaio-bench -am package -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true) > "$OUT/build.log" 2>&1 \
        || { tail -40 "$OUT/build.log" >&2; die "build failed (log: $OUT/build.log)"; }
fi
[[ -f $JAR ]] || die "$JAR missing: run with BUILD=1"

HAVE_FIO=0
if command -v fio > /dev/null; then HAVE_FIO=1; else log "fio not found: the fio columns stay empty (apt-get install fio)"; fi

LIO=""
if [[ -x $LIO_BENCH && $LIO_BENCH != *.c ]]; then
    LIO=$LIO_BENCH
elif [[ -f $LIO_BENCH ]]; then
    gcc -O2 -o "$OUT/lio_bench" "$LIO_BENCH" -lrt && LIO=$OUT/lio_bench
fi
[[ -n $LIO ]] || log "no lio_bench ($LIO_BENCH): the C lio_listio column stays empty"

if [[ ! -f $FILE ]]; then
    log "creating $FILE (1 GiB of random bytes)"
    head -c $((1 << 30)) /dev/urandom > "$FILE.part"
    mv "$FILE.part" "$FILE"
fi
log "reading $FILE once so that it is cached"
cat "$FILE" > /dev/null   # (each page-cache run reads it again: the JMH forks in their set-up)

# ---------------------------------------------------------------- runners
FIO_COMMON=(--name=j --filename="$FILE" --rw=randread --bs=4k --time_based --runtime="$SECS" --ramp_time=1
            --norandommap --randrepeat=0)

warm() { # page-cache runs read the file once more first: the kernel may have evicted some of it
    cat "$FILE" > /dev/null
}

fio_run() { # NAME fio-args...
    local name=$1; shift
    [[ $HAVE_FIO == 1 ]] || return 0
    log "fio $name"
    # fio's default invalidate=1 drops the file's cached pages before an O_DIRECT job.
    [[ " $* " == *" --direct=0 "* ]] && warm
    fio "${FIO_COMMON[@]}" "$@" --output-format=json --output="$OUT/$name.json" > /dev/null
}

jmh_run() { # NAME REGEX jmh-args...
    local name=$1 regex=$2; shift 2
    log "jmh $name ($regex)"
    "$JAVA" -jar "$JAR" "$regex" -p file="$FILE" -f 1 -wi "$WARMUP" -w 1s -i "$SECS" -r 1s \
        -rf json -rff "$OUT/$name.json" "$@" > "$OUT/$name.txt" 2>&1 \
        || { tail -30 "$OUT/$name.txt" >&2; die "JMH run $name failed (log: $OUT/$name.txt)"; }
}

lio_run() { # NAME lio_bench-args...
    local name=$1; shift
    [[ -n $LIO ]] || return 0
    log "lio_bench $name"
    warm
    "$LIO" "$FILE" "$@" > "$OUT/$name.txt"
}

# ---------------------------------------------------------------- the rounds
for ((r = 1; r <= ROUNDS; r++)); do
    log "round $r of $ROUNDS"
    snapshot "round $r" >> "$OUT/machine.txt"
    fio_run "r${r}_fio_uring_batch32" --direct=0 --invalidate=0 --ioengine=io_uring --iodepth=32 \
        --iodepth_batch_submit=32 --iodepth_batch_complete_min=32
    jmh_run "r${r}_jmh_liowait" 'dev\.jaio\.bench\.LioWaitBenchmark\.' -prof gc
    lio_run "r${r}_lio_wait32" wait 32 "$SECS"
    lio_run "r${r}_lio_last32" last 32 "$SECS"
    jmh_run "r${r}_jmh_channels" 'dev\.jaio\.bench\.(Async)?FileChannelBenchmark\.' -prof gc
    fio_run "r${r}_fio_posixaio_qd32" --direct=0 --invalidate=0 --ioengine=posixaio --iodepth=32
    jmh_run "r${r}_jmh_lionowait" 'dev\.jaio\.bench\.LioNowaitBenchmark\.' -prof gc
    fio_run "r${r}_fio_direct_uring_qd32" --direct=1 --ioengine=io_uring --iodepth=32
    fio_run "r${r}_fio_direct_uring_batch32" --direct=1 --ioengine=io_uring --iodepth=32 \
        --iodepth_batch_submit=32 --iodepth_batch_complete_min=32
    jmh_run "r${r}_jmh_direct" 'dev\.jaio\.bench\.DirectReadBenchmark\.' -p mode="$DIRECT_MODES" -prof gc
done

# ---------------------------------------------------------------- io_uring_enter per list
if (( STRACE_LISTS > 0 )); then
    if ! command -v strace > /dev/null && [[ $(id -u) == 0 ]] && command -v apt-get > /dev/null; then
        log "installing strace"
        if ! apt-get install -y strace > "$OUT/apt.log" 2>&1; then
            apt-get update >> "$OUT/apt.log" 2>&1 && apt-get install -y strace >> "$OUT/apt.log" 2>&1 || true
        fi
    fi
    if command -v strace > /dev/null; then
        for n in 0 "$STRACE_LISTS"; do
            log "strace io_uring_enter, $n lists of 32"
            strace -f --seccomp-bpf -c -e trace=io_uring_enter -o "$OUT/strace_$n.txt" \
                "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$JAR" dev.jaio.bench.ListSyscallProbe io_uring "$n" "$FILE" \
                > "$OUT/strace_$n.out" 2>&1 || die "strace run failed: $OUT/strace_$n.out"
        done
    else
        log "strace missing: no io_uring_enter count"
    fi
fi

snapshot "after" >> "$OUT/machine.txt"

# ---------------------------------------------------------------- summary
python3 - "$OUT" "$ROUNDS" "$STRACE_LISTS" <<'PY' | tee "$OUT/summary.txt"
import json, os, re, statistics, sys

out, rounds, strace_lists = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def fio_iops(r, name):
    path = f'{out}/r{r}_{name}.json'
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read()
    return json.loads(text[text.index('{'):])['jobs'][0]['read']['iops']

def lio_iops(r, name):
    path = f'{out}/r{r}_{name}.txt'
    if not os.path.exists(path):
        return None
    m = re.search(r'\bIOPS=([0-9.]+)', open(path).read())
    return float(m.group(1)) if m else None

def jmh(r, name, bench, **params):
    path = f'{out}/r{r}_{name}.json'
    if not os.path.exists(path):
        return None, None
    for row in json.load(open(path)):
        if not row['benchmark'].endswith(bench):
            continue
        if any(row.get('params', {}).get(k) != v for k, v in params.items()):
            continue
        alloc = row.get('secondaryMetrics', {}).get('gc.alloc.rate.norm', {}).get('score')
        return row['primaryMetric']['score'], alloc
    return None, None

series = {}   # label -> [value per round]
alloc = {}    # label -> [B/op per round]
def add(label, fn):
    vals, allocs = [], []
    for r in range(1, rounds + 1):
        v = fn(r)
        if isinstance(v, tuple):
            v, a = v
            allocs.append(a)
        vals.append(v)
    series[label] = vals
    if allocs:
        alloc[label] = allocs

add('fio io_uring qd32 batched (page cache)', lambda r: fio_iops(r, 'fio_uring_batch32'))
add('fio posixaio qd32 (page cache)', lambda r: fio_iops(r, 'fio_posixaio_qd32'))
add('C lio_listio(LIO_WAIT, 32) (page cache)', lambda r: lio_iops(r, 'lio_wait32'))
add('C lio_listio(LIO_NOWAIT, 32) + aio_suspend on the last (page cache)', lambda r: lio_iops(r, 'lio_last32'))
for e in ('io_uring', 'posix', 'threads'):
    add(f'jaio {e} LIO_WAIT 32 (page cache)', lambda r, e=e: jmh(r, 'jmh_liowait', '.cachedRead', engine=e))
for e in ('io_uring', 'posix', 'threads'):
    add(f'jaio {e} LIO_NOWAIT+aioSuspend 32 (page cache)', lambda r, e=e: jmh(r, 'jmh_lionowait', '.cachedRead', engine=e))
add('AsynchronousFileChannel 32 in flight (page cache)', lambda r: jmh(r, 'jmh_channels', 'AsyncFileChannelBenchmark.cachedRead'))
add('FileChannel pread, 1 thread (page cache)', lambda r: jmh(r, 'jmh_channels', '.FileChannelBenchmark.cachedRead'))
add('fio io_uring qd32 O_DIRECT', lambda r: fio_iops(r, 'fio_direct_uring_qd32'))
add('fio io_uring qd32 batched O_DIRECT', lambda r: fio_iops(r, 'fio_direct_uring_batch32'))
for m in ('refill', 'list'):
    for e in ('io_uring', 'posix', 'threads'):
        add(f'jaio {e} O_DIRECT depth 32 {m}', lambda r, e=e, m=m: jmh(r, 'jmh_direct', '.directRead', engine=e, mode=m))

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

def fmt(x, ratio=False):
    if x is None:
        return '-'
    return f'{x:.2f}' if ratio else f'{x / 1000:.0f}k'

hdr = ' | '.join(f'round {r}' for r in range(1, rounds + 1))
print(f'\n## IOPS (4 KiB random reads), {rounds} round(s)\n')
print(f'| run | {hdr} | median | alloc B/op (median) |')
print('|---|' + '---|' * rounds + '---|---|')
for label, vals in series.items():
    if all(v is None for v in vals):
        continue
    a = med(alloc.get(label, [None]))
    print(f'| {label} | ' + ' | '.join(fmt(v) for v in vals) + f' | {fmt(med(vals))} | '
          + ('-' if a is None else f'{a:.1f}') + ' |')

ratios = [
    ('jaio io_uring / fio io_uring batched (page cache)', 'jaio io_uring LIO_WAIT 32 (page cache)',
     'fio io_uring qd32 batched (page cache)', 0.90),
    ('jaio io_uring / AsynchronousFileChannel (page cache)', 'jaio io_uring LIO_WAIT 32 (page cache)',
     'AsynchronousFileChannel 32 in flight (page cache)', 3.0),
    ('jaio posix / C lio_listio (page cache)', 'jaio posix LIO_WAIT 32 (page cache)',
     'C lio_listio(LIO_WAIT, 32) (page cache)', 0.90),
    ('jaio io_uring O_DIRECT (refill) / fio O_DIRECT io_uring', 'jaio io_uring O_DIRECT depth 32 refill',
     'fio io_uring qd32 O_DIRECT', 0.95),
    ('jaio threads / posix, O_DIRECT (refill)', 'jaio threads O_DIRECT depth 32 refill',
     'jaio posix O_DIRECT depth 32 refill', 3.0),
    ('jaio threads / posix (page cache)', 'jaio threads LIO_WAIT 32 (page cache)',
     'jaio posix LIO_WAIT 32 (page cache)', 1.3),
    ('jaio threads / AsynchronousFileChannel (page cache)', 'jaio threads LIO_WAIT 32 (page cache)',
     'AsynchronousFileChannel 32 in flight (page cache)', 1.0),
    ('(info) jaio posix / fio posixaio qd32 (page cache)', 'jaio posix LIO_WAIT 32 (page cache)',
     'fio posixaio qd32 (page cache)', None),
    ('(info) jaio posix LIO_NOWAIT / C LIO_NOWAIT + aio_suspend (page cache)',
     'jaio posix LIO_NOWAIT+aioSuspend 32 (page cache)',
     'C lio_listio(LIO_NOWAIT, 32) + aio_suspend on the last (page cache)', None),
    ('(info) jaio io_uring O_DIRECT list / fio O_DIRECT io_uring batched', 'jaio io_uring O_DIRECT depth 32 list',
     'fio io_uring qd32 batched O_DIRECT', None),
    ('(info) jaio io_uring O_DIRECT list / refill', 'jaio io_uring O_DIRECT depth 32 list',
     'jaio io_uring O_DIRECT depth 32 refill', None),
]
print('\n## Ratios (computed within each round; median of the rounds)\n')
print(f'| ratio | {hdr} | median | target | met? |')
print('|---|' + '---|' * rounds + '---|---|---|')
for name, num, den, target in ratios:
    per = []
    for r in range(rounds):
        n, d = series.get(num, [None] * rounds)[r], series.get(den, [None] * rounds)[r]
        per.append(n / d if n is not None and d else None)
    m = med(per)
    met = '-' if target is None or m is None else ('yes' if m >= target else f'no ({100 * m / target:.0f}% of target)')
    print(f'| {name} | ' + ' | '.join(fmt(p, True) for p in per) + f' | {fmt(m, True)} | '
          + ('-' if target is None else f'>= {target:g}') + f' | {met} |')

print('\n## Allocation per read (gc.alloc.rate.norm, all threads of the fork; target 0 B/op)\n')
for e in ('io_uring', 'posix', 'threads'):
    a = alloc.get(f'jaio {e} LIO_WAIT 32 (page cache)', [])
    print(f'- {e}, LIO_WAIT page cache: ' + ', '.join('-' if x is None else f'{x:.2f}' for x in a) + ' B/op')

def strace_calls(n):
    path = f'{out}/strace_{n}.txt'
    if not os.path.exists(path):
        return None
    for line in open(path):
        f = line.split()
        if f and f[-1] == 'io_uring_enter':
            return int(f[3])
    return 0

if strace_lists > 0:
    c0, c1 = strace_calls(0), strace_calls(strace_lists)
    if c0 is not None and c1 is not None:
        print(f'\n## io_uring_enter per list of 32 (strace -c -f, io_uring engine, LIO_WAIT, page cache)\n')
        print(f'- {c1} calls with {strace_lists} lists, {c0} with 0 lists (start-up and set-up): '
              f'{(c1 - c0) / strace_lists:.3f} per list (target 1)')
snaps = re.findall(r'^== (before|round \d+|after): load (\S+).*?\n%Cpu\(s\):.*?([0-9.]+) id', open(f'{out}/machine.txt').read(), re.M | re.S)
print('\nCPU used by other work, sampled for 1 s between runs (2 vCPUs; 100% = both busy): '
      + ', '.join(f'{w} {100 - float(idle):.0f}%' for w, load, idle in snaps))
print(f'raw results: {out}; machine, load and busiest processes: {out}/machine.txt')
PY
