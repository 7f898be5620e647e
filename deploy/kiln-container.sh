#!/bin/sh
# The image's `kiln`: the repository's ./kiln launcher without the JDK search and the Maven build
# (the image has one runtime and prebuilt jars). KILN_JAVA_OPTS adds JVM flags (word-split).
# shellcheck disable=SC2086
exec /opt/jre/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED $KILN_JAVA_OPTS \
    -cp '/opt/kiln/kiln-apps.jar:/opt/kiln/lib/*' dev.kiln.apps.KilnCli "$@"
