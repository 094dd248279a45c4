import { describe, expect, it } from 'vitest'
import { ApiError, session, upload, type XhrLike } from './api'
import {
  addWithinLimits,
  attachmentSummary,
  buildMessageForm,
  dragHasFiles,
  fileNameOf,
  humanSize,
  kindOf,
  limitProblem,
  pastedFiles,
  sendWithFiles,
  thumbOf,
  toLocalFiles,
  uploadErrorText,
} from './attachments'
import { addOptimistic, applyMessage, emptyThread } from './thread'
import type { Attachment } from './types'

const MB = 1024 * 1024

function attachment(extra: Partial<Attachment> = {}): Attachment {
  return {
    id: 1,
    message_id: 9,
    file_type: 'file',
    data_url: 'http://127.0.0.1:3000/files/abc/report.pdf?expires=1&signature=x',
    thumb_url: '',
    file_size: 2048,
    ...extra,
  }
}

describe('sizes and names', () => {
  it('formats sizes in binary units', () => {
    expect(humanSize(0)).toBe('0 B')
    expect(humanSize(undefined)).toBe('0 B')
    expect(humanSize(812)).toBe('812 B')
    expect(humanSize(1023)).toBe('1023 B')
    expect(humanSize(1024)).toBe('1 KB')
    expect(humanSize(1536)).toBe('1.5 KB')
    expect(humanSize(15 * 1024 + 300)).toBe('15 KB')
    expect(humanSize(40 * MB)).toBe('40 MB')
    expect(humanSize(2.25 * 1024 * MB)).toBe('2.3 GB')
  })

  it('takes the file name from the URL path, decoded, without the signature', () => {
    expect(fileNameOf('http://127.0.0.1:3000/files/abc/report.pdf?expires=1&signature=x')).toBe('report.pdf')
    expect(fileNameOf('https://bucket.s3.amazonaws.com/k/My%20Invoice%20%C3%A9t%C3%A9.pdf?X-Amz-Signature=1')).toBe('My Invoice été.pdf')
    expect(fileNameOf('/files/a/b/notes.txt#frag')).toBe('notes.txt')
    expect(fileNameOf('https://host/files/x/bad%E0%A4%A.txt')).toBe('bad%E0%A4%A.txt')
    expect(fileNameOf('')).toBe('file')
    expect(fileNameOf('https://host/')).toBe('file')
  })

  it('knows images, audio, video and the rest', () => {
    expect(kindOf({ file_type: 'image' })).toBe('image')
    expect(kindOf({ file_type: 'audio' })).toBe('audio')
    expect(kindOf({ file_type: 'video' })).toBe('video')
    expect(kindOf({ file_type: 'file' })).toBe('file')
    expect(kindOf({ file_type: 'location' })).toBe('file')
    expect(kindOf({ file_type: '', content_type: 'image/png' })).toBe('image')
    expect(thumbOf(attachment({ thumb_url: '', data_url: 'd' }))).toBe('d')
    expect(thumbOf(attachment({ thumb_url: 't', data_url: 'd' }))).toBe('t')
  })

  it('summarises a message with files for the list', () => {
    expect(attachmentSummary({})).toBe('')
    expect(attachmentSummary({ attachments: [attachment()] })).toBe('📎 report.pdf')
    expect(attachmentSummary({ attachments: [attachment({ file_type: 'image' })] })).toBe('📎 Image')
    expect(attachmentSummary({ attachments: [attachment(), attachment({ id: 2 })] })).toBe('📎 2 files')
  })
})

