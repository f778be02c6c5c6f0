/** What the sandbox's load generator counted in one interval: requests that passed and failed, and where they went. */
export interface LoadBucket {
  /** When the interval began: an ISO time, or epoch milliseconds. */
  at: string | number
  ok: number
  failed: number
  aws: number
  onprem: number
}

export interface LoadSummary {
  total: number
  failed: number
  buckets: LoadBucket[]
}

export interface InjectedFault {
  name: string
  step: string
  injectedAt: string
  detectedAt?: string
}

/** A drill's verdict, as `switchyard drill` journals it. */
export interface DrillResult {
  passed: boolean
  faults: InjectedFault[]
  detection_ms: number | null
  rto_ms: number | null
  rpo: unknown
  world_diff: unknown[]
  kept: unknown[]
  failed_requests: number
  total_requests: number
  load?: LoadSummary
}

export type DrillResultEvent = { type: 'drill-result'; seq: number; at: string } & DrillResult
export type SandboxLoadEvent = { type: 'sandbox-load'; seq: number; at: string } & LoadSummary
