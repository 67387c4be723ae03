#!/usr/bin/env bash
# The image's build stage without a container engine: copy exactly what
# docker/Dockerfile's build stage COPYs into an empty folder and run its own
# `swift build` RUN line there (its output path moved into the folder). A
# file the build needs but the Dockerfile does not copy fails here, as it
# would for a user running `docker build`. Then the binary must run and be
# stripped.
set -euo pipefail
cd "$(dirname "$0")/.."
dockerfile=${DOCKERFILE:-docker/Dockerfile}
tmp=$(mktemp -d -t wrpc-docker-build-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
out="$tmp/out/wrpc-gateway"
mkdir -p "$tmp/src" "$tmp/out"

# The build stage: from the first FROM to the next one, continuation lines joined.
stage=$(awk '/^FROM /{n++} n==1' "$dockerfile" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta')
workdir=$(printf '%s\n' "$stage" | awk '$1=="WORKDIR"{print $2}' | tail -1)
[ "$workdir" = /src ] || { echo "docker-build-check: expected WORKDIR /src in the build stage, found '$workdir'"; exit 1; }
while read -r _ from to; do
  case "$from" in --*) echo "docker-build-check: COPY flags are not handled: $from"; exit 1 ;; esac
  dest="$tmp/src/${to#./}"
  if [ -d "$from" ]; then mkdir -p "$dest" && cp -R "$from/." "$dest/"; else mkdir -p "$(dirname "$dest")" && cp "$from" "$dest"; fi
done < <(printf '%s\n' "$stage" | awk '$1=="COPY"')
build=$(printf '%s\n' "$stage" | awk '$1=="RUN" && /swift build/ {sub(/^RUN[ \t]+/, ""); print}')
[ -n "$build" ] || { echo "docker-build-check: no RUN with swift build in the build stage"; exit 1; }
# The stage writes the binary to /wrpc-gateway; here it goes to $out.
build=${build// \/wrpc-gateway/ $out}
echo "docker-build-check: in a folder with $(cd "$tmp/src" && ls | tr '\n' ' ')"
echo "docker-build-check: $build"
(cd "$tmp/src" && bash -euo pipefail -c "$build")
"$out" --version
"$out" demo-backend --print-wit | diff - demo/wit/demo.wit >/dev/null || { echo "docker-build-check: the built binary's demo WIT differs"; exit 1; }
if readelf -S "$out" | grep -q '\.symtab'; then echo "docker-build-check: the binary is not stripped"; exit 1; fi
echo "docker-build-check: the image's build stage builds a stripped binary ($(du -h "$out" | cut -f1)) from exactly the files it copies"