describe('client-side limits', () => {
  const limits = { maxFileBytes: 40 * MB, maxFiles: 3 }
  const f = (name: string, size = 10) => ({ name, size })

  it('keeps files within the size and count', () => {
    const { files, errors } = addWithinLimits([f('a')], [f('b'), f('c')], limits)
    expect(files.map((x) => x.name)).toEqual(['a', 'b', 'c'])
    expect(errors).toEqual([])
  })

  it('leaves out a file over the size, naming it and the limit', () => {
    const { files, errors } = addWithinLimits([], [f('big.mov', 40 * MB + 1), f('ok.png')], limits)
    expect(files.map((x) => x.name)).toEqual(['ok.png'])
    expect(errors).toEqual(['big.mov is 40 MB: files can be at most 40 MB'])
    // Exactly the limit is allowed, as on the server.
    expect(addWithinLimits([], [f('edge', 40 * MB)], limits).errors).toEqual([])
  })

  it('leaves out the files past the count', () => {
    const { files, errors } = addWithinLimits([f('a'), f('b')], [f('c'), f('d'), f('e')], limits)
    expect(files.map((x) => x.name)).toEqual(['a', 'b', 'c'])
    expect(errors).toEqual(['At most 3 files per message: 2 files were left out'])
    expect(addWithinLimits([f('a'), f('b'), f('c')], [f('d')], limits).errors).toEqual(['At most 3 files per message: 1 file was left out'])
  })

  it('uses the server defaults: 40 MB and 15 files', () => {
    const many = Array.from({ length: 16 }, (_, i) => f(`f${i}`))
    expect(addWithinLimits([], many).files).toHaveLength(15)
    expect(limitProblem(many)).toBe('At most 15 files per message (16 chosen)')
    expect(limitProblem([f('x', 41 * MB)])).toBe('x is 41 MB: files can be at most 40 MB')
    expect(limitProblem([f('x', 40 * MB)])).toBeNull()
  })
})

describe('the multipart form', () => {
  it('carries Chatwoot fields and one attachments[] part per file', () => {
    const files = [new File(['hello'], 'notes.txt', { type: 'text/plain' }), new File([new Uint8Array([1, 2, 3])], 'b.png', { type: 'image/png' })]
    const form = buildMessageForm({ content: '', isPrivate: true, echoId: 'echo-1', files })
    expect(form.get('content')).toBe('')
    expect(form.get('private')).toBe('true')
    expect(form.get('message_type')).toBe('outgoing')
    expect(form.get('echo_id')).toBe('echo-1')
    const parts = form.getAll('attachments[]') as File[]
    expect(parts.map((p) => p.name)).toEqual(['notes.txt', 'b.png'])
    expect(parts[1].type).toBe('image/png')
    expect(buildMessageForm({ content: 'hi', isPrivate: false, echoId: 'e', files: [] }).get('private')).toBe('false')
  })

  it('names pasted screenshots after the time and keeps real names', () => {
    const now = new Date(2026, 0, 2, 3, 4, 5)
    const pasted = pastedFiles({ files: [new File(['x'], 'image.png', { type: 'image/png' })] }, now)
    expect(pasted[0].name).toBe('screenshot-20260102-030405.png')
    expect(pasted[0].type).toBe('image/png')
    const two = pastedFiles({ files: [new File(['x'], 'image.png', { type: 'image/jpeg' }), new File(['y'], 'doc.pdf', { type: 'application/pdf' })] }, now)
    expect(two.map((p) => p.name)).toEqual(['screenshot-20260102-030405-1.jpg', 'doc.pdf'])
    expect(pastedFiles(null)).toEqual([])
    expect(dragHasFiles({ types: ['text/plain', 'Files'] })).toBe(true)
    expect(dragHasFiles({ types: ['text/uri-list'] })).toBe(false)
  })

  it('previews images only', async () => {
    const local = await toLocalFiles(
      [new File(['x'], 'a.png', { type: 'image/png' }), new File(['y'], 'a.txt', { type: 'text/plain' })],
      async () => 'data:image/png;base64,eA==',
    )
    expect(local.map((l) => l.preview)).toEqual(['data:image/png;base64,eA==', null])
    expect(local[0].key).not.toBe(local[1].key)
  })
})

