import { type CommandInvocation, ListCommandInvocationsCommand, type SSMClient } from '@aws-sdk/client-ssm'

/** What one instance's run came to, as the step outputs it. */
export interface InstanceResult {
  status: string
  exitCode: number
  output: string
}

/** Statuses after which an invocation never changes again. */
const TERMINAL = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled'])

export const isTerminal = (result: InstanceResult | undefined): boolean =>
  result !== undefined && TERMINAL.has(result.status)

export const OUTPUT_TAIL = 2_000

function resultOf(invocation: CommandInvocation, redact: (text: string) => string): InstanceResult {
  const plugins = invocation.CommandPlugins ?? []
  const output = redact(plugins.map((p) => p.Output ?? '').join('\n'))
  return {
    status: invocation.Status ?? 'Pending',
    exitCode: plugins.at(-1)?.ResponseCode ?? -1,
    output: output.length > OUTPUT_TAIL ? output.slice(-OUTPUT_TAIL) : output,
  }
}

/**
 * Reads every invocation of one command, a page of 50 at a time, with each plugin's output: one
 * call per page rather than one GetCommandInvocation per instance.
 */
export async function readInvocations(
  ssm: SSMClient,
  commandId: string,
  redact: (text: string) => string,
  signal: AbortSignal,
): Promise<Map<string, InstanceResult>> {
  const results = new Map<string, InstanceResult>()
  let token: string | undefined
  do {
    const page = await ssm.send(
      new ListCommandInvocationsCommand({
        CommandId: commandId,
        Details: true,
        MaxResults: 50,
        NextToken: token,
      }),
      { abortSignal: signal },
    )
    for (const invocation of page.CommandInvocations ?? [])
      if (invocation.InstanceId) results.set(invocation.InstanceId, resultOf(invocation, redact))
    token = page.NextToken
  } while (token)
  return results
}
