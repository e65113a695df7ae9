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
#   KAFKA_JVM        JVM options of every Kafka JVM the sandbox runs: C1 only and the
#                    serial collector start faster and take less on two cores; no
#                    hsperfdata file in /tmp
#   KAFKA_CDS_SERVER, KAFKA_CDS_TOOLS   class data sharing archives (scripts/testdeps.sh
#                    makes them): the classes a JVM loaded once, mapped instead of parsed
#                    and verified again

KAFKA_JVM='-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Djava.awt.headless=true'
KAFKA_CDS_SERVER=$KAFKA_JARS/infraprobe-server.jsa
KAFKA_CDS_TOOLS=$KAFKA_JARS/infraprobe-tools.jsa
