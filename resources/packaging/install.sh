#!/bin/sh
# Adds Tansaku to the desktop menu for the current user (no root): a launcher, the icon and ~/.local/bin/tansaku.
# Run it from the unpacked tarball: ./tansaku/install.sh  (./tansaku/install.sh --uninstall removes them again;
# ./tansaku/install.sh --check only checks that the system libraries Qt needs are installed, exit 1 if not).
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

# Qt's X11 plugin needs system libraries the bundle does not carry; name the missing ones and their packages.
# ldd follows the plugin's dependencies the way the loader will (bundled copies first); share/system-libraries.txt
# maps each soname to its Debian and Fedora package (written by build_linux.sh from desktop/system_libraries.py).
check_libraries() {
    plugin="$HERE/_internal/PySide6/Qt/plugins/platforms/libqxcb.so"
    table="$HERE/share/system-libraries.txt"
    [ -f "$plugin" ] && [ -f "$table" ] && command -v ldd >/dev/null 2>&1 || return 0
    missing=$(LD_LIBRARY_PATH="$HERE/_internal:$HERE/_internal/PySide6/Qt/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
        ldd "$plugin" 2>/dev/null | awk '$2 == "=>" && $3 == "not" {print $1}' | sort -u)
    [ -n "$missing" ] || return 0
    debs="" rpms=""
    for so in $missing; do
        debs="$debs $(awk -v so="$so" '$1 == so {print $2}' "$table")"
        rpms="$rpms $(awk -v so="$so" '$1 == so {print $3}' "$table")"
    done
    debs=$(echo $debs | tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' ')
    rpms=$(echo $rpms | tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' ')
    echo "Tansaku needs these system libraries to open its window:" $missing
    echo "  Debian/Ubuntu: sudo apt install ${debs% }"
    echo "  Fedora:        sudo dnf install ${rpms% }"
    return 1
}

if [ "${1:-}" = "--check" ]; then
    check_libraries && echo "All system libraries Tansaku needs are installed."
    exit $?
fi

libraries_ok=1
check_libraries || libraries_ok=0
mkdir -p "$APPS" "$ICONS" "$BIN"
cp "$HERE/share/tansaku.png" "$ICONS/tansaku.png"
sed -e "s|^Exec=.*|Exec=\"$HERE/tansaku\" %F|" -e "s|^Icon=.*|Icon=$ICONS/tansaku.png|" \
    "$HERE/share/tansaku.desktop" > "$APPS/tansaku.desktop"
ln -sf "$HERE/tansaku" "$BIN/tansaku"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$APPS" || true
echo "Tansaku added to the menu; 'tansaku' runs it from a terminal if ~/.local/bin is on your PATH."
[ "$libraries_ok" = 1 ] || echo "Install the system libraries named above before starting it."
