import { decodeForm, type FormValue } from './form-params.js'
import type { DecodedCall, SandboxRequest, ServiceEndpoint, ServiceName } from './service.js'
import { ServiceError } from './service-error.js'

export type QueryParams = Record<string, FormValue>
export type QueryOperation = (params: QueryParams) => unknown | Promise<unknown>

/** The form fields of a query-protocol request, from the body or, for a GET, the URL. */
const formOf = (request: SandboxRequest): string =>
  request.method === 'GET' ? request.query.toString() : request.body

/** Reading for awsQuery and ec2Query: a form with `Action` and `Version`. */
export function queryEndpoint(version: string, operations: Record<string, QueryOperation>) {
  return {
    recognises: (request: SandboxRequest): boolean => formVersion(request) === version,
    operationOf(request: SandboxRequest): string | undefined {
      return new URLSearchParams(formOf(request)).get('Action') ?? undefined
    },
    decode(request: SandboxRequest, operation: string): DecodedCall {
      const run = Object.hasOwn(operations, operation) ? operations[operation] : undefined
      if (!run)
        throw new ServiceError(
          400,
          'InvalidAction',
          `The action ${operation} is not valid for this web service (the sandbox does not emulate it)`,
        )
      const { Action: _action, Version: _version, ...params } = decodeForm(formOf(request))
      return { params, run: () => run(params) }
    },
  }
}

/** The form's `Version`, which names the service when the credential scope does not. */
const formVersion = (request: SandboxRequest): string | undefined =>
  new URLSearchParams(formOf(request)).get('Version') ?? undefined

/** How most awsQuery services answer a throttled request. */
const THROTTLING = { status: 400, code: 'Throttling', message: 'Rate exceeded' }

/** An awsQuery service: its names, the `Version` its forms carry, and its operations. */
export function awsQueryService(
  service: {
    name: ServiceName
    signingName: string
    namespace: string
    version: string
    throttle?: ServiceEndpoint['throttle']
  },
  operations: Record<string, QueryOperation>,
): ServiceEndpoint {
  const { version, throttle = THROTTLING, ...names } = service
  return { ...names, protocol: 'awsQuery', throttle, ...queryEndpoint(version, operations) }
}
