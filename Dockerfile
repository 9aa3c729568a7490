# syntax=docker/dockerfile:1
# The production image of hezo-intake (issue [6/7]).
# Multi-stage: the build stage compiles with dev dependencies; the runtime stage holds only the
# compiled output, production dependencies, config defaults and the ops page's browser assets,
# and runs as the unprivileged `node` user under tini (signals reach node, zombies are reaped,
# SIGTERM drains the queues in-flight before exit).
# Lint: `npx dockerfilelint Dockerfile` (test/integration/ops-image.test.ts). No Docker engine
# runs in CI here, so the image itself is not built there.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
# `prepare` runs the TypeScript build.
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
LABEL org.opencontainers.image.title="hezo-intake" \
      org.opencontainers.image.description="Intake gateway of the myHEZO hardware service desk"
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 NODE_OPTIONS=--enable-source-maps
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The ops page's app.js and app.css are served from here (not compiled by tsc).
COPY --from=build /app/src/ops/ops-page/assets ./src/ops/ops-page/assets
COPY bin ./bin
COPY config ./config
# Attachments (device logs) live in var/; mount a volume there to keep them.
RUN mkdir -p /app/var/attachments && chown -R node:node /app/var
VOLUME ["/app/var"]
USER node
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --retries=3 CMD node -e "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "bin/hezo-intake.js", "serve"]
