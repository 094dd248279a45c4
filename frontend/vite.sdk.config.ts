import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// The host-page SDK: one self-contained IIFE at src/frontdesk/widget/static/sdk.js (served at
// /packs/js/sdk.js). Built after the widget app, into the same folder, without emptying it.
export default defineConfig({
  publicDir: false,
  build: {
    outDir: fileURLToPath(new URL('../src/frontdesk/widget/static', import.meta.url)),
    emptyOutDir: false,
    sourcemap: false,
    target: 'es2019',
    minify: true,
    lib: {
      entry: fileURLToPath(new URL('./sdk/index.ts', import.meta.url)),
      formats: ['iife'],
      name: 'frontdeskSdk',
      fileName: () => 'sdk.js',
    },
  },
})
