import type { RequestResult } from './request.js'

/** One second of load, by when the requests were sent. */
export interface LoadBucket {
  at: string
  ok: number
  failed: number
  /** Requests whose DNS answer led to AWS, and to the on-prem datacenter. */
  aws: number
  onprem: number
}

export interface LoadFailure {
  sentAt: string
  answeredAt: string
  site?: string
  url?: string
  reason: string
}

export interface LoadSummary {
  rps: number
  startedAt: string
  stoppedAt: string
  total: number
  failed: number
  /** Failed requests by why and where: "HTTP 503 from http://127.0.1.11:18080/health" → count. */
  reasons: Record<string, number>
  /** The first failures, each with when it was sent and answered (at most FAILURES_KEPT). */
  failures: LoadFailure[]
  buckets: LoadBucket[]
}

export const FAILURES_KEPT = 200

export interface CompletedRequest {
  sentAt: number
  answeredAt: number
  site?: 'aws' | 'onprem'
  url?: string | undefined
  result: RequestResult
}

const iso = (ms: number) => new Date(ms).toISOString()

/** Counts requests as they complete, per second sent; keeps the first failures whole. */
export function createTally(startedAt: number, rps: number) {
  const buckets = new Map<number, LoadBucket>()
  const reasons: Record<string, number> = {}
  const failures: LoadFailure[] = []
  let total = 0
  let failed = 0
  return {
    add(request: CompletedRequest): void {
      const second = Math.floor(request.sentAt / 1000) * 1000
      let bucket = buckets.get(second)
      if (!bucket) {
        bucket = { at: iso(second), ok: 0, failed: 0, aws: 0, onprem: 0 }
        buckets.set(second, bucket)
      }
      total++
      if (request.site) bucket[request.site]++
      if (request.result.ok) {
        bucket.ok++
        return
      }
      failed++
      bucket.failed++
      const reason = request.result.reason
      const key = request.url ? `${reason} from ${request.url}` : reason
      reasons[key] = (reasons[key] ?? 0) + 1
      if (failures.length < FAILURES_KEPT)
        failures.push({
          sentAt: iso(request.sentAt),
          answeredAt: iso(request.answeredAt),
          ...(request.site ? { site: request.site } : {}),
          ...(request.url ? { url: request.url } : {}),
          reason,
        })
    },
    summary(stoppedAt: number): LoadSummary {
      return {
        rps,
        startedAt: iso(startedAt),
        stoppedAt: iso(stoppedAt),
        total,
        failed,
        reasons: { ...reasons },
        failures: failures.map((f) => ({ ...f })),
        buckets: [...buckets.entries()].sort(([a], [b]) => a - b).map(([, bucket]) => ({ ...bucket })),
      }
    },
  }
}
