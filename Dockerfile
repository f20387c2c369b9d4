# One image for every Doppel process; docker-compose.yml picks the command (gateway, worker, cli).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm install --no-fund --no-audit --loglevel=error
COPY tsconfig.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY scripts/build.sh ./scripts/build.sh
RUN bash scripts/build.sh && npm prune --omit=dev --no-fund --no-audit --loglevel=error

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY migrations ./migrations
COPY libs/inference/threads ./libs/inference/threads
COPY models ./models
COPY scripts/verify-with-ethers.mjs ./scripts/verify-with-ethers.mjs
RUN mkdir -p /app/.run/keys && chown -R node:node /app/.run
USER node
CMD ["node", "dist/apps/gateway/main.js"]
