import { ExitCode, SwitchyardError } from '../errors.js'

/** How approvals are given in this invocation: flags, or a person at a terminal. */
export interface ApprovalPolicy {
  /** --yes: every approval is given by the operator who ran the command. */
  yes: boolean
  /** --approve ID: phases or steps approved in advance. */
  ids: ReadonlySet<string>
  /** Present only with a terminal: asks a person; undefined means they declined. */
  prompt?: (question: ApprovalQuestion) => Promise<{ operator: string; reason: string } | undefined>
}

export interface ApprovalQuestion {
  /** The phase or step being approved. */
  id: string
  kind: 'phase' | 'step'
  message: string
  approvers?: string[]
}

export class ApprovalMissingError extends SwitchyardError {
  constructor(
    readonly id: string,
    readonly kind: 'phase' | 'step',
    declined: boolean,
  ) {
    super(
      declined
        ? `approval for ${kind} ${id} was declined`
        : `${kind} ${id} needs an approval and no one was asked`,
      {
        exitCode: ExitCode.refused,
        hint: declined
          ? 'the run is paused; resume it when the go-ahead is given'
          : `approvals never pass silently without a terminal: add --approve ${id} (or --yes)`,
      },
    )
  }
}

/** Gets an approval by flag or by asking; throws ApprovalMissingError when there is none. */
export async function obtainApproval(
  policy: ApprovalPolicy,
  question: ApprovalQuestion,
  operator: string,
): Promise<{ operator: string; reason: string; via: 'prompt' | 'flag' }> {
  if (question.approvers && !question.approvers.includes(operator) && !policy.prompt)
    throw new SwitchyardError(
      `${question.kind} ${question.id} must be approved by ${question.approvers.join(' or ')}`,
      {
        exitCode: ExitCode.refused,
        hint: `you are ${operator}; ask one of them to resume the run`,
      },
    )
  if (policy.ids.has(question.id)) return { operator, reason: `--approve ${question.id}`, via: 'flag' }
  if (policy.yes) return { operator, reason: '--yes', via: 'flag' }
  if (!policy.prompt) throw new ApprovalMissingError(question.id, question.kind, false)
  const answer = await policy.prompt(question)
  if (!answer) throw new ApprovalMissingError(question.id, question.kind, true)
  if (question.approvers && !question.approvers.includes(answer.operator))
    throw new SwitchyardError(`${answer.operator} may not approve ${question.id}`, {
      exitCode: ExitCode.refused,
      hint: `approvers: ${question.approvers.join(', ')}`,
    })
  return { ...answer, via: 'prompt' }
}
