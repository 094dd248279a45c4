import { describe, expect, it } from 'vitest'
import de from './locales/de'
import en from './locales/en'
import es from './locales/es'
import fr from './locales/fr'
import pt from './locales/pt'

const placeholders = (text: string): string[] => (text.match(/\{\w+\}/g) ?? []).sort()

describe('catalogues', () => {
  it('every language has every key, with the same placeholders, and is translated', () => {
    for (const [name, catalogue] of Object.entries({ de, es, fr, pt })) {
      expect(Object.keys(catalogue).sort(), name).toEqual(Object.keys(en).sort())
      for (const key of Object.keys(en) as (keyof typeof en)[]) {
        expect(placeholders(catalogue[key]), `${name}.${key}`).toEqual(placeholders(en[key]))
        expect(catalogue[key].trim(), `${name}.${key}`).not.toBe('')
      }
      expect(catalogue.csatLabels.split('|'), name).toHaveLength(5)
      // Most strings differ from English (a few, like "Online", may be the same word).
      const same = (Object.keys(en) as (keyof typeof en)[]).filter((k) => catalogue[k] === en[k])
      expect(same.length, `${name}: ${same.join(', ')}`).toBeLessThan(6)
    }
  })
})
