# Sourced by tests/sandbox/sandbox and scripts/testdeps.sh: where the sandbox's Kafka jars
# are. The version is read from pom.xml next to this file, the one place it is pinned.
#   KAFKA_POM        that pom
#   KAFKA_VERSION    its kafka.version
#   KAFKA_JARS       the cache directory: $SANDBOX_KAFKA_JARS, else
#                    ${XDG_CACHE_HOME:-~/.cache}/infraprobe/kafka-VERSION
#   KAFKA_CLASSPATH  the file listing the jars of the pom, one classpath line, written
#                    last by the fetch (so its presence means the fetch completed)

KAFKA_POM=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pom.xml
KAFKA_VERSION=$(sed -n 's:.*<kafka\.version>\(.*\)</kafka\.version>.*:\1:p' "$KAFKA_POM")
KAFKA_JARS=${SANDBOX_KAFKA_JARS:-${XDG_CACHE_HOME:-$HOME/.cache}/infraprobe/kafka-$KAFKA_VERSION}
KAFKA_CLASSPATH=$KAFKA_JARS/infraprobe-classpath
