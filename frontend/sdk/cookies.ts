// First-party cookies on the host page: cw_conversation (the widget token, so the visitor keeps
// their conversation across pages and reloads) and cw_user_<websiteToken> (what setUser last sent).

export const CONVERSATION_COOKIE = 'cw_conversation'
export const userCookieName = (websiteToken: string): string => `cw_user_${websiteToken}`

export function readCookie(cookieString: string, name: string): string | null {
  for (const part of cookieString.split(';')) {
    const index = part.indexOf('=')
    if (index < 0) continue
    if (part.slice(0, index).trim() === name) {
      try {
        return decodeURIComponent(part.slice(index + 1).trim())
      } catch {
        return null
      }
    }
  }
  return null
}

export interface CookieOptions {
  days?: number
  domain?: string
  secure?: boolean
}

/** The ``document.cookie`` assignment that stores (or, with days <= 0, removes) a cookie. */
export function cookieAssignment(name: string, value: string, options: CookieOptions = {}, now = Date.now()): string {
  const days = options.days ?? 365
  const expires = new Date(now + days * 864e5).toUTCString()
  let cookie = `${name}=${encodeURIComponent(value)}; expires=${expires}; path=/; SameSite=Lax`
  if (options.domain) cookie += `; domain=${options.domain}`
  if (options.secure) cookie += '; Secure'
  return cookie
}