class FakeXhr implements XhrLike {
  static last: FakeXhr
  status = 0
  responseText = ''
  upload: XhrLike['upload'] = { onprogress: null }
  onload: (() => void) | null = null
  onerror: (() => void) | null = null
  onabort: (() => void) | null = null
  method = ''
  url = ''
  headers: Record<string, string> = {}
  body: FormData | null = null
  aborted = false
  constructor() {
    FakeXhr.last = this
  }
  open(method: string, url: string): void {
    this.method = method
    this.url = url
  }
  setRequestHeader(name: string, value: string): void {
    this.headers[name] = value
  }
  send(body: FormData): void {
    this.body = body
  }
  abort(): void {
    this.aborted = true
    this.onabort?.()
  }
  answer(status: number, body: unknown): void {
    this.status = status
    this.responseText = JSON.stringify(body)
    this.onload?.()
  }
}

describe('the upload', () => {
  session.profile = { account_id: 7 } as typeof session.profile
  session.csrf = 'csrf-1'

  it('posts the form with the CSRF token, reports progress and answers the message', async () => {
    const progress: [number, number][] = []
    const sent = sendWithFiles(
      3,
      { content: 'see file', isPrivate: false, echoId: 'e1', files: [new File(['x'], 'x.txt')] },
      { xhr: () => new FakeXhr(), onProgress: (loaded, total) => progress.push([loaded, total]) },
    )
    const xhr = FakeXhr.last
    expect(xhr.method).toBe('POST')
    expect(xhr.url).toBe('/api/v1/accounts/7/conversations/3/messages')
    expect(xhr.headers['X-CSRF-Token']).toBe('csrf-1')
    expect(xhr.headers['Content-Type']).toBeUndefined()
    expect(xhr.body?.get('content')).toBe('see file')
    xhr.upload.onprogress?.({ loaded: 5, total: 10, lengthComputable: true })
    xhr.upload.onprogress?.({ loaded: 0, total: 0, lengthComputable: false })
    xhr.answer(200, { id: 5, attachments: [attachment()] })
    const message = await sent
    expect(message.id).toBe(5)
    expect(message.attachments?.[0].file_size).toBe(2048)
    expect(progress).toEqual([[5, 10]])
  })

  it('turns a 422 into an error naming the refused field', async () => {
    const sent = upload('/conversations/3/messages', new FormData(), { xhr: () => new FakeXhr() })
    FakeXhr.last.answer(422, { error: 'is too big', attributes: ['attachments'] })
    const error = await sent.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(422)
    expect((error as ApiError).attributes).toEqual(['attachments'])
    expect(uploadErrorText(error)).toBe('Attachments: is too big')
    expect(uploadErrorText(new ApiError(422, { message: 'Attachments exceed the limit', attributes: ['attachments'] }))).toBe(
      'Attachments exceed the limit',
    )
    expect(uploadErrorText(new ApiError(413, 'Too large'))).toBe('The files are too large for the server to accept')
  })

  it('can be cancelled', async () => {
    const controller = new AbortController()
    const sent = upload('/x', new FormData(), { xhr: () => new FakeXhr(), signal: controller.signal })
    controller.abort()
    await expect(sent).rejects.toThrow('cancelled')
    expect(FakeXhr.last.aborted).toBe(true)
  })
})

describe('optimistic sends with files', () => {
  it('show the uploading names until the stored copy brings its attachments', () => {
    let t = addOptimistic(emptyThread(1), { content: '', isPrivate: false, echoId: 'e9', files: [{ name: 'a.txt', size: 3 }], now: 1000 })
    expect(t.messages[0].localFiles).toEqual([{ name: 'a.txt', size: 3 }])
    t = applyMessage(t, { id: 4, content: '', conversation_id: 1, message_type: 1, private: false, created_at: 1, echo_id: 'e9', attachments: [attachment()] })
    expect(t.messages).toHaveLength(1)
    expect(t.messages[0].localFiles).toBeUndefined()
    expect(t.messages[0].attachments).toHaveLength(1)
  })
})
