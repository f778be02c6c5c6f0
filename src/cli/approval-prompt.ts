import type { Writable } from 'node:stream'
import type { ApprovalPolicy, ApprovalQuestion } from '../engine/approvals.js'
import type { PromptHost } from '../render/prompt-host.js'

/**
 * Flags first; then, only on a terminal, a question drawn by the renderer that owns the screen:
 * the operator types the id to approve, and a reason that is journaled.
 */
export function approvalTerms(
  flags: { yes: boolean; approve?: string[] | undefined; json: boolean },
  operator: string,
  host: PromptHost,
): ApprovalPolicy {
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true && !flags.json
  return {
    yes: flags.yes,
    ids: new Set(flags.approve ?? []),
    ...(interactive
      ? {
          prompt: (question: ApprovalQuestion) =>
            host.prompt(question, (output) => ask(question, operator, output)),
        }
      : {}),
  }
}

async function ask(question: ApprovalQuestion, operator: string, output: Writable) {
  const { input } = await import('@inquirer/prompts')
  const typed = await input(
    {
      message: `${question.message}\n  Type "${question.id}" to approve as ${operator} (anything else declines):`,
    },
    { output },
  )
  if (typed.trim() !== question.id) return undefined
  const reason = await input(
    { message: 'Reason (recorded in the journal):', default: 'go ahead' },
    { output },
  )
  return { operator, reason }
}
