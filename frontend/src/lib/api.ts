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

  /** The request fields the server names as the problem (Chatwoot's ``attributes``). */
  get attributes(): string[] {
    const b = this.body as Record<string, unknown> | null
    return b && typeof b === 'object' && Array.isArray(b.attributes) ? b.attributes.filter((a) => typeof a === 'string') : []
  }
}

export function errorText(body: unknown): string {
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
  const parsed = parseBody(await response.text())
  if (!response.ok) {
    if (response.status === 401 && !path.startsWith('/auth/sign_in')) onUnauthorized()
    throw new ApiError(response.status, parsed)
  }
  return parsed as T
}

function parseBody(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null
  } catch {
    return text
  }
}

/** The part of XMLHttpRequest an upload uses (tests pass a fake). */
export interface XhrLike {
  status: number
  responseText: string
  upload: { onprogress: ((ev: { loaded: number; total: number; lengthComputable: boolean }) => void) | null }
  onload: (() => void) | null
  onerror: (() => void) | null
  onabort: (() => void) | null
  open(method: string, url: string): void
  setRequestHeader(name: string, value: string): void
  send(body: FormData): void
  abort(): void
}

export interface UploadOptions {
  onProgress?: (loaded: number, total: number) => void
  signal?: AbortSignal
  xhr?: () => XhrLike
}

/** An upload cancelled by its signal. */
export class UploadAborted extends Error {
  constructor() {
    super('The upload was cancelled')
  }
}

/**
 * POST ``form`` (multipart) to an account path with XMLHttpRequest, for its upload progress; the same
 * session cookie and CSRF token as ``request``, the same ``ApiError`` on a failure.
 */
export function upload<T>(suffix: string, form: FormData, options: UploadOptions = {}): Promise<T> {
  const path = accountPath(suffix)
  return new Promise<T>((resolve, reject) => {
    if (options.signal?.aborted) return reject(new UploadAborted())
    const xhr = options.xhr ? options.xhr() : (new XMLHttpRequest() as unknown as XhrLike)
    xhr.open('POST', path)
    xhr.setRequestHeader('Accept', 'application/json')
    if (session.csrf) xhr.setRequestHeader('X-CSRF-Token', session.csrf)
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable) options.onProgress?.(ev.loaded, ev.total)
    }
    xhr.onload = () => {
      const parsed = parseBody(xhr.responseText)
      if (xhr.status >= 200 && xhr.status < 300) return resolve(parsed as T)
      if (xhr.status === 401) onUnauthorized()
      reject(new ApiError(xhr.status, parsed))
    }
    xhr.onerror = () => reject(new ApiError(0, { error: 'The upload failed: the server could not be reached' }))
    xhr.onabort = () => reject(new UploadAborted())
    options.signal?.addEventListener('abort', () => xhr.abort(), { once: true })
    // The browser sets the multipart Content-Type with its boundary.
    xhr.send(form)
  })
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
