import type * as z from 'zod/mini'
import type { AwsClients } from '../clients/aws.js'
import type { SqlConnection } from '../clients/sql.js'
import type { Change, CommandEnd, StartedCommand } from '../engine/events.js'
import type { Target } from '../runbook/model.js'

/**
 * What a step type declares to the runbook loader. Light on purpose: the loader imports every
 * definition, so a definition imports zod/mini and nothing else; the code that acts on the world
 * is loaded only when a step of that type is planned or applied.
 */
export interface StepDefinition<P = unknown> {
  /** The name runbooks write in `uses`, e.g. `route53.shift`. */
  type: string
  /** One line for `--help`, the JSON Schema and reports. */
  summary: string
  /** Validates `with` at load time (expression-valued fields are checked again once resolved). */
  params: z.ZodMiniType<P>
  /**
   * Whether applying the step again after a crash is safe. A step that is not idempotent is
   * never re-applied by resume without the operator saying so.
   */
  idempotent: (params: P) => boolean
  /**
   * The step only reads the world (its changes are waits and probes): a dry run and `plan` run its
   * check against the world as it is, and report a failure as what would fail today.
   */
  readOnly?: boolean
  /** Whether the step's changes can be undone by compensate; shown as manual in plans when not. */
  reversible: (params: P) => boolean
  /** The step calls AWS: a run records the operator's AWS identity before it starts. */
  /**
   * Or decided by the step's `with` as written (expressions unresolved): e.g. only when an optional
   * part that runs through SSM is given.
   */
  usesAws?: boolean | ((params: P) => boolean)
  /**
   * The strings of `with` (as written) that run through /bin/sh, by path: values interpolated into
   * them are quoted for the shell, and validate warns where they are.
   */
  shellCommands?: (params: Record<string, unknown>) => string[][]
  /** Other steps this one names in its params (e.g. wait's `until`), checked to exist at load time. */
  references?: (params: P) => Array<{ key: string; step: string }>
  /** Targets this one names in its params (e.g. `replica: sql-aws`), checked to exist and be of the kind. */
  targets?: (params: P) => Array<{ key: string; target: string; kind: TargetKind }>
  /** Loads the code that plans and applies; kept apart so loading a runbook imports none of it. */
  load: () => Promise<StepImplementation<P>>
}

/** The kinds of target a step can name: a SQL Server instance or a directory server. */
export type TargetKind = 'sql' | 'ldap'

export function defineStep<S extends z.ZodMiniType>(
  definition: StepDefinition<z.infer<S>> & { params: S },
): StepDefinition {
  return definition as unknown as StepDefinition
}

/** What `plan` found: the changes `apply` would make. None means the world is already as desired. */
export interface Plan {
  changes: Change[]
  /** When there is nothing to change, what the step would have output (read from the world). */
  outputs?: Record<string, unknown>
}

export interface Progress {
  percent?: number
  message?: string
  /** A line the operator's log must keep: never throttled away. */
  milestone?: boolean
}

/** What the engine hands a step: everything it may use to act, report and be stopped. */
export interface StepContext {
  runId: string
  stepId: string
  dryRun: boolean
  /** Aborted on timeout or a second Ctrl-C; long operations must stop when it fires. */
  signal: AbortSignal
  /** The runbook's folder: relative paths in a step resolve against it. */
  workdir: string
  /**
   * Live progress for the operator's screen; never journaled. A `milestone` (a stage applied, a
   * seed started or ended, a gate's verdict) is never dropped by a renderer's throttle.
   */
  progress(update: Progress): void
  /**
   * Something the operator must know though the step goes on (plain LDAP, a certificate near its
   * end): journaled, shown under the step and again at the end of the run, listed by `status`.
   */
  warn(message: string): void
  /** Makes undo data durable in the journal; call it BEFORE the change it undoes. */
  recordUndo(undo: unknown): Promise<void>
  /**
   * Makes progress durable (e.g. "stage 2 of 3 applied"): after a crash or a retry the step sees
   * every checkpoint it made in `checkpoints` and continues instead of starting over.
   */
  checkpoint(data: unknown): Promise<void>
  /**
   * Makes a started command durable (its process group and start time) before the step waits on
   * it, so a resume or rollback after a crash can find it if it outlived switchyard. `ended`
   * journals that its group is gone.
   */
  recordCommand(command: StartedCommand): Promise<{ ended(how: CommandEnd): void }>
  /** The checkpoints this step made in earlier attempts of this run, oldest first. */
  readonly checkpoints: readonly unknown[]
  /** AWS SDK clients, built on first use; in a dry run they refuse any call that is not a read. */
  aws: AwsClients
  /**
   * A SQL target, connected: one pool per target per run, closed when the run ends. In a dry run
   * the connection only reads.
   */
  sql(target: string): Promise<SqlConnection>
  /** A target of the runbook with its expressions resolved (secrets included: never print it whole). */
  target(name: string): Target
  /** Removes every secret value from a text (for outputs, messages, errors). */
  redact(text: string): string
  /** Waits, or rejects when the signal aborts; the engine's clock, so tests can replace it. */
  sleep(ms: number): Promise<void>
  /**
   * Asks an operator to confirm (a prompt on a terminal, else --yes or --approve STEP). Resolves with
   * who approved; rejects with an ApprovalRefusedError (the run pauses, exit 3, no retry) when no one
   * approves or `approvers` names no identity switchyard can prove.
   */
  approve(request: { message: string; approvers?: string[] }): Promise<{ operator: string; reason: string }>
  /**
   * Runs another step's `check` (else its `verify`), for `wait until:` and gates; rejects if it fails.
   * A step an `if:` turned off for the run stands down: it checks nothing, and says why.
   */
  check(stepId: string): Promise<CheckVerdict>
}

/** What a check found: it passes, or its step was turned off by `if:` and it stands down (the reason). */
export type CheckVerdict = { result: 'passes' } | { result: 'stands-down'; reason: string }

/** The part of a step type that acts on the world; loaded only when a step of the type runs. */
export interface StepImplementation<P = unknown> {
  /** Read-only: compare the world with the desired state. Runs in dry runs and `plan`. */
  plan(ctx: StepContext, params: P): Promise<Plan>
  /** Makes the changes (recording undo data first) and returns the step's outputs. */
  apply(ctx: StepContext, params: P, plan: Plan): Promise<Record<string, unknown>>
  /** Postcondition, run after apply; also the step's check when it has no `check`. */
  verify?(ctx: StepContext, params: P): Promise<void>
  /**
   * Probes the world for gates and `wait until:`, when that differs from the postcondition: exec has
   * none beyond its exit code, yet an idempotent exec can be re-run as a check.
   */
  check?(ctx: StepContext, params: P): Promise<void>
  /**
   * Read-only: what must already hold for apply to succeed (route53.shift's alarm gates). A dry run
   * and `plan` run it for a step that acts, and report a failure as what would fail today.
   */
  precondition?(ctx: StepContext, params: P): Promise<void>
  /** Puts back what apply changed, from the undo data it recorded (oldest first). */
  compensate?(ctx: StepContext, params: P, undo: unknown[]): Promise<void>
  /**
   * What compensate would do with this undo data, a line per action, for `rollback --dry-run`;
   * reads nothing. Without it, the dry run names the changes the undo puts back.
   */
  describeUndo?(params: P, undo: unknown[]): string[]
}
