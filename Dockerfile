# syntax=docker/dockerfile:1
# gaap-operator image: TypeScript compiled in a build stage; the runtime holds Node 24, the production
# dependencies and the compiled JavaScript only, and runs as a non-root user.

FROM node:24-alpine AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Scripts are not needed to compile (the devDependency "node" only pins Node for npm scripts outside this image).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM node:24-alpine AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force

FROM node:24-alpine
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /src/dist ./dist
COPY crds ./crds
RUN chmod +x dist/main.js dist/emulator/main.js \
 && ln -s /app/dist/main.js /usr/local/bin/gaap-operator \
 && ln -s /app/dist/emulator/main.js /usr/local/bin/gaap-emulator
USER 65532:65532
EXPOSE 8080 8081 9443
ENTRYPOINT ["gaap-operator"]
