# Sourced by scripts/test and scripts/demo: the test servers that Debian does not package,
# fetched into ~/.cache/infraprobe (outside the tree, never committed), reused when present.

# Apache Kafka for the sandbox (tests/sandbox/kafka/pom.xml pins the version): the jars of
# the pom and their runtime dependencies, and a classpath file that lists exactly them
# (the directory may hold more, from another pom of the same version). Fetched again when
# the pom changed.
ip_fetch_kafka() {
    local top=$1
    # shellcheck source=../tests/sandbox/kafka/cache.sh
    . "$top/tests/sandbox/kafka/cache.sh"
    [ -n "$KAFKA_VERSION" ] || {
        echo "$KAFKA_POM: no <kafka.version>" >&2
        return 1
    }
    if [ -s "$KAFKA_CLASSPATH" ] && cmp -s "$KAFKA_POM" "$KAFKA_JARS/infraprobe-pom.xml"; then
        return 0
    fi
    command -v mvn >/dev/null 2>&1 || {
        echo "mvn: not installed (Debian package: maven)" >&2
        return 1
    }
    echo "fetching Apache Kafka $KAFKA_VERSION into $KAFKA_JARS" >&2
    mkdir -p "$KAFKA_JARS" || return 1
    rm -f "$KAFKA_CLASSPATH" "$KAFKA_CDS_SERVER" "$KAFKA_CDS_TOOLS"
    # build-classpath with a prefix names the copies in KAFKA_JARS, not ~/.m2.
    mvn -q -B -f "$KAFKA_POM" dependency:copy-dependencies dependency:build-classpath \
        -DincludeScope=runtime -DoutputDirectory="$KAFKA_JARS" -Dmdep.prefix="$KAFKA_JARS" \
        -Dmdep.outputFile="$KAFKA_CLASSPATH.new" </dev/null >&2 || {
        echo "mvn could not fetch Apache Kafka $KAFKA_VERSION (see above)" >&2
        rm -f "$KAFKA_CLASSPATH.new"
        return 1
    }
    cp "$KAFKA_POM" "$KAFKA_JARS/infraprobe-pom.xml" &&
        mv "$KAFKA_CLASSPATH.new" "$KAFKA_CLASSPATH"
}

# Class data sharing archives (KAFKA_CDS_SERVER, KAFKA_CDS_TOOLS): a JVM that maps the
# classes a previous run loaded, instead of parsing and verifying them again, starts
# with about half the CPU (Kafka's storage tool: 1.0 -> 0.5 s). Made once per cache by a
# throwaway one-node cluster run with -XX:ArchiveClassesAtExit, stopped once it serves.
# Optional: if this fails, the sandbox runs without them, only slower.
ip_kafka_cds() {
    local top=$1 tmp port bport pid i rc=1
    . "$top/tests/sandbox/kafka/cache.sh"
    [ -s "$KAFKA_CDS_SERVER" ] && [ -s "$KAFKA_CDS_TOOLS" ] && return 0
    [ -s "$KAFKA_CLASSPATH" ] || return 1
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/infraprobe-kafka-cds.XXXXXX") || return 1
    # Ports nothing listens on, for a few seconds; a clash only costs the archives.
    for ((i = 0; i < 50; i++)); do
        port=$((20000 + RANDOM % 10000))
        bport=$((port + 1))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null ||
            (exec 3<>"/dev/tcp/127.0.0.1/$bport") 2>/dev/null || break
    done
    cat >"$tmp/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$port
listeners=PLAINTEXT://127.0.0.1:$bport,CONTROLLER://127.0.0.1:$port
controller.listener.names=CONTROLLER
offsets.topic.replication.factor=1
log.dirs=$tmp/data
EOF
    echo "making class data sharing archives for Apache Kafka $KAFKA_VERSION" >&2
    # shellcheck disable=SC2086
    if java $KAFKA_JVM -XX:ArchiveClassesAtExit="$tmp/tools.jsa" \
        -Dlog4j2.configurationFile="$top/tests/sandbox/kafka/tools-log4j2.yaml" \
        -cp "$(cat "$KAFKA_CLASSPATH")" kafka.tools.StorageTool format \
        --cluster-id "$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" --config "$tmp/server.properties" \
        >"$tmp/format.log" 2>&1; then
        java $KAFKA_JVM -Xmx384m -XX:ArchiveClassesAtExit="$tmp/server.jsa" \
            -Dlog4j2.configurationFile="$top/tests/sandbox/kafka/log4j2.yaml" \
            -cp "$(cat "$KAFKA_CLASSPATH")" kafka.Kafka "$tmp/server.properties" \
            >"$tmp/server.log" 2>&1 &
        pid=$!
        # Serving: the controller has been elected and has loaded its metadata.
        for ((i = 0; i < 1200; i++)); do
            grep -q 'Transition from STARTING to STARTED\|Kafka Server started\|ControllerServer id=1\] Finished waiting for all of the SocketServer' \
                "$tmp/server.log" 2>/dev/null && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        sleep 1
        kill -TERM "$pid" 2>/dev/null
        wait "$pid"
        if [ -s "$tmp/server.jsa" ] && [ -s "$tmp/tools.jsa" ]; then
            # Renamed into place: a JVM never maps a half-written archive.
            cp "$tmp/tools.jsa" "$KAFKA_CDS_TOOLS.$$" && mv "$KAFKA_CDS_TOOLS.$$" "$KAFKA_CDS_TOOLS" &&
                cp "$tmp/server.jsa" "$KAFKA_CDS_SERVER.$$" &&
                mv "$KAFKA_CDS_SERVER.$$" "$KAFKA_CDS_SERVER" && rc=0
        fi
    fi
    if [ "$rc" != 0 ]; then
        echo "no class data sharing archives (the sandbox's Kafka starts slower):" >&2
        tail -n 5 "$tmp"/*.log >&2
    fi
    rm -rf "$tmp"
    return 0
}

ip_fetch_testdeps() {
    ip_fetch_kafka "$1" && ip_kafka_cds "$1"
}
