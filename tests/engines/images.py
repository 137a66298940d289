"""Image adaptations: what each image would provide, given by Debian's packages instead.

`adapt(image)` returns, for an image reference, a dict with:
  links      image path -> Debian path (a symlink in the container's private root)
  dirs       image path -> mode, where the image's directory differs from Debian's
  files      image path -> (mode, text): small stand-ins written from the image's documented
             behaviour (not copied from its scripts)
  env        the image's ENV
  workdir    the image's WORKDIR
  entrypoint, cmd   the image's ENTRYPOINT and CMD (used when the pod spec has no command)
  volumes    the image's VOLUMEs (the runtime gives each an anonymous writable directory)
Each entry says which image behaviour it stands for. Keep this file small.
"""

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# A POSIX entrypoint that only runs its arguments: what the images' entrypoints do when the
# pod already runs as a non-root uid (they drop privileges only when started as root).
EXEC_ARGS = (0o755, '#!/bin/sh\nexec "$@"\n')

ZK_HOME = "/apache-zookeeper-3.9.4-bin"

# nginx image: /etc/nginx/nginx.conf and conf.d/default.conf as documented on the image page
# (nginx.conf includes conf.d/*.conf; default.conf serves /usr/share/nginx/html on port 80; pid
# in /var/run); the temp paths are the image build's compiled-in /var/cache/nginx/* paths
# (Debian compiles in /var/lib/nginx instead).
NGINX_CONF = """user nginx;
worker_processes auto;
error_log /var/log/nginx/error.log notice;
pid /var/run/nginx.pid;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /var/log/nginx/access.log;
    sendfile on;
    keepalive_timeout 65;
    client_body_temp_path /var/cache/nginx/client_temp;
    proxy_temp_path /var/cache/nginx/proxy_temp;
    fastcgi_temp_path /var/cache/nginx/fastcgi_temp;
    uwsgi_temp_path /var/cache/nginx/uwsgi_temp;
    scgi_temp_path /var/cache/nginx/scgi_temp;
    include /etc/nginx/conf.d/*.conf;
}
"""
NGINX_DEFAULT_CONF = """server {
    listen 80;
    server_name localhost;
    location / { root /usr/share/nginx/html; index index.html index.htm; }
}
"""

# postgres image's docker-entrypoint.sh, its documented duties only: an argument list starting
# with an option runs postgres; on an empty PGDATA, initdb with superuser `postgres` and the
# password from POSTGRES_PASSWORD(_FILE) (a uid without a passwd entry gets one through
# nss_wrapper, as in the image), then a socket-only temporary server with the same arguments runs
# /docker-entrypoint-initdb.d/*.sh (sourced unless executable, docker_process_sql = psql as
# postgres) and *.sql, and stops; finally it execs its arguments.
PG_ENTRYPOINT = r"""#!/bin/bash
set -eo pipefail
[ "${1#-}" = "$1" ] || set -- postgres "$@"
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  pw=${POSTGRES_PASSWORD:-}
  [ -z "${POSTGRES_PASSWORD_FILE:-}" ] || pw=$(< "$POSTGRES_PASSWORD_FILE")
  [ -n "$pw" ] || { echo "entrypoint: POSTGRES_PASSWORD is not set" >&2; exit 1; }
  mkdir -p "$PGDATA" && chmod 700 "$PGDATA"
  pwfile=$(mktemp) && printf '%s\n' "$pw" > "$pwfile"
  if ! getent passwd "$(id -u)" >/dev/null; then
    export LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD=$(mktemp) NSS_WRAPPER_GROUP=$(mktemp)
    echo "postgres:x:$(id -u):$(id -g)::$PGDATA:/bin/false" > "$NSS_WRAPPER_PASSWD"
    echo "postgres:x:$(id -g):" > "$NSS_WRAPPER_GROUP"
  fi
  initdb --username=postgres --pwfile="$pwfile" -D "$PGDATA" >/dev/null
  unset LD_PRELOAD NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
  rm -f "$pwfile"
  pg_ctl -D "$PGDATA" -w start -o "$(printf '%q ' "${@:2}") -c listen_addresses='' -p 5432" >/dev/null
  docker_process_sql() { psql -v ON_ERROR_STOP=1 --no-psqlrc --username postgres --dbname postgres "$@"; }
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
      *.sql) docker_process_sql -f "$f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec "$@"
"""

