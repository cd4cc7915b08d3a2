# The orchestrator image: one image for every role, compiled JavaScript on production dependencies
# only. `node dist/main.js` is `npm start` (role all: refuses to run without MYPAY_URL here, since
# NODE_ENV=production, unless MYPAY_MODE=demo); `--role api`, `--role worker`; the simulator is
# `node dist/simulator/main.js`; the CLI `node bin/mypay.js …`. See docker-compose.yml and
# docs/OPERATIONS.md.

# Build stage: every dependency (TypeScript), then `npm run build` → dist/ (JS, .d.ts, source maps, Lua).
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and dist/ only (no tsx, no TypeScript, no sources).
FROM node:20-slim
# openssl: only the simulator needs it (SIM_TLS=1 makes its self-signed certificate with the CLI).
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin

# Mount points owned by the unprivileged user, so fresh named volumes inherit the ownership:
# /run/mypay-sim holds the simulator's certificate (MYPAY_CA_FILE for api/worker in the sim profile).
RUN mkdir -p /run/mypay-sim /run/mypay && chown node:node /run/mypay-sim /run/mypay
USER node

ENV NODE_ENV=production \
    HOST=0.0.0.0
EXPOSE 3000 9464 4010
CMD ["node", "--enable-source-maps", "dist/main.js"]
