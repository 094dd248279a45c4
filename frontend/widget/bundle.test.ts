// Node-only (fs, zlib): left out of the browser type check (tsconfig.widget.json).
// The size budget of what a visitor downloads, measured on the committed build (gzip -9).
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'

const STATIC = fileURLToPath(new URL('../../src/frontdesk/widget/static/', import.meta.url))
const gzipped = (file: string): number => gzipSync(readFileSync(STATIC + file), { level: 9 }).length
const built = existsSync(STATIC + '.vite/manifest.json') && existsSync(STATIC + 'sdk.js')

describe.skipIf(!built)('bundle budget', () => {
  it('sdk.js stays under 10 KB compressed and has no imports', () => {
    expect(gzipped('sdk.js')).toBeLessThanOrEqual(10 * 1024)
    expect(readFileSync(STATIC + 'sdk.js', 'utf8')).not.toMatch(/\bimport\s*[({'"]/)
  })

  it('the widget first load (entry JS, its static imports and CSS) stays under 80 KB compressed', () => {
    const manifest = JSON.parse(readFileSync(STATIC + '.vite/manifest.json', 'utf8')) as Record<
      string,
      { file: string; css?: string[]; imports?: string[] }
    >
    const entry = manifest['widget/main.ts']
    expect(entry).toBeDefined()
    const files = new Set<string>()
    const visit = (key: string): void => {
      const chunk = manifest[key]
      if (!chunk || files.has(chunk.file)) return
      files.add(chunk.file)
      for (const css of chunk.css ?? []) files.add(css)
      for (const imported of chunk.imports ?? []) visit(imported)
    }
    visit('widget/main.ts')
    const total = [...files].reduce((sum, file) => sum + gzipped(file), 0)
    expect(total).toBeLessThanOrEqual(80 * 1024)
  })

  it('loads nothing from other hosts (no CDN fonts or scripts)', () => {
    const manifest = readFileSync(STATIC + '.vite/manifest.json', 'utf8')
    const entry = (JSON.parse(manifest) as Record<string, { file: string; css?: string[] }>)['widget/main.ts']
    for (const file of [entry.file, ...(entry.css ?? [])]) {
      const text = readFileSync(STATIC + file, 'utf8')
      expect(text, file).not.toMatch(/@import\s+url\(|fonts\.googleapis|cdn\.jsdelivr|unpkg\.com/)
    }
  })
})
