#!/bin/sh
# A complete renewal in a real browser, inside devices/pcsc/sandbox.sh:
# the virtual passport in pcscd, the reference backend over TLS (a CA made
# now with openssl), the kiosk daemon serving its page, then renewal.mjs
# in headless chromium. Screenshots go to $APPM_ARTEFACTS (default
# build/tests/browser/artefacts).
#
#   run.sh BUILD_DIR SOURCE_DIR [SCRIPT]
#
# SCRIPT is renewal.mjs (the default: a whole renewal), errors.mjs (the
# error paths), overlays.mjs (Cancel everywhere, the backend down, an
# officer, inactivity), keys.mjs (the on-screen keyboard, and the CAN) or
# face-step.mjs (the camera step: a file camera playing appm-camsim's
# simulated applicant before HARTONO's passport, her photo on its chip).
set -eu
build=$1
src=$2
script=${3:-renewal.mjs}
art=${APPM_ARTEFACTS:-$build/tests/browser/artefacts/${script%.mjs}}
rm -rf "$art"
mkdir -p "$art"
modules=$src/tests/browser/node_modules
[ -d "$modules/playwright-core" ] || { echo "run.sh: npm packages missing: npm ci --prefix $src/tests/browser (./setup.sh test does it)" >&2; exit 1; }
command -v chromium >/dev/null || { echo "run.sh: chromium is not installed (apt-get install chromium)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/appm-browser.XXXXXX)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	pkill -f "$tmp/backend.db" 2>/dev/null || true # one a test started again
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

docgen=$build/devices/docgen/appm-docgen
"$docgen" pki --out "$tmp/pki" >/dev/null
# With the camera (renewal.mjs, face-step.mjs and serve: the whole
# journey), the simulated applicant is HARTONO, whose chip holds the
# portrait appm-camsim draws her from; the other scripts need no camera.
camera=no
case $script in renewal.mjs | face-step.mjs | serve) camera=yes ;; esac
persona=lestari
[ $camera = no ] || persona=hartono
"$docgen" doc --pki "$tmp/pki" --profile typical --persona $persona --out "$tmp/passport" >/dev/null
"$build/devices/vpassd/appm-vpass" --doc "$tmp/passport" --control "$tmp/vpass.sock" &
pids="$pids $!"

ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
openssl req -x509 $ec -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -subj /CN=APPM-test-CA 2>/dev/null
openssl req -x509 $ec -keyout "$tmp/backend.key" -out "$tmp/backend.pem" -subj /CN=127.0.0.1 \
	-CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -addext subjectAltName=IP:127.0.0.1 \
	-addext basicConstraints=CA:FALSE 2>/dev/null
# overlays.mjs stops the backend and starts it again with the same words.
backend_args="--listen 127.0.0.1:8443 --db $tmp/backend.db --cert $tmp/backend.pem --key $tmp/backend.key --renew-within 120 --admin-token appm-test"
"$build/devices/backend/appm-backend" $backend_args >"$tmp/backend.log" 2>&1 &
pids="$pids $!"
export APPM_BACKEND_PID=$! APPM_BACKEND_BIN="$build/devices/backend/appm-backend" APPM_BACKEND_ARGS="$backend_args"

# The example configuration; overlays.mjs waits on "are you still there?",
# so its fee screen asks after 5 s (the answer keeps its 20 s).
config=$tmp/kiosk.ini
cp "$src/kiosk/kiosk.example.ini" "$config"
if [ "$script" = overlays.mjs ]; then
	printf '[journey]\ninactivity.wait-fee = 5\ninactivity.wait-review = 6\nanswer = 20\nretry = 3\n' >>"$config"
fi
# keys.mjs waits on it at the access key: long enough to type the MRZ.
if [ "$script" = keys.mjs ]; then
	printf '[journey]\ninactivity.wait-access-key = 25\n' >>"$config"
