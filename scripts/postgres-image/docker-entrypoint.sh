#!/bin/bash
# Entrypoint of the offline-built harness-postgres image (see ../build-postgres-image).
#
# Speaks the same interface as the official postgres image (POSTGRES_PASSWORD,
# POSTGRES_USER, POSTGRES_DB, POSTGRES_HOST_AUTH_METHOD, PGDATA, *_FILE variants,
# /docker-entrypoint-initdb.d, `postgres -c ...` as command), but the cluster is
# created when the image is built. A container start therefore only has to
# stamp the environment's user/password/database onto that cluster, which a
# single-user backend does in a few tens of milliseconds, instead of running
# initdb plus a temporary server (~1.5 s).
set -Eeuo pipefail

# Where the image's cluster was created at build time.
BAKED_PGDATA=/var/lib/postgresql/data
: "${PGDATA:=$BAKED_PGDATA}"
export PGDATA

# Present in PGDATA from bake (or start-time initdb) until the environment has
# been applied once, so a restarted container keeps what it already has, like
# the official image which only initialises an empty data directory.
PENDING_MARKER=.harness-env-pending
# Name of the superuser initdb creates; renamed to POSTGRES_USER on first start.
BAKED_SUPERUSER=postgres
# A ready-made database that becomes POSTGRES_DB by renaming: CREATE DATABASE
# at container start costs 0.3-0.6 s on overlay storage, a rename nothing.
SPARE_DB=harness_spare_db

