// Builds web/app into dist/ for certseald (web.app_dir), served at /app/. Hashed files go to
// dist/assets/ (cached a year by the server); each file gets a .gz copy beside it, and the build
// prints the gzip size of the initial load (index.html and what it loads at once).
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';
import { precompressAndReport } from '../shared/build/precompress.js';

const shared = fileURLToPath(new URL('../shared', import.meta.url));

export default defineConfig({
  base: '/app/',
  plugins: [vue(), precompressAndReport('/app/')],
  // web/shared has no node_modules of its own: its imports resolve from this app.
  resolve: { alias: { '@shared': shared }, dedupe: ['vue', 'vue-i18n', 'vant'] },
  server: { fs: { allow: ['..'] } },
  build: {
    target: 'es2022',
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
  },
});
