#!/usr/bin/env bash
# macOS: build dist/Tansaku.app with PyInstaller (BUNDLE in build.spec) and wrap it in a compressed disk image with
# an /Applications link: dist/Tansaku-<version>-macos-<arch>.dmg. Run on a Mac (hdiutil is macOS-only); not testable
# on the Linux build machines.
#
#   resources/packaging/build_macos_dmg.sh
# Env: SKIP_BUILD=1 reuses dist/Tansaku.app; VERSION (default 0.1.0); CODESIGN_IDENTITY signs the app before packing
# (then notarise the dmg with `xcrun notarytool submit ... --wait` and `xcrun stapler staple`); SKIP_INSTALL=1 builds
# with what is installed (by default the app and PyInstaller are first installed into python3's environment at the
# exact versions in constraints.txt beside this script; packages only macOS installs are not pinned there).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIST="$ROOT/dist"
APP="$DIST/Tansaku.app"
VERSION=${VERSION:-0.1.0}
ARCH=$(uname -m)
DMG="$DIST/Tansaku-$VERSION-macos-$ARCH.dmg"

cd "$ROOT"
if [ "${SKIP_BUILD:-0}" != "1" ]; then
    if [ "${SKIP_INSTALL:-0}" != "1" ]; then
        python3 -m pip install -q torch==2.13.0 -e ".[packaging]" -c resources/packaging/constraints.txt
    fi
    python3 -m PyInstaller --noconfirm --clean build.spec
fi
[ -d "$APP" ] || { echo "no app bundle at $APP" >&2; exit 1; }

if [ -n "${CODESIGN_IDENTITY:-}" ]; then
    codesign --force --deep --options runtime --timestamp --sign "$CODESIGN_IDENTITY" "$APP"
fi

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$DMG"
hdiutil create -volname "Tansaku" -srcfolder "$STAGE" -fs HFS+ -format UDZO -imagekey zlib-level=9 -ov "$DMG"
echo "disk image: $DMG"
