#!/bin/sh
# npm run package: a release tarball that unpacks into /opt/kalkan with everything kalkan
# needs at run time (the bundled CLI, its two addons, better-sqlite3 for the report
# outbox and the intake, the demo lists), and a Debian package of the same files with the
# systemd unit. Out: dist/kalkan-VERSION-linux-ARCH.tar.gz and dist/kalkan_VERSION_DEBARCH.deb.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
version=$(node -p 'require("./package.json").version')
arch=$(node -p 'process.arch')
[ -f build/resolver/bundle/kalkan.js ] || { echo "package: run npm run build first" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
app="$stage/kalkan"
mkdir -p "$app/bin" "$app/build/resolver" "$app/deploy" "$app/docs" "$app/node_modules" \
  "$app/blocklists/demo"
cp -R build/resolver/bundle "$app/build/resolver/"
rm -f "$app"/build/resolver/bundle/*.map
cp -R build/lists "$app/build/"
cp blocklists/demo/demo-publisher.pub "$app/blocklists/demo/"
# Kalkan's own addons (batched UDP, start-up pages handed back), where they were built.
for addon in udp_batch program_pages; do
  if [ -f "resolver/native/build/Release/$addon.node" ]; then
    mkdir -p "$app/resolver/native/build/Release"
    cp "resolver/native/build/Release/$addon.node" "$app/resolver/native/build/Release/"
  fi
done
# better-sqlite3 and what it requires at run time: its lib, its compiled addon, bindings.
mkdir -p "$app/node_modules/better-sqlite3/build/Release"
cp -R node_modules/better-sqlite3/lib node_modules/better-sqlite3/package.json \
  node_modules/better-sqlite3/LICENSE "$app/node_modules/better-sqlite3/"
cp node_modules/better-sqlite3/build/Release/better_sqlite3.node \
  "$app/node_modules/better-sqlite3/build/Release/"
cp -R node_modules/bindings node_modules/file-uri-to-path "$app/node_modules/"
rm -rf "$app/node_modules/file-uri-to-path/test"
node -e '
  const p = require("./package.json");
  const out = { name: p.name, version: p.version, license: p.license, type: "module",
    private: true, engines: p.engines, bin: { kalkan: "bin/kalkan" } };
  require("fs").writeFileSync(process.argv[1], JSON.stringify(out, null, 2) + "\n");
' "$app/package.json"
cp resolver/deploy/kalkan "$app/bin/kalkan"
chmod 0755 "$app/bin/kalkan"
cp resolver/deploy/kalkan-resolver.service resolver/deploy/resolver.example.yaml "$app/deploy/"
cp docs/operating-the-resolver.md "$app/docs/"

mkdir -p dist
tarball="dist/kalkan-$version-linux-$arch.tar.gz"
tar -C "$stage" --owner=0 --group=0 -czf "$tarball" kalkan
echo "wrote $tarball"

if command -v dpkg-deb >/dev/null 2>&1; then
  case "$arch" in x64) debarch=amd64 ;; arm64) debarch=arm64 ;; *) debarch=$arch ;; esac
  deb="$stage/deb"
  mkdir -p "$deb/opt" "$deb/lib/systemd/system" "$deb/etc/kalkan" "$deb/DEBIAN"
  cp -R "$app" "$deb/opt/kalkan"
  cp resolver/deploy/kalkan-resolver.service "$deb/lib/systemd/system/"
  cp resolver/deploy/resolver.example.yaml "$deb/etc/kalkan/resolver.yaml"
  cat >"$deb/DEBIAN/control" <<CONTROL
Package: kalkan
Version: $version
Architecture: $debarch
Maintainer: Kalkan <kalkan@example.invalid>
Section: net
Priority: optional
Recommends: nodejs (>= 20.19)
Description: Kalkan filtering DNS resolver
 Keeps children away from child-abuse and adult sites with signed hashed lists.
 Installs into /opt/kalkan; needs Node.js 20.19 or newer (bin/kalkan finds it).
CONTROL
  echo /etc/kalkan/resolver.yaml >"$deb/DEBIAN/conffiles"
  cat >"$deb/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
[ "$1" = configure ] || exit 0
ln -sf /opt/kalkan/bin/kalkan /usr/local/bin/kalkan
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  echo "kalkan: edit /etc/kalkan/resolver.yaml, then: systemctl enable --now kalkan-resolver"
  echo "kalkan: the first start copies it to /var/lib/kalkan/resolver.yaml, the config in force (the console saves there)"
fi
POSTINST
  cat >"$deb/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl stop kalkan-resolver || true; fi
[ "$1" = remove ] && rm -f /usr/local/bin/kalkan
exit 0
PRERM
  chmod 0755 "$deb/DEBIAN/postinst" "$deb/DEBIAN/prerm"
  dpkg-deb --root-owner-group --build "$deb" "dist/kalkan_${version}_$debarch.deb" >/dev/null
  echo "wrote dist/kalkan_${version}_$debarch.deb"
fi
