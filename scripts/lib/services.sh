# shellcheck shell=bash
# Shared by scripts/test and scripts/bench-exchange (source it, do not run
# it): installs the Debian tools the interop tests call, brings up
# PostgreSQL on 127.0.0.1:5432 and a throwaway MinIO, and exports
# DOCGATE_TEST_DATABASE_URL and DOCGATE_TEST_S3_*. The caller sets
# `trap cleanup EXIT` so that what was started here is stopped.

MINIO_MODULE="github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"
export DEBIAN_FRONTEND=noninteractive
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf '==> WARNING: %s\n' "$*" >&2; }

is_root() { [ "$(id -u)" -eq 0 ]; }

APT_UPDATED=0
# apt_install installs Debian packages when we are root; it returns non-zero
# (and says why) when it cannot, so callers can carry on without them.
apt_install() {
	if ! is_root; then
		warn "not root, cannot install: $*"
		return 1
	fi
	if [ "$APT_UPDATED" -eq 0 ]; then
		log "apt-get update"
		apt-get update -qq >/dev/null || { warn "apt-get update failed"; return 1; }
		APT_UPDATED=1
	fi
	log "apt-get install $*"
	apt-get install -y -qq --no-install-recommends "$@" >/dev/null || { warn "apt-get install $* failed"; return 1; }
}

# ---------------------------------------------------------------------------
# 1. Debian tools. Each is optional: a test that needs a missing one skips.
# ---------------------------------------------------------------------------
ensure_tools() {
	local missing=() pkgs=() pair cmd pkg
	for pair in pdfsig:poppler-utils qpdf:qpdf certutil:libnss3-tools softhsm2-util:softhsm2 \
		openssl:openssl gcc:gcc pg_isready:postgresql-client chromium:chromium; do
		cmd=${pair%%:*}
		pkg=${pair#*:}
		if ! command -v "$cmd" >/dev/null 2>&1; then
			missing+=("$cmd")
			pkgs+=("$pkg")
		fi
	done
	if [ "${#missing[@]}" -eq 0 ]; then
		return 0
	fi
	log "missing tools: ${missing[*]}"
	# gcc needs the C library headers for cgo (and so for -race).
	[[ " ${pkgs[*]} " == *" gcc "* ]] && pkgs+=(libc6-dev)
	apt_install "${pkgs[@]}" || warn "tests that need ${missing[*]} will skip"
}

# ---------------------------------------------------------------------------
# 2. PostgreSQL.
# ---------------------------------------------------------------------------
PG_STARTED=""   # "<version> main" when this script started the cluster
PG_OWNED=0      # 1 when this script installed or created the cluster

pg_up() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; }

pg_latest_version() { find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1; }

start_postgres() {
	if pg_up; then
		return 0
	fi
	local ver
	ver=$(pg_latest_version)
	if [ -z "$ver" ] || [ ! -x "/usr/lib/postgresql/$ver/bin/postgres" ]; then
		log "no PostgreSQL server installed"
		apt_install postgresql || return 1
		PG_OWNED=1
		ver=$(pg_latest_version)
		# The package may have started its cluster already.
		pg_up && return 0
	fi
	if ! is_root; then
		warn "PostgreSQL $ver is installed but not running, and only root can start it here"
		return 1
	fi
	if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$ver main"; then
		log "creating PostgreSQL cluster $ver main"
		pg_createcluster "$ver" main >/dev/null || { warn "pg_createcluster $ver main failed"; return 1; }
		PG_OWNED=1
	fi
	log "starting PostgreSQL $ver main"
	if ! pg_ctlcluster --skip-systemctl-redirect "$ver" main start; then
		warn "pg_ctlcluster $ver main start failed"
		return 1
	fi
	PG_STARTED="$ver main"
	for _ in $(seq 1 60); do
		pg_up && return 0
		sleep 0.5
	done
	warn "PostgreSQL did not answer on 127.0.0.1:5432"
	return 1
}

# pg_trust_localhost lets the passwordless test URL in, but only on a cluster
# this script installed or created: changing how someone else's database
# authenticates is not a test runner's call.
pg_trust_localhost() {
	local ver hba
	ver=${PG_STARTED%% *}
	[ -n "$ver" ] || ver=$(pg_latest_version)
	hba="/etc/postgresql/$ver/main/pg_hba.conf"
	[ -f "$hba" ] || return 1
	log "allowing passwordless postgres@localhost on the test cluster ($hba)"
	sed -i '1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust' "$hba"
	pg_ctlcluster --skip-systemctl-redirect "$ver" main reload
	sleep 1
}

