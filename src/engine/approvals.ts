import { ExitCode, SwitchyardError } from '../errors.js'
import type { Who } from './events.js'

/** How approvals are given in this invocation: flags, or a person at a terminal. */
export interface ApprovalPolicy {
  /** --yes: every approval gate and approve step is given by the operator who ran the command. */
  yes: boolean
  /** --approve ID: phases or steps approved in advance, each only for itself. */
  ids: ReadonlySet<string>
  /** --reason: why, in the operator's words (a manual undo cannot be confirmed without one). */
  reason?: string
  /** Present only with a terminal: asks a person. */
  prompt?: (question: ApprovalQuestion) => Promise<PromptAnswer>
}

/** The keys that leave a question unanswered: end of input (at an empty line), or an interrupt. */
export type LeavingKey = 'Ctrl-D' | 'Ctrl-C'

/** What a person at the prompt did: approved with a reason, declined, or left it unanswered with a key. */
export type PromptAnswer = { reason: string } | 'declined' | { leftWith: LeavingKey }

/** An approval prompt left unanswered: which one, and who was asked. */
export interface LeftApproval {
  kind: 'phase' | 'step'
  id: string
  leftWith: LeavingKey
  operator: string
  osUser?: string
}

export interface ApprovalQuestion {
  /** The phase or step being approved. */
  id: string
  kind: 'phase' | 'step'
  message: string
  /** Who may approve: OS user names or AWS ARNs, checked against what switchyard can prove. */
  approvers?: string[]
  /** A manual undo: --yes never confirms it, and it needs the operator's reason. */
  manual?: boolean
}

/** Which proven identity satisfied an `approvers:` list. */
export interface ProvenApprover {
  identity: 'os user' | 'aws identity'
  name: string
}

/** An approval as the journal records it: who (named and proven), how, and why. */
export interface GrantedApproval {
  operator: string
  osUser?: string
  awsIdentity?: string
  reason: string
  via: 'prompt' | 'flag'
  /** The flag exactly as the operator typed it (`--approve traffic`, `--yes`). */
  flag?: string
  approver?: ProvenApprover
}

/** What proves an approval, in words: the identity that satisfied `approvers:`, or the OS user behind a renamed operator. */
export function approvalProof(approval: GrantedApproval): string {
  if (approval.approver)
    return ` [approver proven as ${approval.approver.identity} ${approval.approver.name}]`
  return approval.osUser && approval.osUser !== approval.operator ? ` [OS user ${approval.osUser}]` : ''
}

/** Any approval that was not given: the run stops there, exit 3, and nothing is retried. */
export class ApprovalRefusedError extends SwitchyardError {
  constructor(message: string, hint: string) {
    super(message, { exitCode: ExitCode.refused, hint })
  }
}

export class ApprovalMissingError extends ApprovalRefusedError {
  constructor(question: ApprovalQuestion, declined: boolean) {
    const { kind, id } = question
    super(
      declined
        ? `approval for ${kind} ${id} was declined`
        : question.manual
          ? `step ${id} must be undone by hand, and no one confirmed it`
          : `${kind} ${id} needs an approval and no one was asked`,
      declined
        ? 'the run is paused; resume it when the go-ahead is given'
        : question.manual
          ? `undo it by hand, then confirm with --approve ${id} --reason "what you did" (--yes never confirms manual work)`
          : `approvals never pass silently without a terminal: add --approve ${id} (or --yes)`,
    )
  }
}

/** The operator left the prompt (Ctrl-D, Ctrl-C): the run pauses there, as for a step away from the desk. */
export class ApprovalLeftError extends ApprovalRefusedError {
  readonly left: LeftApproval
  constructor(question: ApprovalQuestion, who: Who, leftWith: LeavingKey) {
    const { kind, id } = question
    super(
      `the approval for ${kind} ${id} was left unanswered by ${who.operator} (${leftWith})`,
      `the run is paused: resume it to be asked again at the same approval, or give it with --approve ${id}`,
    )
    this.left = { kind, id, leftWith, operator: who.operator, ...(who.osUser ? { osUser: who.osUser } : {}) }
  }
}

export class NotAnApproverError extends ApprovalRefusedError {
  constructor(question: ApprovalQuestion, who: Who) {
    const proven = [
      who.osUser ? `OS user ${who.osUser}` : 'no OS user',
      ...(who.awsIdentity ? [`AWS identity ${who.awsIdentity}`] : []),
    ].join(' and ')
    super(
      `${question.kind} ${question.id} must be approved by ${question.approvers?.join(' or ')}; switchyard can prove only ${proven}`,
      'ask one of them to resume the run as themselves (SWITCHYARD_OPERATOR names you in the journal but proves nothing)',
    )
  }
}

/** The identity an `approvers:` list accepts: the OS user this process runs as, else the AWS caller. */
export function proveApprover(approvers: readonly string[], who: Who): ProvenApprover | undefined {
  if (who.osUser && approvers.includes(who.osUser)) return { identity: 'os user', name: who.osUser }
  if (who.awsIdentity && approvers.includes(who.awsIdentity))
    return { identity: 'aws identity', name: who.awsIdentity }
  return undefined
}

/** Gets an approval by flag or by asking; throws an ApprovalRefusedError when there is none. */
export async function obtainApproval(
  policy: ApprovalPolicy,
  question: ApprovalQuestion,
  who: Who,
): Promise<GrantedApproval> {
  const approver = question.approvers ? proveApprover(question.approvers, who) : undefined
  if (question.approvers && !approver) throw new NotAnApproverError(question, who)
  const given = await giveApproval(policy, question, who)
  return {
    operator: who.operator,
    ...(who.osUser ? { osUser: who.osUser } : {}),
    ...(who.awsIdentity ? { awsIdentity: who.awsIdentity } : {}),
    ...given,
    ...(approver ? { approver } : {}),
  }
}

async function giveApproval(
  policy: ApprovalPolicy,
  question: ApprovalQuestion,
  who: Who,
): Promise<Pick<GrantedApproval, 'reason' | 'via' | 'flag'>> {
  const flag = policy.ids.has(question.id)
    ? `--approve ${question.id}`
    : policy.yes && !question.manual
      ? '--yes'
      : undefined
  if (flag) {
    if (question.manual && !policy.reason) throw new ApprovalMissingError(question, false)
    return { reason: policy.reason ?? flag, via: 'flag', flag }
  }
  if (!policy.prompt) throw new ApprovalMissingError(question, false)
  const answer = await policy.prompt(question)
  if (answer === 'declined') throw new ApprovalMissingError(question, true)
  if ('leftWith' in answer) throw new ApprovalLeftError(question, who, answer.leftWith)
  return { reason: answer.reason, via: 'prompt' }
}
