import type { ParamDocument } from './schema.js'

export type OnFailure = 'pause' | 'rollback' | 'abort'
export type ParamValue = string | number | boolean | Array<string | number | boolean>

export interface RetryPolicy {
  attempts: number
  backoffMs: number
  maxBackoffMs: number
}

export interface Step {
  id: string
  phase: string
  name: string | undefined
  uses: string
  with: Record<string, unknown>
  /** Steps of the same phase that must succeed first. */
  needs: string[]
  if: string | boolean | undefined
  timeoutMs: number
  retry: RetryPolicy
  continueOnError: boolean
}

export interface Phase {
  id: string
  name: string | undefined
  description: string | undefined
  approval: boolean
  pointOfNoReturn: boolean
  onFailure: OnFailure
  concurrency: number
  steps: Step[]
}

export interface Target {
  hosts?: string[]
  instances?: string[]
  /** Found by tags when a run starts; the run pins what it found. */
  ec2?: { tags: Record<string, string>; states?: string[] }
  sql?: SqlTarget
  ldap?: LdapTarget
  description?: string
}

/** A SQL Server instance or availability group listener (see the schema for each field). */
export interface SqlTarget {
  server: string
  port?: number
  instance?: string
  database?: string
  user: string
  password: string
  domain?: string
  listener?: boolean
  encrypt?: boolean
  trust_server_certificate?: boolean
  multi_subnet_failover?: boolean
  connect_timeout?: string
  request_timeout?: string
}

/** A directory server reached over LDAP. */
export interface LdapTarget {
  url: string
  bind_dn: string
  password: string
  starttls?: boolean
  ca_file?: string
  insecure?: boolean
  timeout?: string
}

/** A runbook that loaded without errors: every default applied, every reference checked. */
export interface Runbook {
  /** The path as the operator wrote it; diagnostics and reports use it. */
  file: string
  /** sha256 of the file's bytes: runs pin it so resume notices an edited runbook. */
  hash: string
  name: string
  description: string | undefined
  params: Record<string, ParamDocument>
  secrets: Record<string, { from: string; description?: string }>
  targets: Record<string, Target>
  onFailure: OnFailure
  /** Milestones published to SNS (the runbook's `notify:`). */
  notify?: {
    topic: string
    on?: Array<'phase-started' | 'phase-completed' | 'failed' | 'paused' | 'rollback' | 'completed'>
  }
  phases: Phase[]
  /** Params after --param, --params and defaults; missing ones are absent. */
  paramValues: Record<string, ParamValue>
}

/** `start` is the moment before the first phase; every phase id names the moment it completed. */
export const START_POINT = 'start'

export function rollbackPoints(runbook: Pick<Runbook, 'phases'>): string[] {
  return [START_POINT, ...runbook.phases.map((p) => p.id)]
}

export const BUILTIN_DEFAULTS = {
  concurrency: 4,
  onFailure: 'pause' as OnFailure,
  timeout: '15m',
  retry: { attempts: 1, backoff: '5s', max_backoff: '5m' },
}
