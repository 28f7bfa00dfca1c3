# A runnable image on the official Bun base image. The server listens on 0.0.0.0:8787 inside
# the container and keeps its data in /data (mount a volume there). It requires an API key
# by default (`-e API_KEY=...`, at least 10 characters); pass `--no-auth` as the command to
# run it open behind a trusted proxy.
FROM oven/bun:1.4.5 AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN bun install --production --frozen-lockfile || bun install --production

FROM oven/bun:1.4.5
WORKDIR /app
ENV NODE_ENV=production DS_HOST=0.0.0.0 PORT=8787 DS_ROOT=/data
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
VOLUME ["/data"]
EXPOSE 8787
ENTRYPOINT ["bun", "run", "src/server.ts"]
CMD ["--object-store", "local", "--auth-strategy", "api-key"]
