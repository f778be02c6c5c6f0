import type { ServiceName } from './service.js'

export interface LoggedCall {
  service: ServiceName | 'unknown'
  operation: string
  /** Anything but Describe*, Get*, Head* and List*: what a dry run must never send. */
  mutating: boolean
  /** When the request arrived, in the sandbox clock's milliseconds. */
  at: number
  /** The decoded input: JSON body, decoded form, or Route 53's path, query and body. */
  params: unknown
  /** The HTTP status sent; 0 while unanswered or when a `drop` fault closed the connection. */
  status: number
  /** The SDK's attempt number from `amz-sdk-request` (1 for the first try). */
  attempt: number
  /** The error code answered, if any. */
  error?: string
  /** The fault that shaped this answer, if any. */
  fault?: string
}

export const isMutating = (operation: string): boolean => !/^(Describe|Get|Head|List)/.test(operation)

/** `amz-sdk-request: attempt=2; max=3` → 2. */
export function attemptOf(header: string | string[] | undefined): number {
  const text = Array.isArray(header) ? header[0] : header
  const match = text ? /attempt=(\d+)/.exec(text) : null
  return match ? Number(match[1]) : 1
}

/** Every call, in arrival order, with queries for the assertions tests make most. */
export class RequestLog {
  readonly calls: LoggedCall[] = []
  private waiting: Array<{ holds: () => boolean; resolve: () => void }> = []

  record(call: LoggedCall): LoggedCall {
    this.calls.push(call)
    const done = this.waiting.filter((w) => w.holds())
    this.waiting = this.waiting.filter((w) => !done.includes(w))
    for (const w of done) w.resolve()
    return call
  }

  /**
   * Resolves once `holds()` is true, checked now and as each request arrives: a test waits for
   * what the CLI asked, never for a guess at how long it takes.
   */
  until(holds: () => boolean): Promise<void> {
    if (holds()) return Promise.resolve()
    return new Promise((resolve) => this.waiting.push({ holds, resolve }))
  }

  /** Resolves once `count` calls of the operation have arrived since the log was cleared. */
  seen(service: ServiceName, operation: string, count: number): Promise<void> {
    return this.until(() => this.of(service, operation).length >= count)
  }

  mutating(): LoggedCall[] {
    return this.calls.filter((call) => call.mutating)
  }

  of(service: ServiceName, operation?: string): LoggedCall[] {
    return this.calls.filter(
      (call) => call.service === service && (!operation || call.operation === operation),
    )
  }

  clear(): void {
    this.calls.length = 0
  }
}