fi
# The camera plays the sequence `current` names (face-step.mjs turns the
# link); the challenge is a turn to the left after 1 s, which the
# simulated holder makes at 3.5 s. A second passport (LESTARI's) for
# face-step.mjs's impostor.
if [ $camera = yes ]; then
	models=$src/devices/models/node_modules/faceplugin-face-recognition-js/model
	"$build/devices/camsim/appm-camsim" persona --models "$models" \
		--portrait /usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg --out "$tmp/camera" 2>/dev/null
	ln -s persona-turn-left "$tmp/camera/current"
	printf '[device camera]\nclass = camera\nconnection = file:%s/camera/current/%%03d.jpg@10\n' "$tmp" >>"$config"
	printf '[face]\nmodels = %s\nchallenge = turn-left\ndelay_ms = 1000\n' "$models" >>"$config"
	"$docgen" doc --pki "$tmp/pki" --profile typical --persona lestari --out "$tmp/passport2" >/dev/null
	other=$(sed -n 's/^mrz=//p' "$tmp/passport2/document.txt" | cut -c45-88)
	export APPM_CAMERA_DIR="$tmp/camera" APPM_OTHER_DOC="$tmp/passport2" APPM_HOLDER_DOC="$tmp/passport"
	export APPM_OTHER_MRZ="$(printf '%s' "$other" | cut -c1-9) $(printf '%s' "$other" | cut -c10) $(printf '%s' "$other" | cut -c14-19) $(printf '%s' "$other" | cut -c20) $(printf '%s' "$other" | cut -c22-27) $(printf '%s' "$other" | cut -c28)"
fi
"$build/kiosk/appm" kiosk --config "$config" --store "$tmp/kiosk.db" --socket "$tmp/kiosk.sock" \
	--trust "$tmp/pki/csca.pem" --backend https://127.0.0.1:8443 --backend-ca "$tmp/ca.pem" \
	--listen 127.0.0.1:8080 2>"$tmp/kiosk.log" &

pids="$pids $!"
i=0
until grep -Eq "reader: (present|placed)" "$tmp/kiosk.log" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "run.sh: the kiosk did not come up:" >&2; cat "$tmp/kiosk.log" >&2; exit 1; }
	sleep 0.1
done

# The MRZ's fields and check digits, as the applicant reads them.
mrz=$(sed -n 's/^mrz=//p' "$tmp/passport/document.txt")
line2=$(printf '%s' "$mrz" | cut -c45-88)
field() { printf '%s' "$line2" | cut -c"$1"; }
# The card access number, for the CAN path (keys.mjs).
export APPM_CAN="$(sed -n 's/^can=//p' "$tmp/passport/document.txt")"
# What errors.mjs drives besides the page: the passport and the backend.
export APPM_VPASS="$build/devices/vpassd/appm-vpass" APPM_VPASS_CTL="$tmp/vpass.sock"
export APPM_BACKEND_URL=https://127.0.0.1:8443 APPM_ADMIN_TOKEN=appm-test NODE_EXTRA_CA_CERTS="$tmp/ca.pem"
# What overlays.mjs drives and looks at: the officer's command, the store.
export APPM_STAFF="$build/kiosk/appm staff --config $config --socket $tmp/kiosk.sock" APPM_KIOSK_STORE="$tmp/kiosk.db"
# serve: the same kiosk for a person, in a chromium window (the sandbox
# has its own network: the page is reachable only from inside it).
if [ "$script" = serve ]; then
	if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
		echo "run.sh serve: no display (DISPLAY or WAYLAND_DISPLAY) to open chromium on" >&2
		exit 2
	fi
	echo "The kiosk's page opens in chromium. The passport on the reader: document number $(field 1-9)" \
		"(check digit $(field 10)), born $(field 14-19) ($(field 20)), expires $(field 22-27) ($(field 28));" \
		"CAN $APPM_CAN. Officer: $APPM_STAFF [resume|end]. Close the window to stop."
	root=""
	[ "$(id -u)" -ne 0 ] || root=--no-sandbox
	chromium $root --user-data-dir="$tmp/chromium" --autoplay-policy=no-user-gesture-required \
		--app=http://127.0.0.1:8080/ >"$tmp/chromium.log" 2>&1 || true
	exit 0
fi
status=0
node "$src/tests/browser/$script" http://127.0.0.1:8080/ "$art" \
	"$(field 1-9)" "$(field 10)" "$(field 14-19)" "$(field 20)" "$(field 22-27)" "$(field 28)" || status=$?
if [ $status -ne 0 ]; then
	echo "== the kiosk's log" >&2
	cat "$tmp/kiosk.log" >&2
fi
exit $status
