# Shared by scripts/run, scripts/test and scripts/fuzz: install what Zenith needs when it is
# missing.

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=""
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $* missing and apt-get is not available; install it by hand" >&2
    return 1
  fi
  if [ -z "$apt_updated" ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

ensure_redis() {
  command -v redis-server >/dev/null 2>&1 && return 0
  if command -v brew >/dev/null 2>&1; then
    brew install redis
  else
    echo "installing redis-server" >&2
    apt_install redis-server
  fi
}

# The tests start their own PostgreSQL clusters from the server binaries.
ensure_postgres() {
  [ -n "${ZENITH_TEST_POSTGRES_BIN:-}" ] && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && return 0
  echo "installing postgresql" >&2
  apt_install postgresql
}

# The console's end-to-end tests drive Debian's Chromium (Playwright cannot download its own).
ensure_chromium() {
  CHROMIUM="${CHROMIUM:-$(command -v chromium || true)}"
  [ -n "$CHROMIUM" ] && return 0
  echo "installing chromium" >&2
  apt_install chromium
  CHROMIUM="$(command -v chromium)"
}

# Project-local tools live in .tools so nothing global changes.
TOOLS="$(pwd)/.tools"

ensure_buf() {
  BUF="$TOOLS/node_modules/.bin/buf"
  [ -x "$BUF" ] && return 0
  echo "installing buf" >&2
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" @bufbuild/buf@1.75.0 >/dev/null
}

ensure_grpcurl() {
  GRPCURL="$TOOLS/bin/grpcurl"
  [ -x "$GRPCURL" ] && return 0
  echo "installing grpcurl" >&2
  GOBIN="$TOOLS/bin" go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4
}

# cargo-fuzz is a cargo subcommand, installed where cargo installs binaries.
ensure_cargo_fuzz() {
  cargo fuzz --version >/dev/null 2>&1 && return 0
  echo "installing cargo-fuzz" >&2
  CARGO_INCREMENTAL=0 nice -n 10 cargo install cargo-fuzz --locked
}

# Code generation for the SDKs, each ecosystem's tools at pinned versions (see scripts/generate).
PROTOC_VERSION="3.21.12"
PROTOC_GEN_GO_VERSION="v1.36.12"
PROTOC_GEN_GO_GRPC_VERSION="v1.6.2"
PROTOC_GEN_ES_VERSION="2.17.0"
GRPCIO_TOOLS_VERSION="1.85.1"

ensure_codegen() {
  if ! command -v protoc >/dev/null 2>&1; then
    echo "installing protobuf-compiler" >&2
    apt_install protobuf-compiler
  fi
  if [ "$(protoc --version)" != "libprotoc $PROTOC_VERSION" ]; then
    echo "error: scripts/generate needs protoc $PROTOC_VERSION (Debian 12's, matching its php-google-protobuf); found $(protoc --version)" >&2
    return 1
  fi
  local stamp="$TOOLS/codegen-$PROTOC_GEN_GO_VERSION-$PROTOC_GEN_GO_GRPC_VERSION-$PROTOC_GEN_ES_VERSION-$GRPCIO_TOOLS_VERSION"
  PYTHON="$TOOLS/codegen-venv/bin/python"
  [ -e "$stamp" ] && return 0
  echo "installing the code generators" >&2
  GOBIN="$TOOLS/bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
  GOBIN="$TOOLS/bin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" \
    "@bufbuild/protoc-gen-es@$PROTOC_GEN_ES_VERSION" >/dev/null
  python3 -m venv "$TOOLS/codegen-venv"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check "grpcio-tools==$GRPCIO_TOOLS_VERSION"
  touch "$stamp"
}
