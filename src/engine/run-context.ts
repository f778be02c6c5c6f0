import type { AwsClients } from '../clients/aws.js'
import type { SqlConnections } from '../clients/sql.js'
import type { Scope } from '../runbook/expressions.js'
import type { Runbook, Step } from '../runbook/model.js'
import type { StepContext, StepDefinition } from '../steps/contract.js'
import type { ApprovalPolicy } from './approvals.js'
import type { RunLog } from './event-log.js'
import type { Change, Who } from './events.js'
import type { Redactor } from './redaction.js'

/** Set by Ctrl-C: once to stop starting steps, twice to abort the running ones. */
export interface Interrupt {
  readonly stopRequested: boolean
  readonly signal: AbortSignal
}

/** A plan saved by `switchyard plan --out`, which `run --plan` holds the run to. */
export interface SavedPlan {
  runbook: { name: string; hash: string }
  params: Record<string, unknown>
  createdAt: string
  steps: Record<string, { changes: Change[] }>
}

/** Everything the scheduler, the step runner and rollback share for one invocation. */
export interface RunContext {
  runbook: Runbook
  log: RunLog
  secrets: Record<string, string>
  redactor: Redactor
  stepTypes: ReadonlyMap<string, StepDefinition>
  who: Who
  dryRun: boolean
  approvals: ApprovalPolicy
  interrupt: Interrupt
  /** The runbook's folder: relative paths resolve against it. */
  workdir: string
  aws: AwsClients
  sql: SqlConnections
  expectedPlan: SavedPlan | undefined
  /** resume --retry-step: re-apply these even if not idempotent. */
  retrySteps: ReadonlySet<string>
  /** resume --skip-step: skip these, with the operator's reason. */
  skipSteps: ReadonlyMap<string, string>
  /** What expressions read, as of now (built once, kept current by the run log). */
  scope(): Scope
  /** Builds the context handed to a step's plan/apply/verify/compensate. */
  stepContext(step: Step, signal: AbortSignal): StepContext
}
