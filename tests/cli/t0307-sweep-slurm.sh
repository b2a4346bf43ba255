#!/bin/sh
# sweep --emit slurm on a real single-node Slurm: munged, slurmctld and slurmd started here in
# the background with their configuration, state and sockets in a temporary folder (never the
# system's), the job array submitted with sbatch --wait, the merged sweep compared byte for
# byte with the local one; the daemons stopped after. Skips where they cannot start.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
for p in munged slurmctld slurmd sbatch sinfo; do
	command -v $p >/dev/null 2>&1 || skip "$p not installed (scripts/setup.sh: slurm-wlm, munge)"
done
[ "$(id -u)" = 0 ] || skip "not root: slurmd runs jobs as their users and must be root"
H=$(hostname -s 2>/dev/null) || skip "no host name"
S="$T/slurm"
mkdir -p "$S/munge" "$S/state" "$S/spool" "$S/logs"
chmod 755 "$T" "$S" "$S/munge"
dd if=/dev/urandom of="$S/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$S/munge.key"
# ports from the test's process id, away from the defaults (6817, 6818) of a real cluster
base=$((20000 + ($$ % 20000) * 2))
cat >"$S/slurm.conf" <<CONF
ClusterName=ismtest
SlurmctldHost=$H
SlurmctldPort=$base
SlurmdPort=$((base + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge/munge.socket.2
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/logs/slurmctld.log
SlurmdLogFile=$S/logs/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
ReturnToService=2
MpiDefault=none
NodeName=$H CPUs=$(nproc) State=UNKNOWN
PartitionName=ismtest Nodes=$H Default=YES MaxTime=10 State=UP
CONF
export SLURM_CONF="$S/slurm.conf"

stop_daemons() {
	for f in "$S/slurmd.pid" "$S/slurmctld.pid" "$S/munge/munged.pid"; do
		[ -s "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null || continue
		n=0
		while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.2; n=$((n + 1)); done
		kill -9 "$pid" 2>/dev/null
	done
}
trap 'stop_daemons; rm -rf "$T"' EXIT
why() { # REASON LOG: skip, with the log's last lines
	tail -n 5 "$2" >&2 2>/dev/null
	skip "$1"
}

timeout 20 munged --socket="$S/munge/munge.socket.2" --key-file="$S/munge.key" \
	--pid-file="$S/munge/munged.pid" --log-file="$S/logs/munged.log" \
	--seed-file="$S/munge/seed" >"$S/logs/munged.out" 2>&1 || why "munged did not start" "$S/logs/munged.out"
timeout 20 slurmctld -f "$SLURM_CONF" >"$S/logs/ctld.out" 2>&1 || why "slurmctld did not start" "$S/logs/ctld.out"
timeout 20 slurmd -f "$SLURM_CONF" >"$S/logs/d.out" 2>&1 || why "slurmd did not start" "$S/logs/d.out"
n=0
until timeout 5 sinfo -h -N -o %t 2>/dev/null | grep -q '^idle'; do
	n=$((n + 1))
	[ $n -lt 30 ] || why "the node did not come up in 30 s: $(timeout 5 sinfo -h -N -o %t 2>&1)" \
		"$S/logs/slurmctld.log"
	sleep 1
done

SC="$ISM_SRCDIR/scenarios/qemu-pseries.json"
set -- -s "$SC" -S direct-tce,indirect-tce:share-per-call,swiotlb \
	-p cost.h_put_tce.fixed_ns=100:100000:log:4 -p machine.swiotlb_bytes=1MiB,4MiB,8MiB -m run_ns \
	"$TRACES/pseries-noddw.txt.xz"
mkdir "$T/local" "$T/job"
(cd "$T/local" && "$ISM_BIN" sweep -O out "$@" >stdout 2>stderr) || fail "local sweep failed"
cd "$T/job" || fail "no $T/job"
expect_exit 0 "$ISM_BIN" sweep --emit slurm --block 4 -O out "$@"
grep -q '^#SBATCH --array=0-2$' out/sweep.sbatch || fail "not an array of 3 tasks"
timeout 300 sbatch --wait out/sweep.sbatch >"$OUT" 2>"$ERR" ||
	fail "sbatch --wait failed: $(cat "$ERR" out/logs/*.log 2>/dev/null | tail -5)"
[ "$(ls out/logs | wc -l)" -eq 3 ] || fail "not 3 task logs"
expect_exit 0 "$ISM_BIN" sweep --merge out
(cd "$T/local/out" && find . -type f) | sort >"$T/files"
while read -r f; do
	if [ "$f" = ./sweep.txt ]; then
		sed 4d "$T/local/out/$f" >"$T/a.txt"
		sed 4d "out/$f" >"$T/b.txt"
		cmp -s "$T/a.txt" "$T/b.txt" || fail "sweep.txt differs from the local one"
	else
		cmp -s "$T/local/out/$f" "out/$f" || fail "$f differs from the local sweep's"
	fi
done <"$T/files"
pass
