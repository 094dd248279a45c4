// The widget API client: every call carries X-Auth-Token (the widget JWT) and ?website_token=.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(ApiError.describe(status, body))
  }

  static describe(status: number, body: unknown): string {
    if (body && typeof body === 'object') {
      const b = body as Record<string, unknown>
      const error = b.error ?? b.message
      if (typeof error === 'string') return error
      if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
        return (error as { message: string }).message
      }
    }
    return `HTTP ${status}`
  }
}

export interface ApiOptions {
  query?: Record<string, string | number | undefined>
  json?: unknown
  form?: FormData
}

export class WidgetApi {
  constructor(
    public authToken: string,
    readonly websiteToken: string,
    public locale = 'en',
    readonly fetcher: typeof fetch = (...args) => fetch(...args),
  ) {}

  url(path: string, query: ApiOptions['query'] = {}): string {
    const params = new URLSearchParams({ website_token: this.websiteToken, locale: this.locale })
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value))
    return `/api/v1/widget/${path}?${params}`
  }

  async request<T = unknown>(method: string, path: string, options: ApiOptions = {}): Promise<T> {
    const headers: Record<string, string> = { 'X-Auth-Token': this.authToken, Accept: 'application/json' }
    let body: BodyInit | undefined
    if (options.form) body = options.form
    else if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(options.json)
    }
    const response = await this.fetcher(this.url(path, options.query), { method, headers, body, credentials: 'omit' })
    const text = await response.text()
    let data: unknown = null
    if (text) {
      try {
        data = JSON.parse(text)
      } catch {
        data = text
      }
    }
    if (!response.ok) throw new ApiError(response.status, data)
    return data as T
  }
}
