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

# Deployment checks (scripts/validate-deploy). Each tool's version installs into its own
# directory, so bumping one reinstalls it.
HELM_VERSION="v3.22.0"
KUBECONFORM_VERSION="v0.8.0"
KUBERNETES_VALIDATE_VERSION="1.37.0"
# The newest Kubernetes whose schemas kubernetes-validate $KUBERNETES_VALIDATE_VERSION ships.
KUBERNETES_SCHEMA_VERSION="1.37.0"
# Compose files are checked by the Compose Specification's reference loader (compose-go's
# `cmd`: the library and schema `docker compose config` runs), a 35 s build. Rejected: the
# docker/compose v2 CLI cannot be `go install`ed (its go.mod has exclude directives), v5 needs a
# newer Go, and Debian's docker-compose is v1 (1.29: 100 s of apt, and it refuses the Compose
# Spec's top-level `name`).
COMPOSE_GO_VERSION="v2.16.2"

# Installs the Go command PACKAGE@VERSION from the Go module proxy as .tools/NAME-VERSION/NAME
# when missing, and prints its path.
go_tool() {
  local name="$1" package="$2" version="$3"
  local dir="$TOOLS/$name-$version"
  if [ ! -x "$dir/$name" ]; then
    echo "installing $name $version" >&2
    GOBIN="$dir" go install "$package@$version" >&2 || return 1
    if [ "${package##*/}" != "$name" ]; then
      mv "$dir/${package##*/}" "$dir/$name" || return 1
    fi
  fi
  echo "$dir/$name"
}

# Helm builds from source, as no reachable registry ships it: on a cold Go build cache that took
# 10-19 min on a shared 2-core machine under load (kubeconform 35 s, compose-spec 35 s, the
# schemas 10 s); with Go's build cache warm, all four install in about a minute.
ensure_helm() {
  HELM="$(go_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION")"
}

ensure_kubeconform() {
  KUBECONFORM="$(go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform \
    "$KUBECONFORM_VERSION")"
}

# kubeconform cannot download schemas offline; PyPI's kubernetes-validate ships them. Its strict
# schemas name themselves https://kubernetes.io/api/… ($id) and refer to /api/_definitions.json
# under that root, which kubeconform would fetch: the copy in $KUBERNETES_SCHEMAS drops the $id
# and refers to the _definitions.json beside each file instead.
ensure_kubernetes_schemas() {
  KUBERNETES_SCHEMAS="$TOOLS/kubernetes-json-schema-$KUBERNETES_VALIDATE_VERSION"
  [ -e "$KUBERNETES_SCHEMAS/.complete" ] && return 0
  echo "installing the Kubernetes JSON schemas (kubernetes-validate $KUBERNETES_VALIDATE_VERSION)" >&2
  local wheel
  wheel="$(mktemp -d)"
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: \
    --dest "$wheel" "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  rm -rf "$KUBERNETES_SCHEMAS"
  python3 - "$wheel"/kubernetes_validate-*.whl "$KUBERNETES_SCHEMAS" \
    "v$KUBERNETES_SCHEMA_VERSION-local-strict" <<'PYTHON'
import json, pathlib, sys, zipfile
wheel, out, strict = sys.argv[1:]
prefix = f"kubernetes_validate/kubernetes-json-schema/{strict}/"
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if name.startswith(prefix) and name.endswith(".json"):
            target = pathlib.Path(out, strict, name[len(prefix):])
            target.parent.mkdir(parents=True, exist_ok=True)
            schema = json.loads(archive.read(name))
            schema.pop("$id", None)
            text = json.dumps(schema).replace('"/api/_definitions.json#', '"_definitions.json#')
            target.write_text(text)
PYTHON
  rm -rf "$wheel"
  touch "$KUBERNETES_SCHEMAS/.complete"
}

ensure_compose_spec() {
  COMPOSE_SPEC="$(go_tool compose-spec github.com/compose-spec/compose-go/v2/cmd \
    "$COMPOSE_GO_VERSION")"
}
