#!/usr/bin/env bash
# nginx from Debian's nginx-light as the per-request cost anchor, one
# process each (no master, one worker's work in the process itself, so its
# /proc/PID/stat is the whole cost), in the foreground:
#   scripts/nginx-middlebox.sh origin PORT           answers every request 200
#   scripts/nginx-middlebox.sh proxy PORT UPSTREAM   proxy_pass to 127.0.0.1:UPSTREAM
# The proxy opens a new upstream connection per request (no upstream
# keepalive), as wRPC over TCP opens one per call. No access log, as the
# gateway under the bench logs only errors.
set -euo pipefail
command -v nginx >/dev/null || { echo "nginx not installed; apt-get install nginx-light" >&2; exit 2; }
mode=${1:?origin or proxy}; port=${2:?port}
dir=$(mktemp -d -t wrpc-nginx-XXXXXX)
case "$mode" in
  origin) location='return 200 "Hello, bench!";' ;;
  proxy) location="proxy_pass http://127.0.0.1:${3:?upstream port};" ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
cat > "$dir/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log error;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  server {
    listen 127.0.0.1:$port reuseport backlog=4096;
    location / { $location }
  }
}
CONF
exec nginx -p "$dir" -c "$dir/nginx.conf"
