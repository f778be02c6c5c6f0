import type { ApprovalPolicy, ApprovalQuestion } from '../engine/approvals.js'

/** Asks at the terminal: the operator types the id to approve, and a reason that is journaled. */
export function approvalTerms(
  flags: { yes: boolean; approve?: string[]; json: boolean },
  operator: string,
): ApprovalPolicy {
  const interactive = process.stdin.isTTY === true && process.stdout.isTTY === true && !flags.json
  return {
    yes: flags.yes,
    ids: new Set(flags.approve ?? []),
    ...(interactive ? { prompt: (question: ApprovalQuestion) => ask(question, operator) } : {}),
  }
}

async function ask(question: ApprovalQuestion, operator: string) {
  const { input } = await import('@inquirer/prompts')
  const typed = await input({
    message: `${question.message}\n  Type "${question.id}" to approve as ${operator} (anything else declines):`,
  })
  if (typed.trim() !== question.id) return undefined
  const reason = await input({ message: 'Reason (recorded in the journal):', default: 'go ahead' })
  return { operator, reason }
}
