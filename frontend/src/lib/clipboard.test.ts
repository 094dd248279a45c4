import { describe, expect, it } from 'vitest'
import { copyText } from './clipboard'

describe('copyText', () => {
  it('uses the Clipboard API when it works', async () => {
    const written: string[] = []
    const fallback: string[] = []
    const ok = await copyText('<script>', {
      clipboard: { writeText: async (t) => void written.push(t) },
      fallback: (t) => (fallback.push(t), true),
    })
    expect(ok).toBe(true)
    expect(written).toEqual(['<script>'])
    expect(fallback).toEqual([])
  })

  it('falls back when the Clipboard API refuses or is missing', async () => {
    const fallback: string[] = []
    const refused = await copyText('a', {
      clipboard: { writeText: () => Promise.reject(new DOMException('denied', 'NotAllowedError')) },
      fallback: (t) => (fallback.push(t), true),
    })
    const missing = await copyText('b', { clipboard: null, fallback: (t) => (fallback.push(t), false) })
    expect(refused).toBe(true)
    expect(missing).toBe(false)
    expect(fallback).toEqual(['a', 'b'])
  })
})
