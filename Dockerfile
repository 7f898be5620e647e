# Kiln's container image: `kiln serve` on a jlink'ed Java runtime.
#
#   docker build -t kiln:latest .
#   docker run --rm -p 8080:8080 -v "$PWD/runs/cnn:/models/cnn:ro" kiln:latest \
#       serve /models/cnn --host 0.0.0.0 --port 8080
#
# Stage 1 builds the jars with Maven on a full JDK 25; stage 2 cuts a runtime with only the JDK
# modules Kiln uses; stage 3 is that runtime, the jars and a launcher on a slim base, run as a
# non-root user. DeploymentManifestsTest checks this file against deploy/ and the jdeps module list.

FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
# The poms first: dependency downloads stay cached while only sources change.
COPY pom.xml ./
COPY bom/pom.xml bom/
COPY tensor/pom.xml tensor/
COPY autograd/pom.xml autograd/
COPY nn/pom.xml nn/
COPY optim/pom.xml optim/
COPY data/pom.xml data/
COPY eval/pom.xml eval/
COPY distributed/pom.xml distributed/
COPY native/pom.xml native/
COPY serve/pom.xml serve/
COPY onnx/pom.xml onnx/
COPY apps/pom.xml apps/
COPY bench/pom.xml bench/
COPY test-fixtures/pom.xml test-fixtures/
COPY consumer-test/pom.xml consumer-test/
RUN mvn -B -ntp -q -pl apps -am dependency:go-offline || true
COPY . .
RUN mvn -B -ntp -q -DskipTests -pl apps -am package

FROM maven:3.9-eclipse-temurin-25 AS jre
# From `jdeps --print-module-deps --multi-release 25 --ignore-missing-deps apps/target/kiln-apps.jar
# apps/target/lib/*.jar` (java.base, java.desktop for the PNG reports, java.net.http for kiln data
# fetch, java.sql for the YAML config reader; jdk.incubator.vector is named here because
# --print-module-deps over the jars may omit incubator modules), plus jdk.unsupported,
# java.management, jdk.management, java.logging and java.naming (the HTTP server and its JVM metrics) and
# jdk.crypto.ec (TLS).
RUN jlink --add-modules java.base,java.desktop,java.net.http,java.sql,jdk.incubator.vector,jdk.unsupported,java.management,jdk.management,java.logging,java.naming,jdk.crypto.ec \
        --strip-debug --no-man-pages --no-header-files --compress=zip-6 --output /opt/jre

FROM ubuntu:24.04
# The same glibc as the temurin build image the runtime was linked on.
RUN useradd --system --uid 10001 --no-create-home kiln
COPY --from=jre /opt/jre /opt/jre
COPY --from=build /src/apps/target/kiln-apps.jar /opt/kiln/kiln-apps.jar
COPY --from=build /src/apps/target/lib/ /opt/kiln/lib/
COPY deploy/kiln-container.sh /opt/kiln/bin/kiln
ENV JAVA_HOME=/opt/jre \
    PATH=/opt/kiln/bin:/opt/jre/bin:$PATH \
    KILN_JAVA_OPTS="-XX:MaxRAMPercentage=75 -Djava.awt.headless=true"
USER 10001
EXPOSE 8080
ENTRYPOINT ["/opt/kiln/bin/kiln"]
CMD ["serve", "/models/model", "--host", "0.0.0.0", "--port", "8080"]