# mysql image's docker-entrypoint.sh, its documented duties only: an argument list starting with
# an option runs mysqld; on a datadir without the `mysql` schema, initialise it (mysqld
# --initialize-insecure in the image, mariadb-install-db here), then a networkless temporary
# server sets the root password from MYSQL_ROOT_PASSWORD(_FILE) for root@localhost and creates
# root@'%' (MYSQL_ROOT_HOST's default) without writing the binlog, runs the init files, and
# stops; then it execs.
MYSQL_ENTRYPOINT = r"""#!/bin/bash
set -eo pipefail
[ "${1#-}" = "$1" ] || set -- mysqld "$@"
if [ "$1" = mysqld ] && [ ! -d /var/lib/mysql/mysql ]; then
  pw=${MYSQL_ROOT_PASSWORD:-}
  [ -z "${MYSQL_ROOT_PASSWORD_FILE:-}" ] || pw=$(< "$MYSQL_ROOT_PASSWORD_FILE")
  [ -n "$pw" ] || { echo "entrypoint: MYSQL_ROOT_PASSWORD is not set" >&2; exit 1; }
  mariadb-install-db --auth-root-authentication-method=normal --skip-test-db >/dev/null
  "$@" --skip-networking &
  for i in $(seq 60); do mysqladmin --protocol=socket -uroot ping >/dev/null 2>&1 && break; sleep 0.5; done
  q=$(printf '%s' "$pw" | sed -e 's/\\/\\\\/g' -e "s/'/''/g")
  mysql --protocol=socket -uroot <<SQL
SET @@SESSION.SQL_LOG_BIN=0;
ALTER USER 'root'@'localhost' IDENTIFIED BY '$q';
CREATE USER 'root'@'%' IDENTIFIED BY '$q';
GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;
SQL
  # Then, as the image does, /docker-entrypoint-initdb.d: *.sh sourced (with
  # docker_process_sql, the mysql client as root over the socket), *.sql fed to it.
  export MYSQL_ROOT_PASSWORD=$pw     # the image's docker_process_sql reads it from there
  docker_process_sql() { MYSQL_PWD=$MYSQL_ROOT_PASSWORD mysql --protocol=socket -uroot "$@"; }
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sh) . "$f" ;;
      *.sql) docker_process_sql < "$f" ;;
    esac
  done
  MYSQL_PWD=$MYSQL_ROOT_PASSWORD mysqladmin --protocol=socket -uroot shutdown
  wait
fi
exec "$@"
"""

# mysql:5.7 image's /etc/mysql/my.cnf (with its mysql.conf.d/mysqld.cnf): socket and pid in
# /var/run/mysqld, datadir /var/lib/mysql, conf.d included. Replaces Debian's MariaDB one
# (which would add bind-address=127.0.0.1).
MYSQL_CNF = """[mysqld]
pid-file=/var/run/mysqld/mysqld.pid
socket=/var/run/mysqld/mysqld.sock
datadir=/var/lib/mysql
[client]
socket=/var/run/mysqld/mysqld.sock
!includedir /etc/mysql/conf.d/
"""

