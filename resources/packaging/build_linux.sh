#!/usr/bin/env bash
# Build the Linux bundle: PyInstaller one-folder build, then dist/tansaku-linux-<arch>.tar.gz holding tansaku/ with
# the executable, share/tansaku.desktop, share/tansaku.png, share/system-libraries.txt and install.sh (adds the menu
# entry for the user, and names missing system libraries). Where dpkg-deb exists, also dist/tansaku_<ver>_<arch>.deb
# (build_deb.sh; SKIP_DEB=1 skips it).
# An AppImage is made too, but only when appimagetool is on PATH (it is not packaged in Debian or on PyPI).
#
#   resources/packaging/build_linux.sh            # install the pinned dependencies, build, tarball into dist/
#   SKIP_BUILD=1 resources/packaging/build_linux.sh   # package an existing dist/tansaku
# Before building it installs the app and PyInstaller into $PYTHON's environment at the exact versions in
# constraints.txt (beside this script), so a bundle can be rebuilt with the same dependencies; SKIP_INSTALL=1 builds
# with what is installed.
# Env: DIST (default <repo>/dist), WORK (default <repo>/build), PYTHON (default python3), SKIP_INSTALL.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIST=${DIST:-$ROOT/dist}
WORK=${WORK:-$ROOT/build}
PYTHON=${PYTHON:-python3}
ARCH=$(uname -m)
BUNDLE="$DIST/tansaku"
TARBALL="$DIST/tansaku-linux-$ARCH.tar.gz"
PACKAGING="$ROOT/resources/packaging"

cd "$ROOT"
if [ "${SKIP_BUILD:-0}" != "1" ]; then
    if [ "${SKIP_INSTALL:-0}" != "1" ]; then
        "$PYTHON" -m pip install -q torch==2.13.0 -e ".[packaging]" -c "$PACKAGING/constraints.txt"
    fi
    start=$(date +%s)
    "$PYTHON" -m PyInstaller --noconfirm --clean --distpath "$DIST" --workpath "$WORK" build.spec
    echo "PyInstaller build took $(( $(date +%s) - start )) s"
fi
[ -x "$BUNDLE/tansaku" ] || { echo "no executable at $BUNDLE/tansaku" >&2; exit 1; }

mkdir -p "$BUNDLE/share"
cp "$PACKAGING/tansaku.desktop" "$BUNDLE/share/tansaku.desktop"
cp "$ROOT/resources/icons/app/tansaku.png" "$BUNDLE/share/tansaku.png"
"$PYTHON" -m desktop.system_libraries --table > "$BUNDLE/share/system-libraries.txt"
install -m 755 "$PACKAGING/install.sh" "$BUNDLE/install.sh"

# Prefer the parallel gzip when present; the result is an ordinary .tar.gz either way.
if command -v pigz >/dev/null 2>&1; then COMPRESS="pigz -6"; else COMPRESS="gzip -6"; fi
tar -C "$DIST" -cf - tansaku | $COMPRESS > "$TARBALL.part"
mv "$TARBALL.part" "$TARBALL"
echo "bundle: $(du -sh "$BUNDLE" | cut -f1)  tarball: $(du -sh "$TARBALL" | cut -f1)  -> $TARBALL"

if [ "${SKIP_DEB:-0}" != "1" ] && command -v dpkg-deb >/dev/null 2>&1; then
    DIST="$DIST" WORK="$WORK" PYTHON="$PYTHON" "$PACKAGING/build_deb.sh" "$BUNDLE"
fi

if command -v appimagetool >/dev/null 2>&1; then
    APPDIR="$WORK/Tansaku.AppDir"
    rm -rf "$APPDIR"
    mkdir -p "$APPDIR/usr"
    cp -al "$BUNDLE" "$APPDIR/usr/tansaku" 2>/dev/null || cp -a "$BUNDLE" "$APPDIR/usr/tansaku"
    cp "$PACKAGING/tansaku.desktop" "$APPDIR/tansaku.desktop"
    cp "$ROOT/resources/icons/app/tansaku.png" "$APPDIR/tansaku.png"
    printf '#!/bin/sh\nHERE=$(dirname "$(readlink -f "$0")")\nexec "$HERE/usr/tansaku/tansaku" "$@"\n' > "$APPDIR/AppRun"
    chmod +x "$APPDIR/AppRun"
    ARCH="$ARCH" appimagetool "$APPDIR" "$DIST/Tansaku-$ARCH.AppImage"
    echo "AppImage: $DIST/Tansaku-$ARCH.AppImage"
else
    echo "appimagetool not found: no AppImage (the tarball is the Linux package)."
fi
