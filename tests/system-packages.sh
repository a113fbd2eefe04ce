#!/usr/bin/env bash
# Debian packages the integration tests drive for real. Installs what is missing when run as
# root; otherwise names the packages and stops.
set -euo pipefail

declare -A needed=(
  [dig]=dnsutils
  [kdig]=knot-dnsutils
  [unbound]=unbound
  [dnsperf]=dnsperf
  [dnsmasq]=dnsmasq-base
  [named]=bind9
  [chromium]=chromium
  # the release package test: the .deb, systemd's readiness client and a NOTIFY_SOCKET listener
  [dpkg-deb]=dpkg
  [systemd-notify]=systemd
  [python3]=python3
  [pdns_recursor]=pdns-recursor
  [kresd]=knot-resolver
  [rndc]=bind9-utils
  # the console's schedule test moves kalkan serve's clock with libfaketime
  [faketime]=faketime
  # encrypted DNS (issue 14): the test CA, curl's DoH client, the load balancer
  [openssl]=openssl
  [curl]=curl
  [dnsdist]=dnsdist
  # npm run bench:encrypted: the DoH load
  [h2load]=nghttp2-client
  # the HTTP/2 layer's tests: nghttp2's own client
  [nghttp]=nghttp2-client
)
missing=()
for cmd in "${!needed[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ]; then
    missing+=("${needed[$cmd]}")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "The tests need these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
# The tests run every daemon as their own child process on free loopback ports: keep the
# packages' system services (named, unbound, pdns-recursor, kresd, dnsmasq) from starting.
policy=/usr/sbin/policy-rc.d
own_policy=no
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=yes
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
[ "$own_policy" = yes ] && rm -f "$policy"
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now named unbound pdns-recursor kresd@1 dnsmasq >/dev/null 2>&1 || true
fi
