// HTTP to Frontdesk with the session cookie; writes carry the session's CSRF token.

import { reactive } from 'vue'
import type { Profile } from './types'

export const session = reactive<{ profile: Profile | null; csrf: string; checked: boolean }>({
  profile: null,
  csrf: '',
  checked: false,
})

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(errorText(body) || `Request failed (${status})`)
  }
}

function errorText(body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>
    if (typeof b.message === 'string') return b.message
    if (typeof b.error === 'string') return b.error
    if (Array.isArray(b.errors) && typeof b.errors[0] === 'string') return b.errors[0]
  }
  return ''
}

let onUnauthorized: () => void = () => {}
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  let parsed: unknown = null
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {
    parsed = text
  }
  if (!response.ok) {
    if (response.status === 401 && !path.startsWith('/auth/sign_in')) onUnauthorized()
    throw new ApiError(response.status, parsed)
  }
  return parsed as T
}

export function accountPath(suffix: string): string {
  const id = session.profile?.account_id
  return `/api/v1/accounts/${id}${suffix}`
}

export const get = <T>(suffix: string) => request<T>('GET', accountPath(suffix))
export const post = <T>(suffix: string, body?: unknown) => request<T>('POST', accountPath(suffix), body ?? {})
export const put = <T>(suffix: string, body?: unknown) => request<T>('PUT', accountPath(suffix), body ?? {})
export const patch = <T>(suffix: string, body?: unknown) => request<T>('PATCH', accountPath(suffix), body ?? {})
export const del = <T>(suffix: string) => request<T>('DELETE', accountPath(suffix))

interface SessionAnswer {
  data: Profile
  csrf_token: string
}

export async function signIn(email: string, password: string): Promise<void> {
  const answer = await request<SessionAnswer>('POST', '/auth/sign_in', { email, password })
  session.profile = answer.data
  session.csrf = answer.csrf_token
}

export async function restoreSession(): Promise<boolean> {
  try {
    const answer = await request<SessionAnswer>('GET', '/auth/session')
    session.profile = answer.data
    session.csrf = answer.csrf_token
    return true
  } catch {
    return false
  } finally {
    session.checked = true
  }
}

export async function signOut(): Promise<void> {
  try {
    await request('DELETE', '/auth/sign_out')
  } finally {
    session.profile = null
    session.csrf = ''
  }
}
