// A small stable 64-bit string hash (two independent 32-bit FNV-1a style lanes), used only to know
// whether setUser was already sent with the same data: not a security measure.

export function stableHash(text: string): string {
  let a = 0x811c9dc5
  let b = 0x01000193 ^ text.length
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    a = Math.imul(a ^ code, 0x01000193)
    b = Math.imul(b ^ code, 0x5bd1e995)
    b ^= b >>> 15
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0')
}

export interface UserFields {
  avatar_url?: unknown
  email?: unknown
  name?: unknown
  identifier_hash?: unknown
  [key: string]: unknown
}

/** The fingerprint of one setUser call (every field, in a fixed order). */
export function userFingerprint(identifier: string | number, user: UserFields): string {
  const keys = Object.keys(user).sort()
  return stableHash(JSON.stringify([String(identifier), keys.map((key) => [key, user[key]])]))
}
