# Build stage: dev dependencies, TypeScript compiled to dist/ (npm ci runs the build: see "prepare").
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY jobs ./jobs
RUN npm ci

# Runtime stage: the compiled code, the migrations and production dependencies only (no tsx, no TypeScript).
FROM node:24-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Optional and peer dependencies are left out too: TypeScript comes in as an optional peer of a
# dashboard library, and the embedded Postgres binaries are not needed (compose runs Postgres).
RUN npm ci --omit=dev --omit=optional --omit=peer --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY sql ./sql
COPY bin ./bin
USER node
# The dashboard role (and `start`) answers /healthz; other roles are healthy while they run.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "bin/healthcheck.js"]
ENTRYPOINT ["node", "bin/paperboy.js"]
CMD ["--help"]
