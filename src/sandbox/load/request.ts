import { type Agent, request } from 'node:http'

/** What one customer request came to: served, or why not (a 5xx status, a refused or reset connection, a timeout). */
export type RequestResult = { ok: true } | { ok: false; reason: string }

/** A GET as a customer's browser sends it; anything below 500 counts as served, as an ALB's 5xx metric does. */
export function sendRequest(url: string, agent: Agent, timeoutMs: number): Promise<RequestResult> {
  return new Promise((resolve) => {
    const req = request(url, { agent, timeout: timeoutMs }, (res) => {
      res.resume()
      res.once('end', () =>
        resolve((res.statusCode ?? 0) < 500 ? { ok: true } : { ok: false, reason: `HTTP ${res.statusCode}` }),
      )
      res.once('error', (error) => resolve({ ok: false, reason: describe(error) }))
    })
    req.once('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })))
    req.once('error', (error) => resolve({ ok: false, reason: describe(error) }))
    req.end()
  })
}

const describe = (error: NodeJS.ErrnoException) => error.code ?? error.message
