# paperboy runs its TypeScript through tsx: no build stage needed.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY bin ./bin
COPY src ./src
COPY jobs ./jobs
COPY sql ./sql
USER node
ENTRYPOINT ["node", "bin/paperboy.js"]
CMD ["--help"]
