# common.sh: helpers of the packs' reproduce.sh (sourced). ISM_BIN: the iommusim binary
# (default: iommusim on PATH), TRACES: the shipped traces (default: ../../traces from here).
ISM_BIN=${ISM_BIN:-iommusim}
PACKS=$(cd "$(dirname "$0")/.." && pwd)
TRACES=${TRACES:-$PACKS/../../traces}
# guest_sw SCENARIO TRACE SPEC [--set ...]: the DMA path's CPU time (ns, the whole trace)
guest_sw() {
	sc=$1 tr=$2 spec=$3
	shift 3
	"$ISM_BIN" run -s "$sc" -S "$spec" "$@" --format json "$tr" |
		awk '/"guest_sw_ns"/ { gsub(/[^0-9]/, ""); print; exit }'
}
# stat SCENARIO TRACE SPEC NAME [--set ...]: a registered statistic's value
stat() {
	sc=$1 tr=$2 spec=$3 name=$4
	shift 4
	"$ISM_BIN" run -s "$sc" -S "$spec" "$@" --format json "$tr" |
		awk -v k="\"$name\": {" 'index($0, k) { getline; gsub(/[^0-9.]/, ""); print; exit }'
}
