# midfunnel images. Build: docker build -t midfunnel .   (WhatsApp: --target whatsapp)
# Dependencies are installed here, at build time, from the lockfile; nothing is installed
# when a container starts. Node runs as PID 1's child under `init: true` (compose) or as
# PID 1 itself in exec form, so SIGTERM reaches it and the shutdown is graceful.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
# Puppeteer (whatsapp-web.js) must never download a browser: Chromium comes from Debian.
ENV PUPPETEER_SKIP_DOWNLOAD=1
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim AS app
WORKDIR /app
ENV NODE_ENV=production \
    PUPPETEER_SKIP_DOWNLOAD=1 \
    MIDFUNNEL_DATA_DIR=/data \
    PORT=8080
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY app ./app
COPY bots ./bots
COPY src ./src
COPY workers ./workers
COPY scripts/healthcheck.mjs ./scripts/healthcheck.mjs
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
# /healthz on PORT (http role) or HEALTH_PORT (other roles; set it for them).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 CMD ["node", "scripts/healthcheck.mjs"]
ENTRYPOINT ["node", "bin/midfunnel.js"]
CMD ["start"]

# The WhatsApp connector drives WhatsApp Web in Chromium: only this image carries it.
FROM app AS whatsapp
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium \
 && rm -rf /var/lib/apt/lists/*
ENV PUPPETEER_EXECUTABLE_PATH=/usr/bin/chromium
USER node
CMD ["start", "--role", "whatsapp"]
