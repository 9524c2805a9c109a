#!/usr/bin/env bash
# Install the services the scale-out tests start (Debian's redis-server and postgresql) when
# they are missing. The tests start their own throwaway instances on free ports; nothing
# installed here needs to run.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install_services: need root or sudo to install ${need[*]}" >&2; exit 2; }
  sudo="sudo"
fi
echo "install_services: installing ${need[*]} (apt-get)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