setup_postgres() {
	if [ -n "${DOCGATE_TEST_DATABASE_URL:-}" ]; then
		log "using DOCGATE_TEST_DATABASE_URL from the environment"
		return 0
	fi
	if ! start_postgres; then
		warn "no PostgreSQL: the PostgreSQL tests will skip"
		return 0
	fi
	local admin="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	if ! psql "$admin" -tAc 'select 1' >/dev/null 2>&1; then
		if [ "$PG_OWNED" -eq 1 ] && is_root; then
			pg_trust_localhost || true
		fi
		if ! psql "$admin" -tAc 'select 1' >/dev/null 2>&1; then
			warn "cannot connect as $admin (is local host auth 'trust'?); set DOCGATE_TEST_DATABASE_URL; the PostgreSQL tests will skip"
			return 0
		fi
	fi
	if [ "$(psql "$admin" -tAc "select 1 from pg_database where datname = 'test'")" != "1" ]; then
		log "creating database test"
		# Another run may create it at the same moment; only the result counts.
		psql "$admin" -qc 'create database test' >/dev/null 2>&1 || true
		if [ "$(psql "$admin" -tAc "select 1 from pg_database where datname = 'test'")" != "1" ]; then
			warn "could not create database test; the PostgreSQL tests will skip"
			return 0
		fi
	fi
	export DOCGATE_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	log "PostgreSQL ready: $DOCGATE_TEST_DATABASE_URL"
}

# ---------------------------------------------------------------------------
# 3. MinIO.
# ---------------------------------------------------------------------------
MINIO_PID=""
MINIO_DIR=""

find_minio() {
	local gobin
	if command -v minio >/dev/null 2>&1; then
		command -v minio
		return 0
	fi
	gobin="$(go env GOBIN)"
	[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
	if [ -x "$gobin/minio" ]; then
		echo "$gobin/minio"
		return 0
	fi
	log "building MinIO ($MINIO_MODULE); this takes a few minutes the first time"
	if go install "$MINIO_MODULE" >&2; then
		echo "$gobin/minio"
		return 0
	fi
	return 1
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		port_free "$p" && { echo "$p"; return 0; }
	done
}

# http_ok asks for a URL path on 127.0.0.1:port with bash alone (curl is not on
# every fresh machine) and succeeds on a 200.
http_ok() {
	local line
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
	IFS= read -r -t 2 line <&3 || line=""
	exec 3<&- 3>&-
	[[ "$line" == *" 200"* ]]
}

random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

setup_minio() {
	if [ -n "${DOCGATE_TEST_S3_ENDPOINT:-}" ]; then
		log "using DOCGATE_TEST_S3_ENDPOINT=$DOCGATE_TEST_S3_ENDPOINT from the environment"
		return 0
	fi
	local bin port cport user pass try
	if ! bin=$(find_minio); then
		warn "no MinIO: the S3 tests will skip"
		return 0
	fi
	MINIO_DIR=$(mktemp -d "${TMPDIR:-/tmp}/docgate-minio.XXXXXX")
	user="test$(random_hex 6)"
	pass="$(random_hex 16)"
	for try in 1 2 3; do
		port=$(free_port)
		cport=$(free_port)
		log "starting MinIO on 127.0.0.1:$port (data in $MINIO_DIR)"
		MINIO_ROOT_USER="$user" MINIO_ROOT_PASSWORD="$pass" MINIO_BROWSER=off \
			"$bin" server --quiet --address "127.0.0.1:$port" --console-address "127.0.0.1:$cport" \
			"$MINIO_DIR/data" >"$MINIO_DIR/minio.log" 2>&1 </dev/null &
		MINIO_PID=$!
		for _ in $(seq 1 120); do
			if ! kill -0 "$MINIO_PID" 2>/dev/null; then
				break
			fi
			if http_ok "$port" /minio/health/live 2>/dev/null; then
				export DOCGATE_TEST_S3_ENDPOINT="127.0.0.1:$port"
				export DOCGATE_TEST_S3_ACCESS_KEY="$user"
				export DOCGATE_TEST_S3_SECRET_KEY="$pass"
				log "MinIO ready: $DOCGATE_TEST_S3_ENDPOINT"
				return 0
			fi
			sleep 0.5
		done
		warn "MinIO did not come up (try $try); its log:"
		tail -n 20 "$MINIO_DIR/minio.log" >&2 || true
		stop_minio
		MINIO_DIR=$(mktemp -d "${TMPDIR:-/tmp}/docgate-minio.XXXXXX")
	done
	warn "no MinIO: the S3 tests will skip"
}

stop_minio() {
	if [ -n "$MINIO_PID" ]; then
		kill "$MINIO_PID" 2>/dev/null || true
		wait "$MINIO_PID" 2>/dev/null || true
		MINIO_PID=""
	fi
	if [ -n "$MINIO_DIR" ]; then
		rm -rf "$MINIO_DIR"
		MINIO_DIR=""
	fi
}

# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	stop_minio
	if [ -n "$PG_STARTED" ] && [ -z "${DOCGATE_TEST_KEEP_POSTGRES:-}" ]; then
		log "stopping PostgreSQL $PG_STARTED (DOCGATE_TEST_KEEP_POSTGRES=1 keeps it)"
		# shellcheck disable=SC2086
		pg_ctlcluster --skip-systemctl-redirect $PG_STARTED stop >/dev/null 2>&1 || true
	fi
}
