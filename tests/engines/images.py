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

# nginx image: /etc/nginx/nginx.conf + conf.d/default.conf as documented on the image page
# (serves /usr/share/nginx/html on port 80, pid in /var/run); the temp paths are the image
# build's compiled-in /var/cache/nginx/* paths (Debian compiles in /var/lib/nginx instead).
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
    server {
        listen 80;
        server_name localhost;
        location / { root /usr/share/nginx/html; index index.html index.htm; }
    }
}
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
    # QuorumPeerMain on $ZOOCFGDIR/zoo.cfg with -Xmx from ZK_SERVER_HEAP (MiB, default 1000).
    "zookeeper": {
        "files": {
            "/docker-entrypoint.sh": (0o755,
                '#!/bin/bash\nset -e\n[ -f "$ZOO_CONF_DIR/zoo.cfg" ] || { echo "no zoo.cfg" >&2; exit 1; }\n'
                '[ -f "$ZOO_DATA_DIR/myid" ] || echo "${ZOO_MY_ID:-1}" > "$ZOO_DATA_DIR/myid"\nexec "$@"\n'),
            ZK_HOME + "/bin/zkServer.sh": (0o755,
                '#!/bin/sh\n[ "$1" = start-foreground ] || { echo "only start-foreground" >&2; exit 1; }\n'
                'exec java -Xmx"${ZK_SERVER_HEAP:-1000}"m -Dzookeeper.log.dir="$ZOO_LOG_DIR" '
                '-Dzookeeper.root.logger=INFO,CONSOLE -Dlogback.configurationFile="$ZOOCFGDIR/logback.xml" '
                '-cp "$ZOOCFGDIR:/usr/share/java/zookeeper.jar" '
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
        "files": {"/docker-entrypoint.sh": EXEC_ARGS, "/etc/nginx/nginx.conf": (0o644, NGINX_CONF)},
        "links": {"/var/log/nginx/error.log": "/dev/stderr", "/var/log/nginx/access.log": "/dev/stdout"},
        "dirs": {"/var/log/nginx": 0o755},   # the image's; Debian's is root:adm 0750
        "env": {"PATH": PATH},
        "entrypoint": ["/docker-entrypoint.sh"], "cmd": ["nginx", "-g", "daemon off;"],
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
