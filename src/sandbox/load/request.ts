import { type Agent, request } from 'node:http'

/** What one customer request came to: served, or why not (a 5xx status, a refused or reset connection, no answer). */
export type RequestResult = { ok: true } | { ok: false; reason: string }

export interface SentRequest {
  done: Promise<RequestResult>
  /** Gives up on the request: it failed with `reason`. */
  abandon(reason: string): void
}

/** A GET as a customer's browser sends it; anything below 500 counts as served, as an ALB's 5xx metric does. */
export function sendRequest(url: string, agent: Agent): SentRequest {
  let settle: (result: RequestResult) => void = () => {}
  const done = new Promise<RequestResult>((resolve) => {
    settle = resolve
  })
  const req = request(url, { agent }, (res) => {
    res.resume()
    res.once('end', () =>
      settle((res.statusCode ?? 0) < 500 ? { ok: true } : { ok: false, reason: `HTTP ${res.statusCode}` }),
    )
    res.once('error', (error) => settle({ ok: false, reason: describe(error) }))
  })
  req.once('error', (error) => settle({ ok: false, reason: describe(error) }))
  req.end()
  return {
    done,
    abandon(reason) {
      settle({ ok: false, reason })
      req.destroy()
    },
  }
}

const describe = (error: NodeJS.ErrnoException) => error.code ?? error.message
