#!/bin/sh
# Run a command next to a private pcscd whose only reader is the virtual
# passport's (vsmartcard-vpcd), as the tests and the demo do.
#
#   devices/pcsc/sandbox.sh [--port N] [--log FILE] -- COMMAND [ARGS...]
#
# The command runs in its own network and mount namespaces (unshare, as
# root): vpcd listens on the wildcard address, which in a namespace with
# only the loopback interface means 127.0.0.1 and nothing else, and the
# private /run/pcscd keeps a system pcscd, if any, out of the way; the
# private process namespace ends every process started inside when the
# command returns. Inside,
# APPM_VPCD_PORT names the port the virtual passport connects to, and
# APPM_PCSCD_PID, APPM_PCSCD_CONF and APPM_PCSCD_LOG the pcscd, its reader
# configuration and its log, for tests that stop pcscd and start it again.
set -eu

port=35963
log=/dev/null
while [ $# -gt 0 ]; do
	case "$1" in
	--port) port=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--inside) inside=1; shift ;;
	--) shift; break ;;
	*) echo "sandbox.sh: unknown option $1 (usage: sandbox.sh [--port N] [--log FILE] -- COMMAND)" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "sandbox.sh: no command given" >&2; exit 2; }

if [ -z "${inside:-}" ]; then
	command -v pcscd >/dev/null || { echo "sandbox.sh: pcscd is not installed (apt-get install pcscd vsmartcard-vpcd)" >&2; exit 2; }
	driver=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
	[ -e "$driver" ] || { echo "sandbox.sh: the vpcd reader driver is missing ($driver; apt-get install vsmartcard-vpcd)" >&2; exit 2; }
	exec unshare --net --mount --pid --fork --mount-proc -- "$0" --inside --port "$port" --log "$log" -- "$@"
fi

ip link set lo up
mkdir -p /run/pcscd
mount -t tmpfs -o mode=0755 tmpfs /run/pcscd
conf=$(mktemp -d /tmp/appm-pcsc.XXXXXX)
cat > "$conf/vpcd" <<CONF
FRIENDLYNAME "APPM Virtual Passport Reader"
DEVICENAME   /dev/null:$port
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    $port
CONF
pcscd --foreground --debug --apdu --config "$conf" >"$log" 2>&1 &
pcscd_pid=$!
cleanup() {
	kill "$pcscd_pid" 2>/dev/null || true
	wait "$pcscd_pid" 2>/dev/null || true
	rm -rf "$conf"
}
trap cleanup EXIT INT TERM
# Wait for pcscd's socket (at most 5 s).
i=0
while [ ! -S /run/pcscd/pcscd.comm ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -S /run/pcscd/pcscd.comm ] || { echo "sandbox.sh: pcscd did not start (see $log)" >&2; exit 2; }
export APPM_VPCD_PORT=$port
export APPM_PCSCD_PID=$pcscd_pid APPM_PCSCD_CONF=$conf APPM_PCSCD_LOG=$log
status=0
"$@" || status=$?
exit $status
