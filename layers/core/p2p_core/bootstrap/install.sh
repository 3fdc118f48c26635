# p2p install helpers (p2p_core/bootstrap/install.sh, part of the user data). Every download and package
# install is retried with a growing pause, apt-get waits for first boot's apt/dpkg lock (cloud-init,
# unattended-upgrades) instead of failing on it, and what still fails is logged and recorded in
# $P2P_INSTALL_FAILED, which the agent runner reports on every run (log line, exit code 4).
P2P_INSTALL_FAILED=${P2P_INSTALL_FAILED:-/var/lib/p2p-agent/install-failed}
P2P_ATTEMPTS=${P2P_ATTEMPTS:-5}
P2P_PAUSE=${P2P_PAUSE:-10}

p2p_failed() {
  echo "p2p: $*" >&2
  echo "$*" >> "$P2P_INSTALL_FAILED"
}

p2p_retry() {  # WHAT COMMAND...: run COMMAND until it succeeds, at most P2P_ATTEMPTS times
  local what=$1 attempt
  shift
  for attempt in $(seq "$P2P_ATTEMPTS"); do
    "$@" && return 0
    echo "p2p: $what failed (attempt $attempt of $P2P_ATTEMPTS)" >&2
    if [ "$attempt" -lt "$P2P_ATTEMPTS" ]; then sleep $((attempt * P2P_PAUSE)); fi
  done
  p2p_failed "$what failed $P2P_ATTEMPTS times"
  return 1
}

p2p_apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 "$@"
}

p2p_apt_install() {
  p2p_apt_get update && p2p_apt_get install -y "$@"
}

p2p_install() {  # PACKAGE|FILE.deb...
  p2p_retry "apt-get install $*" p2p_apt_install "$@"
}

p2p_download() {  # URL FILE
  p2p_retry "download of $1" curl -fsSL -o "$2" "$1"
}

p2p_metadata() {  # PATH: one instance metadata value (IMDSv2)
  local token
  token=$(curl -fsS -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token) \
    && curl -fsS -m 5 -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"
}