IMAGES = {
    # quay.io/coreos/etcd: distroless, the binaries in /usr/local/bin, no entrypoint.
    "etcd": {
        "links": {"/usr/local/bin/etcd": "/usr/bin/etcd",
                  "/usr/local/bin/etcdctl": "/usr/bin/etcdctl"},
        "env": {"PATH": PATH},
        "cmd": ["/usr/local/bin/etcd"],
    },
    # redis: redis-server/redis-cli in /usr/local/bin, WORKDIR /data, VOLUME /data;
    # docker-entrypoint.sh prepends redis-server to an argument list starting with an option or
    # a .conf file, and (non-root) then runs it.
    "redis": {
        "links": {"/usr/local/bin/redis-server": "/usr/bin/redis-server",
                  "/usr/local/bin/redis-cli": "/usr/bin/redis-cli"},
        "files": {"/usr/local/bin/docker-entrypoint.sh": (0o755,
                  '#!/bin/sh\ncase "$1" in -*|*.conf) set -- redis-server "$@" ;; esac\nexec "$@"\n')},
        "env": {"PATH": PATH},
        "workdir": "/data",
        "entrypoint": ["docker-entrypoint.sh"], "cmd": ["redis-server"],
        "volumes": ["/data"],
    },
    # zookeeper: ZOO_* env and ZOOCFGDIR=/conf, bin dir on PATH, VOLUMEs /data /datalog /logs;
    # /docker-entrypoint.sh writes zoo.cfg only when /conf has none (the preset always has one)
    # and myid from ZOO_MY_ID only when the data dir has none; zkServer.sh start-foreground runs
    # QuorumPeerMain on $ZOOCFGDIR/zoo.cfg with -Xmx from ZK_SERVER_HEAP (MiB, default 1000),
    # logging to the console (Debian ships no logback: slf4j-simple stands in for it). The
    # image's lib/ holds every dependency; Debian's zookeeper.jar names its own in its manifest
    # but not netty-codec and netty-resolver, which Netty's TLS (the secure client port of the
    # preset's `tls`) needs.
    "zookeeper": {
        "files": {
            "/docker-entrypoint.sh": (0o755,
                '#!/bin/bash\nset -e\n[ -f "$ZOO_CONF_DIR/zoo.cfg" ] || { echo "no zoo.cfg" >&2; exit 1; }\n'
                '[ -f "$ZOO_DATA_DIR/myid" ] || echo "${ZOO_MY_ID:-1}" > "$ZOO_DATA_DIR/myid"\nexec "$@"\n'),
            ZK_HOME + "/bin/zkServer.sh": (0o755,
                '#!/bin/sh\n[ "$1" = start-foreground ] || { echo "only start-foreground" >&2; exit 1; }\n'
                'exec java -Xmx"${ZK_SERVER_HEAP:-1000}"m -Dzookeeper.log.dir="$ZOO_LOG_DIR" '
                '-Dzookeeper.root.logger=INFO,CONSOLE -Dlogback.configurationFile="$ZOOCFGDIR/logback.xml" '
                '-cp "$ZOOCFGDIR:/usr/share/java/zookeeper.jar:/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar:/usr/share/java/slf4j-simple.jar" '
                'org.apache.zookeeper.server.quorum.QuorumPeerMain "$ZOOCFGDIR/zoo.cfg"\n'),
        },
        "env": {"PATH": PATH + ":" + ZK_HOME + "/bin", "ZOO_CONF_DIR": "/conf", "ZOOCFGDIR": "/conf",
                "ZOO_DATA_DIR": "/data", "ZOO_DATA_LOG_DIR": "/datalog", "ZOO_LOG_DIR": "/logs",
                "JAVA_HOME": "/usr/lib/jvm/java-17-openjdk-amd64"},
        "workdir": ZK_HOME,
        "entrypoint": ["/docker-entrypoint.sh"], "cmd": ["zkServer.sh", "start-foreground"],
        "volumes": ["/data", "/datalog", "/logs"],
    },
    # nginx: /docker-entrypoint.sh runs its /docker-entrypoint.d hooks (which only edit files a
    # read-only root does not allow) then its arguments; CMD nginx -g 'daemon off;'; the image's
    # config; its log files are links to the container's stdout/stderr.
    "nginx": {
        "files": {"/docker-entrypoint.sh": EXEC_ARGS, "/etc/nginx/nginx.conf": (0o644, NGINX_CONF),
                  "/etc/nginx/conf.d/default.conf": (0o644, NGINX_DEFAULT_CONF)},
        "links": {"/var/log/nginx/error.log": "/dev/stderr", "/var/log/nginx/access.log": "/dev/stdout"},
        "dirs": {"/var/log/nginx": 0o755},   # the image's; Debian's is root:adm 0750
        "env": {"PATH": PATH},
        "entrypoint": ["/docker-entrypoint.sh"], "cmd": ["nginx", "-g", "daemon off;"],
    },
    # postgres (16 in the preset, Debian's 15 here): the server binaries on PATH, ENV PGDATA,
    # VOLUME PGDATA, ENTRYPOINT docker-entrypoint.sh (PG_ENTRYPOINT), CMD postgres.
    "postgres": {
        "files": {"/usr/local/bin/docker-entrypoint.sh": (0o755, PG_ENTRYPOINT)},
        "env": {"PATH": PATH + ":/usr/lib/postgresql/15/bin", "PGDATA": "/var/lib/postgresql/data"},
        "entrypoint": ["docker-entrypoint.sh"], "cmd": ["postgres"],
        "volumes": ["/var/lib/postgresql/data"],
    },
    # mysql (5.7 in the preset; Debian's MariaDB 10.11 here: mysqld, mysql, mysqladmin are its
    # compatibility names): ENTRYPOINT docker-entrypoint.sh (MYSQL_ENTRYPOINT), CMD mysqld, the
    # image's my.cnf, VOLUME /var/lib/mysql.
    "mysql": {
        "files": {"/usr/local/bin/docker-entrypoint.sh": (0o755, MYSQL_ENTRYPOINT),
                  "/etc/mysql/my.cnf": (0o644, MYSQL_CNF)},
        "env": {"PATH": PATH},
        "entrypoint": ["docker-entrypoint.sh"], "cmd": ["mysqld"],
        "volumes": ["/var/lib/mysql"],
    },
    # The metrics exporters (`metrics` of the presets): each image's binary at the path the
    # preset runs it from, Debian's prometheus-*-exporter package in its place; the busybox
    # (mysqld, postgres) and alpine (redis) bases give them sh.
    "mysqld-exporter": {"links": {"/bin/mysqld_exporter": "/usr/bin/prometheus-mysqld-exporter"},
                        "env": {"PATH": PATH}},
    "postgres-exporter": {"links": {"/bin/postgres_exporter": "/usr/bin/prometheus-postgres-exporter"},
                          "env": {"PATH": PATH}},
    "redis_exporter": {"links": {"/redis_exporter": "/usr/bin/prometheus-redis-exporter"},
                       "env": {"PATH": PATH}},
    # nginx-prometheus-exporter 1.x starts whether or not nginx answers yet (nginx_up 0 until it
    # does); Debian's 0.11 exits at start unless told to retry, which NGINX_RETRIES does.
    "nginx-prometheus-exporter": {"links": {"/usr/bin/nginx-prometheus-exporter": "/usr/bin/prometheus-nginx-exporter"},
                                  "env": {"PATH": PATH, "NGINX_RETRIES": "30", "NGINX_RETRY_INTERVAL": "1s"}},
    # busybox (the backup job's prepare and store steps): sh and the coreutils they use.
    "busybox": {"env": {"PATH": PATH}},
    # gcr.io/google-samples/xtrabackup (Percona XtraBackup 2.4, xbstream, ncat, mysql client):
    # MariaDB's backup tool under XtraBackup's names (same --backup/--prepare/--stream options).
    "xtrabackup": {
        "links": {"/usr/bin/xtrabackup": "/usr/bin/mariabackup", "/usr/bin/xbstream": "/usr/bin/mbstream"},
        "env": {"PATH": PATH},
    },
}


def repository(image):
    """`quay.io/coreos/etcd:v3.5.17` -> `etcd`; `percona/percona-xtrabackup:2.4` -> `percona-xtrabackup`."""
    name = image.split("@")[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":")[0]


def adapt(image):
    repo = repository(image)
    if repo not in IMAGES:
        raise KeyError("no adaptation for image %s (tests/engines/images.py)" % image)
    return IMAGES[repo]
