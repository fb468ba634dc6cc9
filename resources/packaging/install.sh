#!/bin/sh
# Adds Tansaku to the desktop menu for the current user (no root): a launcher, the icon and ~/.local/bin/tansaku.
# Run it from the unpacked tarball: ./tansaku/install.sh  (./tansaku/install.sh --uninstall removes them again).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
APPS="$DATA/applications"
ICONS="$DATA/icons/hicolor/256x256/apps"
BIN="$HOME/.local/bin"

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$APPS/tansaku.desktop" "$ICONS/tansaku.png"
    [ -L "$BIN/tansaku" ] && rm -f "$BIN/tansaku"
    echo "Tansaku removed from the menu (the folder $HERE and your data are untouched)."
    exit 0
fi

mkdir -p "$APPS" "$ICONS" "$BIN"
cp "$HERE/share/tansaku.png" "$ICONS/tansaku.png"
sed -e "s|^Exec=.*|Exec=\"$HERE/tansaku\" %F|" -e "s|^Icon=.*|Icon=$ICONS/tansaku.png|" \
    "$HERE/share/tansaku.desktop" > "$APPS/tansaku.desktop"
ln -sf "$HERE/tansaku" "$BIN/tansaku"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$APPS" || true
echo "Tansaku added to the menu; 'tansaku' runs it from a terminal if ~/.local/bin is on your PATH."
