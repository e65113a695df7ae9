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
    rm -f "$KAFKA_CLASSPATH"
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

ip_fetch_testdeps() {
    ip_fetch_kafka "$1"
}
