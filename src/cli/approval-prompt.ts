import type { Writable } from 'node:stream'
import type { ApprovalPolicy, ApprovalQuestion, PromptAnswer } from '../engine/approvals.js'
import type { Who } from '../engine/events.js'
import { InvalidInputError } from '../errors.js'
import type { PromptHost } from '../render/prompt-host.js'
import type { Runbook } from '../runbook/model.js'
import { didYouMean } from '../runbook/suggest.js'
import { askLine } from './ask-line.js'

/**
 * Flags first; then, only on a terminal, a question drawn by the renderer that owns the screen:
 * the operator types the id to approve, and a reason that is journaled.
 */
export function approvalTerms(
  flags: { yes: boolean; approve?: string[] | undefined; reason?: string | undefined; json: boolean },
  who: Who,
  host: PromptHost,
): ApprovalPolicy {
  // The prompt names the identity that approvers: will check, not only the journaled label.
  const operator =
    who.osUser && who.osUser !== who.operator ? `${who.operator} (OS user ${who.osUser})` : who.operator
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true && !flags.json
  return {
    yes: flags.yes,
    ids: new Set(flags.approve ?? []),
    ...(flags.reason ? { reason: flags.reason } : {}),
    ...(interactive
      ? {
          prompt: (question: ApprovalQuestion) =>
            host.prompt(question, (output) => ask(question, operator, output)),
        }
      : {}),
  }
}

async function ask(question: ApprovalQuestion, operator: string, output: Writable): Promise<PromptAnswer> {
  const typed = await askLine(
    {
      message: `${question.message}\n  Type "${question.id}" to approve as ${operator} (anything else declines):`,
    },
    output,
  )
  if ('leftWith' in typed) return typed
  if (typed.answer.trim() !== question.id) return 'declined'
  // A manual undo is confirmed with what was done by hand; nothing stands in for it.
  const reason = await askLine(
    question.manual
      ? {
          message: `What was done by hand to undo ${question.id} (recorded in the journal):`,
          validate: (text: string) => text.trim().length > 0 || 'say what was done',
        }
      : {
          message: `Reason for approving ${question.kind} ${question.id} (recorded in the journal):`,
          default: 'go ahead',
        },
    output,
  )
  return 'leftWith' in reason ? reason : { reason: reason.answer }
}

/** An --approve naming nothing in the runbook is a typo that would leave a gate closed: exit 2 first. */
export function checkApproveIds(ids: readonly string[] | undefined, known: readonly string[], what: string) {
  for (const id of ids ?? []) {
    if (known.includes(id)) continue
    throw new InvalidInputError(`--approve ${id}: no ${what} of the runbook is named ${id}`, {
      hint: didYouMean(id, known) ?? `the names it knows: ${known.join(', ')}`,
    })
  }
}

/** What --approve may name going forward: a phase's gate, or a step that asks (approve, a forced failover). */
export const forwardApprovalIds = (runbook: Runbook) => [
  ...runbook.phases.map((p) => p.id),
  ...runbook.phases.flatMap((p) => p.steps.map((s) => s.id)),
]
