import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

// Built into the Python package (served at /app by Frontdesk). File names carry a content hash,
// so the same sources always build the same files.
export default defineConfig({
  base: '/app/',
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('../src/frontdesk/dashboard/static', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1000,
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
})
