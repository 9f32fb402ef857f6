# Mallard Metrics, embedded mode (docs/DEPLOY.md). Two stages: the first builds with the dev
# toolchain, the second holds only the build and the production dependencies.
#   docker build -t mallard-metrics .
#   docker run -p 8000:8000 -v mallard-data:/data -e MALLARD_ADMIN_PASSWORD='a long password' mallard-metrics

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY tracker ./tracker
COPY dashboard ./dashboard
RUN npm run build && npm prune --omit=dev --ignore-scripts

# The engine's prebuilt binaries need glibc: a Debian slim base, not Alpine.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    MALLARD_HOST=0.0.0.0 \
    MALLARD_PORT=8000 \
    MALLARD_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8000/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) flushes the buffered events before the process exits.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js", "serve"]