log() { printf 'harness-postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# VAR_FILE=/path reads VAR from a file (docker secrets), as the official image does.
file_env() {
	local var=$1 def=${2:-} fvar="${1}_FILE"
	if [[ -n ${!var:-} && -n ${!fvar:-} ]]; then
		die "both $var and $fvar are set (they are exclusive)"
	fi
	local val=$def
	if [[ -n ${!var:-} ]]; then
		val=${!var}
	elif [[ -n ${!fvar:-} ]]; then
		val=$(<"${!fvar}")
	fi
	export "$var=$val"
	unset "$fvar"
}

# printf -v rather than $(...): every fork shows up in the start-up time.
sql_literal() { printf -v "$1" "'%s'" "${2//\'/\'\'}"; }
sql_ident() { printf -v "$1" '"%s"' "${2//\"/\"\"}"; }

# Shared by the image build (--bake) and by a start on an empty volume, so both
# clusters look the same. --locale=C keeps it independent of installed locales.
init_cluster() {
	# The official image keeps WAL segments at the 16 MB default; 1 MB ones are
	# cheaper to copy up into a container's writable layer on the first write.
	# --no-sync: nothing here is worth waiting for the disk (test databases).
	# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS holds several options
	initdb --pgdata="$PGDATA" --username="$BAKED_SUPERUSER" --auth=trust \
		--encoding=UTF8 --locale=C --wal-segsize=1 --no-sync --no-instructions \
		${POSTGRES_INITDB_ARGS:-} >/dev/null
	# Before the config below: it selects posix shared memory, which a build
	# chroot without /dev/shm cannot provide (initdb probed what works here).
	# A standalone backend hands out OIDs from the range reserved for system
	# objects; 16384 (FirstNormalObjectId) is what the first database created
	# through a normal server gets, as POSTGRES_DB does in the official image.
	single_user "CREATE DATABASE $SPARE_DB OID = 16384" ||
		die "creating the spare database failed"
	cat >>"$PGDATA/postgresql.conf" <<-'EOF'

		# harness-postgres
		listen_addresses = '*'
		# initdb picks sysv in a build chroot (no /dev/shm); containers have it.
		dynamic_shared_memory_type = posix
		# The image ships without LLVM (~150 MB), which only JIT would use.
		jit = off
	EOF
	: >"$PGDATA/$PENDING_MARKER"
}

write_hba() {
	local method=$1
	printf '%s\n' \
		"# Same policy as the official image: trust inside the container," \
		"# $method for everything that comes over the network." \
		"local   all             all                     trust" \
		"host    all             all     127.0.0.1/32    trust" \
		"host    all             all     ::1/128         trust" \
		"local   replication     all                     trust" \
		"host    replication     all     127.0.0.1/32    trust" \
		"host    replication     all     ::1/128         trust" \
		"host    all             all     all             $method" \
		>"$PGDATA/pg_hba.conf"
}

# Single-user mode needs no sockets, no waiting for readiness and no client,
# so it is the cheapest way to run DDL before the real server accepts anyone.
single_user() {
	# -j: statements end at ";" + blank line, so values may contain newlines.
	# exit_on_error: otherwise a failed statement is only logged and the exit
	# status is still 0. fsync=off: a test database; the real server's own
	# settings apply from its first checkpoint on.
	printf '%s;\n\n' "$@" |
		postgres --single -j -D "$PGDATA" -c exit_on_error=on -c fsync=off \
			-c log_checkpoints=off postgres >/dev/null
}

apply_environment() {
	local sql=() user db password
	sql_ident user "$POSTGRES_USER"
	sql_ident db "$POSTGRES_DB"

	if [[ $POSTGRES_USER != "$BAKED_SUPERUSER" ]]; then
		# The bootstrap superuser is the single-user session's own role, which
		# cannot be renamed; a throwaway session authorization sidesteps that.
		# (RESET SESSION AUTHORIZATION would not switch back: a standalone
		# backend has no reset value for it.)
		sql+=("CREATE ROLE harness_rename SUPERUSER"
			"SET SESSION AUTHORIZATION harness_rename"
			"ALTER ROLE $BAKED_SUPERUSER RENAME TO $user"
			"SET SESSION AUTHORIZATION $user"
			"DROP ROLE harness_rename")
	fi
	if [[ -n $POSTGRES_PASSWORD ]]; then
		sql_literal password "$POSTGRES_PASSWORD"
		# Store the password the way pg_hba asks for it (as the official image does): an md5
		# method with a SCRAM-stored password silently costs clients a full SCRAM exchange.
		if [[ ${POSTGRES_HOST_AUTH_METHOD:-} == md5 ]]; then
			sql+=("SET password_encryption = 'md5'") # pragma: allowlist secret
		fi
		sql+=("ALTER ROLE $user PASSWORD $password")
	fi
	if [[ $POSTGRES_DB == @(postgres|template0|template1) ]]; then
		# A real DROP (60-110 ms on overlay storage): editing the catalog by hand
		# would be faster, and a risk no test server is worth.
		sql+=("DROP DATABASE $SPARE_DB")
	elif [[ $POSTGRES_DB != "$SPARE_DB" ]]; then
		sql+=("ALTER DATABASE $SPARE_DB RENAME TO $db")
	fi

	single_user "${sql[@]}" ||
		die "applying POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB failed"
	write_hba "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
}

# Rarely used, so it may be slow: only then does a temporary server run.
run_initdb_scripts() {
	local f
	local -a files=()
	shopt -s nullglob
	files=(/docker-entrypoint-initdb.d/*)
	shopt -u nullglob
	((${#files[@]})) || return 0

	pg_ctl -D "$PGDATA" -w -s -o "-c listen_addresses='' -p ${PGPORT:-5432}" start
	export PGUSER=$POSTGRES_USER PGDATABASE=$POSTGRES_DB PGPASSWORD=$POSTGRES_PASSWORD
	local psql=(psql -v ON_ERROR_STOP=1 --no-password --no-psqlrc -q)
	for f in "${files[@]}"; do
		log "running $f"
		case $f in
			*.sh)
				# shellcheck disable=SC1090 # user-supplied, sourced like upstream
				if [[ -x $f ]]; then "$f"; else . "$f"; fi
				;;
			*.sql) "${psql[@]}" -f "$f" ;;
			*.sql.gz) gzip -dc "$f" | "${psql[@]}" ;;
			*.sql.xz) xz -dc "$f" | "${psql[@]}" ;;
			*.sql.zst) zstd -dc "$f" | "${psql[@]}" ;;
			*) log "ignoring $f" ;;
		esac
	done
	unset PGUSER PGDATABASE PGPASSWORD
	pg_ctl -D "$PGDATA" -w -s -m fast stop
}

main() {
	# `docker run IMAGE -c fsync=off` means postgres with those flags.
	if [[ ${1:-} == -* && ${1:-} != --bake ]]; then
		set -- postgres "$@"
	fi
	if [[ ${1:-} != postgres && ${1:-} != --bake ]] || has_info_flag "$@"; then
		exec "$@"
	fi

	if ((EUID == 0)); then
		# A fresh volume mounted on PGDATA arrives root-owned; the baked one is
		# already right. Checking only the top directory keeps that path cheap
		# (even a no-op chown/chmod copies files up into the container layer).
		mkdir -p "$PGDATA"
		if [[ $(stat -c %U:%a "$PGDATA") != postgres:700 ]]; then
			find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
			chmod 0700 "$PGDATA"
		fi
		exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
	fi

	if [[ $1 == --bake ]]; then
		init_cluster
		return
	fi

	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"

	if [[ ! -s $PGDATA/PG_VERSION && $PGDATA != "$BAKED_PGDATA" && -s $BAKED_PGDATA/PG_VERSION ]]; then
		# PGDATA elsewhere (e.g. a tmpfs, where every CREATE DATABASE is a fast memory copy
		# instead of a copy-up through the overlay): start from the baked cluster there.
		cp -a "$BAKED_PGDATA/." "$PGDATA/"
	fi
	if [[ ! -s $PGDATA/PG_VERSION ]]; then
		log "no cluster in $PGDATA, running initdb (slow path)"
		init_cluster
	fi
	if [[ -e $PGDATA/$PENDING_MARKER ]]; then
		if [[ -z $POSTGRES_PASSWORD && ${POSTGRES_HOST_AUTH_METHOD:-} != trust ]]; then
			die "POSTGRES_PASSWORD is not set. Set it to a non-empty value for the" \
				"superuser, or set POSTGRES_HOST_AUTH_METHOD=trust to allow all" \
				"connections without a password (never do that outside tests)."
		fi
		apply_environment
		run_initdb_scripts
		rm -f "$PGDATA/$PENDING_MARKER"
	fi

	# exec: postgres becomes PID 1 and gets docker's stop signal itself.
	exec "$@"
}

# `postgres --version` and friends must not need a password or touch PGDATA.
has_info_flag() {
	local a
	for a; do
		case $a in -'?' | --help | --describe-config | -V | --version | -C) return 0 ;; esac
	done
	return 1
}

main "$@"
