# syntax=docker/dockerfile:1
# gaap-operator image: TypeScript compiled in a build stage; the runtime holds Node 24, the production
# dependencies and the compiled JavaScript only, and runs as a non-root user. The GAAP emulator (for trying the
# operator without a Tencent Cloud account) is a separate target; the operator's image does not carry it.
#   docker build -t gaap-operator:dev .            (or podman build)
#   docker build --target emulator -t gaap-emulator:dev .
#   docker buildx build --platform linux/amd64,linux/arm64 .   (what the release does)
# The build and dependency stages run on the builder's own platform: the compiled JavaScript and the production
# dependencies (all plain JavaScript) are the same for every target, so only the last stage is per platform.

# The base images are arguments, so any builder can build from a base it has (the test suite builds from a Debian
# root filesystem with Node 24 it makes itself). BUILD_IMAGE needs Node and npm; RUNTIME_IMAGE Node and a shell.
ARG BUILD_IMAGE=node:24-alpine
ARG RUNTIME_IMAGE=node:24-alpine

FROM --platform=$BUILDPLATFORM ${BUILD_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Scripts are not needed to compile (the devDependency "node" only pins Node for npm scripts outside this image).
# npm's cache lives in a cache mount, outside every layer, and serves the next build and the deps stage.
RUN --mount=type=cache,target=/root/.npm,sharing=locked npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM --platform=$BUILDPLATFORM build AS build-emulator
COPY tsconfig.emulator.json ./
COPY emulator ./emulator
RUN npx tsc -p tsconfig.emulator.json

FROM --platform=$BUILDPLATFORM ${BUILD_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked npm ci --omit=dev --no-audit --no-fund --ignore-scripts

# What both images run on: Node, the production dependencies (all plain JavaScript) and package.json.
FROM ${RUNTIME_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
LABEL org.opencontainers.image.source="https://github.com/gaap-operator/gaap-operator" \
      org.opencontainers.image.licenses="Apache-2.0"

FROM runtime AS emulator
LABEL org.opencontainers.image.title="gaap-emulator" \
      org.opencontainers.image.description="A local GAAP API for trying gaap-operator without a Tencent Cloud account"
COPY --from=build-emulator /src/dist/emulator ./dist/emulator
RUN chmod +x dist/emulator/main.js && ln -s /app/dist/emulator/main.js /usr/local/bin/gaap-emulator
USER 65532:65532
EXPOSE 9000
ENTRYPOINT ["gaap-emulator"]
# Inside a container it listens on every address (outside one, its default is loopback).
CMD ["--host", "0.0.0.0"]

# The operator: the default target, so it stays last.
FROM runtime
LABEL org.opencontainers.image.title="gaap-operator" \
      org.opencontainers.image.description="Keeps Tencent Cloud GAAP listeners bound to the pods or nodes behind Kubernetes Services"
COPY --from=build /src/dist ./dist
COPY crds ./crds
RUN chmod +x dist/main.js && ln -s /app/dist/main.js /usr/local/bin/gaap-operator
USER 65532:65532
EXPOSE 8080 8081 9443
ENTRYPOINT ["gaap-operator"]
