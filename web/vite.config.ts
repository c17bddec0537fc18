/**
 * Builds the dashboard into web/dist, which `throughline serve` serves at `/` (src/web). In
 * development (`npm run dev:web`) the API calls go to a running `throughline serve`.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.THROUGHLINE_API ?? 'http://127.0.0.1:4319';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Hashed file names under assets/ are what the server caches as immutable.
    assetsDir: 'assets',
    chunkSizeWarningLimit: 800,
  },
  server: { proxy: { '/api': api, '/healthz': api } },
});
