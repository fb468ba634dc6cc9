#!/usr/bin/env bash
# Wrap the PyInstaller one-folder bundle in a .deb that a file manager installs on double-click:
# /opt/tansaku (the bundle), /usr/bin/tansaku (a link to it), the menu entry and icon, and Depends on the system
# libraries Qt's X11 plugin needs (the table in desktop/system_libraries.py). Uses dpkg-deb only (no debhelper).
#
#   resources/packaging/build_deb.sh [BUNDLE]   # BUNDLE defaults to dist/tansaku -> dist/tansaku_<version>_<arch>.deb
# Env: DIST (output folder, default <repo>/dist), WORK (staging, default <repo>/build), PYTHON (default python3),
# DEB_COMPRESSION (dpkg-deb -Z: gzip, the default, opens with every dpkg; xz is smaller and slower; none for tests),
# DEB_MAINTAINER (the Maintainer field).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIST=${DIST:-$ROOT/dist}
WORK=${WORK:-$ROOT/build}
PYTHON=${PYTHON:-python3}
BUNDLE=$(cd "${1:-$DIST/tansaku}" && pwd)
COMPRESSION=${DEB_COMPRESSION:-gzip}
MAINTAINER=${DEB_MAINTAINER:-Tansaku developers <tansaku@example.org>}
PACKAGING="$ROOT/resources/packaging"

[ -x "$BUNDLE/tansaku" ] || { echo "no executable at $BUNDLE/tansaku (build the bundle first)" >&2; exit 1; }
command -v dpkg-deb >/dev/null || { echo "dpkg-deb not found (Debian/Ubuntu: it comes with dpkg)" >&2; exit 1; }

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/pyproject.toml" | head -1)
ARCH=$(dpkg --print-architecture 2>/dev/null || true)
if [ -z "$ARCH" ]; then
    case $(uname -m) in x86_64) ARCH=amd64 ;; aarch64) ARCH=arm64 ;; *) ARCH=$(uname -m) ;; esac
fi
# The bundle's binaries were linked against this machine's glibc: older ones may lack symbols they use.
GLIBC=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
DEPENDS="$(cd "$ROOT" && "$PYTHON" -m desktop.system_libraries --debian-depends)"
[ -n "$GLIBC" ] && DEPENDS="libc6 (>= $GLIBC), $DEPENDS"
DEB="$DIST/tansaku_${VERSION}_${ARCH}.deb"

STAGE="$WORK/deb/tansaku_${VERSION}_${ARCH}"
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
    "$STAGE/usr/share/icons/hicolor/256x256/apps" "$STAGE/usr/share/doc/tansaku" "$DIST"
# Hard links when the bundle is on the same file system (1.2 GB not copied); dpkg-deb reads them like files.
cp -al "$BUNDLE" "$STAGE/opt/tansaku" 2>/dev/null || { rm -rf "$STAGE/opt/tansaku"; cp -a "$BUNDLE" "$STAGE/opt/tansaku"; }
rm -f "$STAGE/opt/tansaku/install.sh"  # the tarball's per-user menu installer: the package does that part
ln -s /opt/tansaku/tansaku "$STAGE/usr/bin/tansaku"
install -m 644 "$PACKAGING/tansaku.desktop" "$STAGE/usr/share/applications/tansaku.desktop"
install -m 644 "$ROOT/resources/icons/app/tansaku.png" "$STAGE/usr/share/icons/hicolor/256x256/apps/tansaku.png"
printf 'Tansaku %s\nLicense: Apache-2.0 (the bundled libraries keep their own licenses)\n' "$VERSION" \
    > "$STAGE/usr/share/doc/tansaku/copyright"

INSTALLED_KB=$(du -sk "$STAGE" | cut -f1)
cat > "$STAGE/DEBIAN/control" <<EOF
Package: tansaku
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $INSTALLED_KB
Depends: $DEPENDS
Section: utils
Priority: optional
Description: ask questions about your own folders
 Tansaku indexes the documents in folders you choose (PDF, Word, Markdown,
 HTML, EPUB, text) and answers questions about them with citations that open
 the exact passage. Keyword and semantic search run on this computer; answers
 come from any OpenAI-compatible endpoint. Model weights download on first use
 into the user's data folder, which removing the package leaves in place.
EOF

# Menu and icon caches: desktop-file-utils and hicolor-icon-theme also do this through dpkg triggers where present.
cat > "$STAGE/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q /usr/share/applications || true; fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true; fi
fi
exit 0
EOF
# Only the package's own folder goes; users' data folders (~/.local/share/Tansaku) are theirs and stay.
cat > "$STAGE/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
case "$1" in
    remove|purge)
        rm -rf /opt/tansaku
        if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q /usr/share/applications || true; fi
        if command -v gtk-update-icon-cache >/dev/null 2>&1; then gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true; fi
        ;;
esac
exit 0
EOF
chmod 755 "$STAGE" "$STAGE/DEBIAN/postinst" "$STAGE/DEBIAN/postrm"

start=$(date +%s)
dpkg-deb --root-owner-group -Z"$COMPRESSION" --build "$STAGE" "$DEB.part" >/dev/null
mv "$DEB.part" "$DEB"
rm -rf "$STAGE"
echo "deb: $(du -h "$DEB" | cut -f1) ($COMPRESSION, $(( $(date +%s) - start )) s) -> $DEB"
