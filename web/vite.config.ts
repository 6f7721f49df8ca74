import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { writeFileSync } from 'node:fs';

// The API and the socket live on chatd (default :8000); during `npm run dev`
// Vite forwards them so the app runs on one origin, as it does when embedded.
const api = 'http://localhost:8000';
const proxied = ['/auth', '/users', '/rooms', '/files', '/invites', '/avatars', '/healthz', '/openapi.yaml', '/push'];

// web/dist/.keep is committed so `go:embed all:dist` compiles before the
// client is built; the build empties dist, so put it back.
const keepDist = {
  name: 'keep-dist-placeholder',
  apply: 'build' as const,
  closeBundle() {
    writeFileSync(new URL('./dist/.keep', import.meta.url), '');
  },
};

export default defineConfig({
  plugins: [react(), keepDist],
  server: {
    proxy: {
      ...Object.fromEntries(proxied.map((p) => [p, { target: api, changeOrigin: true }])),
      '/ws': { target: api, ws: true, changeOrigin: true },
    },
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  test: { environment: 'node', include: ['src/**/*.test.ts'], env: { TZ: 'UTC' } },
});
