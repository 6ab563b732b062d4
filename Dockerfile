# syntax=docker/dockerfile:1
# Weekly digest: one image for the HTTP server + scheduler (`app`) and the workers (`worker`).
# TypeScript runs through tsx, a runtime dependency, so production dependencies are all it needs.

# --- deps: production node_modules only, from the lockfile ---
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# --- runtime: the code, its dependencies, a non-root user ---
FROM node:20-bookworm-slim AS runtime
ENV DATA_DIR=/data \
    PORT=3000 \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY workers ./workers
COPY templates ./templates
# DATA_DIR holds the generated secret and admin token and the outbox: a volume shared by the
# app and the workers (links signed by a worker are checked by the app). Owned by `node` so a
# fresh named volume starts writable.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
# For the app; the worker has no HTTP server and turns this off in docker-compose.yml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# `node --import tsx` (not the tsx CLI) keeps one process, so SIGTERM reaches the service's
# own shutdown (stop taking jobs, finish sends in flight, close SMTP and Redis).
CMD ["node", "--import", "tsx", "src/server.ts"]
