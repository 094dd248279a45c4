import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

// The website widget (the page inside the iframe), built into the Python package and served at
// /packs/widget/. The backend reads .vite/manifest.json to find the entry `widget/main.ts`.
export default defineConfig({
  base: '/packs/widget/',
  publicDir: false,
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('../src/frontdesk/widget/static', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    manifest: true,
    sourcemap: false,
    target: 'es2020',
    modulePreload: { polyfill: false },
    rollupOptions: { input: 'widget/main.ts' },
  },
  test: {
    environment: 'node',
    include: ['widget/**/*.test.ts', 'sdk/**/*.test.ts', 'shared/**/*.test.ts'],
  },
})
