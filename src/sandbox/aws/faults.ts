import type { ServiceEndpoint, ServiceName } from './service.js'
import { ServiceError } from './service-error.js'

export type FaultKind = 'throttle' | 'server-error' | 'slow' | 'drop'

export interface FaultSpec {
  service: ServiceName
  /** Omitted: any operation of the service. */
  operation?: string
  kind: FaultKind
  /** How many matching requests it affects; default 1. */
  times?: number
  /** `slow`: how long the answer is held back (default 1000 ms). The operation takes effect at once. */
  delayMs?: number
  /** Overrides the answer's error code, e.g. Route 53's `PriorRequestNotComplete` for a throttle. */
  code?: string
  /** `server-error`: 500 (`InternalFailure`, the default) or 503 (`ServiceUnavailable`). */
  status?: 500 | 503
}

export interface Fault extends FaultSpec {
  remaining: number
}

const KINDS: FaultKind[] = ['throttle', 'server-error', 'slow', 'drop']

/** Faults waiting for requests; each matching request consumes the oldest one that still has uses left. */
export class FaultQueue {
  private readonly queue: Fault[] = []

  add(spec: FaultSpec): Fault {
    if (!KINDS.includes(spec.kind))
      throw new TypeError(`Unknown fault kind '${String(spec.kind)}'; expected one of ${KINDS.join(', ')}`)
    const times = spec.times ?? 1
    if (!(times >= 1)) throw new TypeError(`Fault times must be at least 1, got ${times}`)
    const fault: Fault = { ...spec, remaining: times }
    this.queue.push(fault)
    return fault
  }

  take(service: ServiceName, operation: string): Fault | undefined {
    const fault = this.queue.find(
      (f) =>
        f.remaining > 0 && f.service === service && (f.operation === undefined || f.operation === operation),
    )
    if (!fault) return undefined
    fault.remaining--
    if (fault.remaining === 0) this.queue.splice(this.queue.indexOf(fault), 1)
    return fault
  }

  pending(): Fault[] {
    return [...this.queue]
  }

  clear(): void {
    this.queue.length = 0
  }
}

/** The error a throttle or server-error fault answers with, in the service's own terms. */
export function faultError(endpoint: ServiceEndpoint, fault: Fault): ServiceError {
  if (fault.kind === 'throttle') {
    if (fault.code === 'PriorRequestNotComplete')
      return new ServiceError(
        400,
        fault.code,
        'The request was rejected because Route 53 was still processing a prior request.',
      )
    const { status, code, message } = endpoint.throttle
    return new ServiceError(status, fault.code ?? code, message)
  }
  if (fault.status === 503)
    return new ServiceError(503, fault.code ?? 'ServiceUnavailable', 'Service is unavailable')
  return new ServiceError(
    500,
    fault.code ?? 'InternalFailure',
    'The request processing has failed because of an unknown error',
  )
}
