import type { JsonInput } from './json-params.js'
import type { DecodedCall, SandboxRequest } from './service.js'
import { ServiceError } from './service-error.js'

export type JsonOperation = (input: JsonInput) => unknown | Promise<unknown>

/** Reading for the awsJson protocols: `X-Amz-Target: <prefix>.<Operation>` and a JSON object body. */
export function jsonEndpoint(targetPrefix: string, operations: Record<string, JsonOperation>) {
  return {
    recognises(request: SandboxRequest): boolean {
      const target = request.headers['x-amz-target']
      return typeof target === 'string' && target.startsWith(`${targetPrefix}.`)
    },
    operationOf(request: SandboxRequest): string | undefined {
      const target = request.headers['x-amz-target']
      if (typeof target !== 'string' || !target.startsWith(`${targetPrefix}.`)) return undefined
      return target.slice(targetPrefix.length + 1)
    },
    decode(request: SandboxRequest, operation: string): DecodedCall {
      const run = Object.hasOwn(operations, operation) ? operations[operation] : undefined
      if (!run)
        throw new ServiceError(400, 'UnknownOperationException', `The sandbox does not emulate ${operation}`)
      const input = parseJsonObject(request.body)
      return { params: input, run: () => run(input) }
    },
  }
}

function parseJsonObject(body: string): JsonInput {
  let parsed: unknown
  try {
    parsed = body.trim() === '' ? {} : JSON.parse(body)
  } catch (error) {
    throw new ServiceError(
      400,
      'SerializationException',
      `Request body is not JSON: ${(error as Error).message}`,
    )
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ServiceError(400, 'SerializationException', 'Request body must be a JSON object')
  return parsed as JsonInput
}
