import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { TLSSocket } from 'node:tls'

/** Bodies are read up to this much: enough for any health page, bounded for a misconfigured one. */
export const BODY_CAP = 64 * 1024

const DAY_MS = 86_400_000

export interface ProbeRequest {
  url: string
  method: 'GET' | 'HEAD'
  hostHeader?: string
  timeoutMs: number
  /** PEM of the CAs to trust instead of the system's. */
  ca?: string
  /** Skip certificate verification. */
  insecure?: boolean
  signal: AbortSignal
}

/** What one request came to: an answer, or why there was none. */
export type ProbeAnswer =
  | {
      ok: true
      status: number
      body: string
      latencyMs: number
      /** Days until the peer certificate expires (fractional), for HTTPS. */
      certDays?: number
    }
  | { ok: false; error: string; latencyMs: number }

/** Puts a host into a URL template; an IPv6 address needs its brackets. */
export function urlFor(template: string, host: string): string {
  return template.replaceAll('{host}', isIP(host) === 6 ? `[${host}]` : host)
}

/** The TLS server name: the Host header's name when given, else the URL's name (never an address). */
function serverName(url: URL, hostHeader: string | undefined): string | undefined {
  const name = hostHeader ? hostHeader.replace(/:\d+$/, '') : url.hostname
  return isIP(name.replace(/^\[|\]$/g, '')) ? undefined : name
}

function certDaysOf(socket: Socket): number | undefined {
  const validTo = (socket as TLSSocket).getPeerCertificate?.()?.valid_to
  if (!validTo) return undefined
  const expires = Date.parse(validTo)
  return Number.isNaN(expires) ? undefined : (expires - Date.now()) / DAY_MS
}

/** Reads the body up to BODY_CAP, then stops (the rest is not needed to judge health). */
async function readCapped(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res) {
    const buffer = chunk as Buffer
    chunks.push(buffer)
    size += buffer.length
    if (size >= BODY_CAP) {
      res.destroy()
      break
    }
  }
  return Buffer.concat(chunks).subarray(0, BODY_CAP).toString('utf8')
}

const describeError = (error: unknown): string => {
  const e = error as NodeJS.ErrnoException
  if (e?.code === 'ECONNREFUSED') return 'connection refused'
  if (e?.code === 'ECONNRESET') return 'connection reset'
  if (e?.code === 'ENOTFOUND') return 'host name not found'
  if (e?.code === 'CERT_HAS_EXPIRED') return 'certificate has expired'
  if (e?.code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `certificate does not match: ${e.message}`
  if (e?.code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || e?.code === 'SELF_SIGNED_CERT_IN_CHAIN')
    return `certificate not trusted (${e.code}); give the CA in tls.ca_file`
  return e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? error)
}

/**
 * One request on a fresh connection (no keep-alive: each probe pays and measures the handshake,
 * and sees the certificate). Latency is on the monotonic clock, until the body is read.
 */
export async function probe(req: ProbeRequest): Promise<ProbeAnswer> {
  const url = new URL(req.url)
  const https = url.protocol === 'https:'
  const timeout = AbortSignal.timeout(req.timeoutMs)
  const signal = AbortSignal.any([req.signal, timeout])
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  try {
    const { res, certDays } = await new Promise<{ res: IncomingMessage; certDays?: number }>(
      (resolve, reject) => {
        const options = {
          method: req.method,
          agent: false as const,
          signal,
          headers: {
            'user-agent': 'switchyard-iis-health',
            ...(req.hostHeader ? { host: req.hostHeader } : {}),
          },
          ...(https
            ? {
                servername: serverName(url, req.hostHeader),
                ...(req.ca ? { ca: req.ca } : {}),
                rejectUnauthorized: req.insecure !== true,
              }
            : {}),
        }
        const outgoing = (https ? httpsRequest : httpRequest)(url, options, (res) => {
          const certDays = https ? certDaysOf(res.socket) : undefined
          resolve({ res, ...(certDays !== undefined ? { certDays } : {}) })
        })
        outgoing.on('error', reject)
        outgoing.end()
      },
    )
    const body = req.method === 'HEAD' ? '' : await readCapped(res)
    return {
      ok: true,
      status: res.statusCode ?? 0,
      body,
      latencyMs: elapsed(),
      ...(certDays !== undefined ? { certDays } : {}),
    }
  } catch (error) {
    req.signal.throwIfAborted()
    if (timeout.aborted)
      return { ok: false, error: `no answer within ${req.timeoutMs}ms`, latencyMs: elapsed() }
    return { ok: false, error: describeError(error), latencyMs: elapsed() }
  }
}
