# The orchestrator image: one image for every role (`npm run api`, `npm run worker`, `npm start`,
# `npm run simulator`), run from the TypeScript sources with tsx as the repo does — no build step.
# See docker-compose.yml and docs/OPERATIONS.md.
FROM node:20-slim

# openssl: only the simulator needs it (SIM_TLS=1 makes its self-signed certificate with the CLI).
RUN apt-get update \
 && apt-get install -y --no-install-recommends openssl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src

# Mount points owned by the unprivileged user, so fresh named volumes inherit the ownership:
# /run/mypay-sim holds the simulator's certificate (MYPAY_CA_FILE for api/worker in the sim profile).
RUN mkdir -p /run/mypay-sim /run/mypay && chown node:node /run/mypay-sim /run/mypay
USER node

ENV NODE_ENV=production \
    HOST=0.0.0.0
EXPOSE 3000 9464 4010
CMD ["npm", "start"]
