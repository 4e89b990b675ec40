#!/usr/bin/env bash
# Runs every test Ferrum has: unit tests of every crate, then the interop
# suite that drives a real `ferrum` process with real clients.
# Installs what the tests need (Debian packages) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
/usr/bin/python3 -c 'import stomp' 2>/dev/null || need_pkgs+=(python3-stomp)
/usr/bin/python3 -c 'import pytest' 2>/dev/null || need_pkgs+=(python3-pytest)
command -v ruby >/dev/null && ruby -e 'require "stomp"' 2>/dev/null || need_pkgs+=(ruby-stomp)
perl -MNet::Stomp -e 1 2>/dev/null || need_pkgs+=(libnet-stomp-perl)
[ -f /usr/share/activemq/bin/activemq.jar ] || need_pkgs+=(activemq)
[ -f /usr/share/java/activemq-client.jar ] || need_pkgs+=(libactivemq-java)
[ -f /usr/share/java/spring3-jms.jar ] || need_pkgs+=(libspring-jms-java)
[ -f /usr/share/java/geronimo-jta-1.2-spec.jar ] || need_pkgs+=(libgeronimo-jta-1.2-spec-java)
command -v javac >/dev/null || need_pkgs+=(default-jdk-headless)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "installing test dependencies: ${need_pkgs[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need_pkgs[@]}"
fi

# Style and lints are part of the test: unformatted code or a clippy
# warning fails the run as a failing test does.
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings

cargo build --release --bin ferrum
cargo test --workspace
FERRUM_BIN="$PWD/target/release/ferrum" /usr/bin/python3 -m pytest -q interop-tests "$@"
